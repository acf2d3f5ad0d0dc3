#if MPI
  import GrawaDistributed
  import XCTest

  @testable import GrawaDistributedMPI

  /// A rank's contributions as one message: they read back bit for bit, with or without
  /// vectors, and spoiled bytes are refused naming the rank.
  final class ContributionMessageTests: XCTestCase {
    struct Report: Codable, Sendable, Equatable {
      var scores: [Double]
    }

    let contributions = [
      Contribution(worker: 2, vector: [1.5, -0.0, .infinity, 3e-38], report: Report(scores: [0.25, 1 / 3])),
      Contribution(worker: 3, vector: [], report: Report(scores: [])),
    ]

    func testContributions_readBackBitForBit() throws {
      let bytes = try ContributionMessage.encode(contributions, withVectors: true)
      let decoded = try ContributionMessage.decode(bytes[...], as: Report.self, rank: 1)
      XCTAssertEqual(decoded.map(\.worker), [2, 3])
      XCTAssertEqual(decoded.map(\.report), contributions.map(\.report))
      XCTAssertEqual(
        decoded.map { $0.vector.map(\.bitPattern) }, contributions.map { $0.vector.map(\.bitPattern) })
    }

    func testWithoutVectors_onlyTheReportsTravel() throws {
      let bytes = try ContributionMessage.encode(contributions, withVectors: false)
      let decoded = try ContributionMessage.decode(bytes[...], as: Report.self, rank: 1)
      XCTAssertEqual(decoded.map(\.vector), [[], []])
      XCTAssertEqual(decoded.map(\.report), contributions.map(\.report))
    }

    func testTruncatedOrPaddedBytes_areRefusedNamingTheRank() throws {
      let bytes = try ContributionMessage.encode(contributions, withVectors: true)
      XCTAssertThrowsError(try ContributionMessage.decode(bytes.dropLast(), as: Report.self, rank: 3)) {
        XCTAssertTrue("\($0)".contains("rank 3"), "\($0)")
      }
      XCTAssertThrowsError(try ContributionMessage.decode((bytes + [0])[...], as: Report.self, rank: 3)) {
        XCTAssertTrue("\($0)".contains("rank 3's contributions have 1 bytes too many"), "\($0)")
      }
    }
  }
#endif
