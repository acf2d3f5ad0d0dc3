#if MPI
  import GrawaMPI
  import XCTest

  final class ScoredVectorTests: XCTestCase {
    /// One score 0.5 and one value 1.0, little-endian:
    /// count 1 as Int64 = 01 00 00 00 00 00 00 00;
    /// 0.5 as Double = 0x3FE0_0000_0000_0000 = 00 00 00 00 00 00 E0 3F;
    /// 1.0 as Float = 0x3F80_0000 = 00 00 80 3F.
    func testEncoded_matchesHandWrittenLayout() {
      let message = ScoredVector(values: [1], scores: [0.5])
      let expected: [UInt8] =
        [1, 0, 0, 0, 0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0xE0, 0x3F] + [0, 0, 0x80, 0x3F]
      XCTAssertEqual(message.encoded(), expected)
      XCTAssertEqual(message.encodedByteCount, 20)
    }

    func testDecoding_roundTripsValuesAndScoresBitForBit() throws {
      let message = ScoredVector(
        values: [-0.0, .infinity, 1e-40, 3.25], scores: [.nan, -2.5, 0])
      let decoded = try ScoredVector(decoding: message.encoded())
      XCTAssertEqual(decoded.values.map(\.bitPattern), message.values.map(\.bitPattern))
      XCTAssertEqual(decoded.scores.map(\.bitPattern), message.scores.map(\.bitPattern))
    }

    func testDecoding_emptyMessage() throws {
      let decoded = try ScoredVector(decoding: ScoredVector(values: [], scores: []).encoded())
      XCTAssertEqual(decoded, ScoredVector(values: [], scores: []))
    }

    func testDecoding_rejectsShortHeaderOversizedCountAndPartialFloat() {
      XCTAssertThrowsError(try ScoredVector(decoding: [1, 0, 0]))
      // Header claims 2 scores (16 bytes) but only 8 follow.
      XCTAssertThrowsError(
        try ScoredVector(decoding: [2, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 8)))
      // A negative count (all bits set).
      XCTAssertThrowsError(try ScoredVector(decoding: [UInt8](repeating: 0xFF, count: 8)))
      // No scores, then 3 bytes: not a whole float.
      XCTAssertThrowsError(try ScoredVector(decoding: [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]))
    }
  }
#endif
