import Foundation
import XCTest

@testable import GrawaDistributed

/// Float vectors of strategy states as one block of bytes (``KeyedEncodingContainer/encodeFloatVector(_:forKey:)``):
/// every bit kept through ``StateCoding``, the states that earlier versions wrote (arrays of
/// numbers) still read, and a block that is not whole floats refused.
final class FloatVectorCodingTests: XCTestCase {
  /// Values whose bits a careless encoding would change: signed zero, infinities, a NaN with a
  /// payload, a subnormal, integers (which an array of numbers could be mistaken for bytes).
  private let awkward: [Float] = [
    0, -0.0, 1, 2, 255, .infinity, -.infinity, Float(bitPattern: 0x7FC0_1234),
    .leastNonzeroMagnitude, 0.1, -3.75e-12, .greatestFiniteMagnitude,
  ]

  private func roundTrip<T: Codable>(_ value: T) throws -> T {
    try StateCoding.decode(T.self, from: try StateCoding.encode(value))
  }

  private func assertSameBits(_ a: [Float]?, _ b: [Float]?, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a?.map(\.bitPattern), b?.map(\.bitPattern), file: file, line: line)
  }

  func testStates_roundTripEveryBit() throws {
    let easgd = try roundTrip(EASGD.CenterState(master: awkward))
    assertSameBits(easgd.master, awkward)

    let lsgd = try roundTrip(LSGD.WorkerState(recentLosses: [0.5, 0.25], proximityTarget: awkward))
    assertSameBits(lsgd.proximityTarget, awkward)
    XCTAssertEqual(lsgd.recentLosses, [0.5, 0.25])

    var norms = NormMomentum(beta: 0.9, count: 2)
    _ = norms.update(with: [1, 2])
    let worker = try roundTrip(GRAWAWorkerState(proximityTarget: awkward, localNorms: norms))
    assertSameBits(worker.proximityTarget, awkward)
    XCTAssertEqual(worker.localNorms, norms)

    let center = try roundTrip(GRAWACenterState(momentum: norms, lastCenter: awkward))
    assertSameBits(center.lastCenter, awkward)
    XCTAssertEqual(center.momentum, norms)
    XCTAssertEqual(try roundTrip(GRAWACenterState()), GRAWACenterState())
    XCTAssertEqual(try roundTrip(GRAWAWorkerState(proximityTarget: [])), GRAWAWorkerState(proximityTarget: []))
  }

  func testBlock_isFourLittleEndianBytesPerFloat() throws {
    let data = FloatVectorBytes.data([1, -2])
    XCTAssertEqual([UInt8](data), [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0])
    // One block in the property list: a million floats take 4 MB and a few bytes, not an object
    // per element.
    let big = [Float](repeating: 0.5, count: 1_000_000)
    let bytes = try StateCoding.encode(EASGD.CenterState(master: big))
    XCTAssertLessThan(bytes.count, 4_000_000 + 200)
    XCTAssertGreaterThanOrEqual(bytes.count, 4_000_000)
  }

  // The states as earlier versions encoded them: synthesized Codable, arrays of numbers.
  private struct OldEASGD: Codable { var master: [Float] }
  private struct OldLSGD: Codable {
    var recentLosses: [Double]
    var proximityTarget: [Float]
  }
  private struct OldGRAWAWorker: Codable {
    var proximityTarget: [Float]
    var localNorms: NormMomentum?
  }
  private struct OldGRAWACenter: Codable {
    var momentum: NormMomentum?
    var lastCenter: [Float]?
  }

  func testStatesOfEarlierVersions_stillRead() throws {
    // Read exactly as the earlier, synthesized decoding reads them (an array of numbers does not
    // keep every bit: -0 and NaN payloads are lost there, which is why the block exists).
    let zeros = [Float](repeating: 0, count: 8)
    for values in [awkward, zeros, [3, 1, 4, 1, 5, 9, 2, 6], []] {
      let oldEASGD = try StateCoding.encode(OldEASGD(master: values))
      assertSameBits(
        try StateCoding.decode(EASGD.CenterState.self, from: oldEASGD).master,
        try StateCoding.decode(OldEASGD.self, from: oldEASGD).master)

      let oldLSGD = try StateCoding.encode(OldLSGD(recentLosses: [1, 2, 3], proximityTarget: values))
      let lsgd = try StateCoding.decode(LSGD.WorkerState.self, from: oldLSGD)
      assertSameBits(lsgd.proximityTarget, try StateCoding.decode(OldLSGD.self, from: oldLSGD).proximityTarget)
      XCTAssertEqual(lsgd.recentLosses, [1, 2, 3])

      let norms = NormMomentum(beta: 0.5, count: 1)
      let oldWorker = try StateCoding.encode(OldGRAWAWorker(proximityTarget: values, localNorms: norms))
      let worker = try StateCoding.decode(GRAWAWorkerState.self, from: oldWorker)
      assertSameBits(
        worker.proximityTarget, try StateCoding.decode(OldGRAWAWorker.self, from: oldWorker).proximityTarget)
      XCTAssertEqual(worker.localNorms, norms)

      let oldCenter = try StateCoding.encode(OldGRAWACenter(momentum: nil, lastCenter: values))
      let center = try StateCoding.decode(GRAWACenterState.self, from: oldCenter)
      assertSameBits(center.lastCenter, try StateCoding.decode(OldGRAWACenter.self, from: oldCenter).lastCenter)
      XCTAssertEqual(center.lastCenter?.count, values.count)
      XCTAssertNil(center.momentum)
    }
    // Values an array of numbers does keep come back as they were.
    let digits: [Float] = [3, 1, 4, 1, 5, 9, 2, 6]
    assertSameBits(
      try StateCoding.decode(EASGD.CenterState.self, from: try StateCoding.encode(OldEASGD(master: digits))).master,
      digits)
    let empty = try StateCoding.decode(
      GRAWACenterState.self, from: try StateCoding.encode(OldGRAWACenter(momentum: nil, lastCenter: nil)))
    XCTAssertNil(empty.lastCenter)
  }

  func testPartialFloat_isRefused() throws {
    struct Spoiled: Codable { var master: Data }
    let bytes = try StateCoding.encode(Spoiled(master: Data([1, 2, 3, 4, 5])))
    XCTAssertThrowsError(try StateCoding.decode(EASGD.CenterState.self, from: bytes)) { error in
      guard case DecodingError.dataCorrupted(let context) = error else {
        return XCTFail("expected dataCorrupted, got \(error)")
      }
      XCTAssertTrue(context.debugDescription.contains("5 bytes"), context.debugDescription)
    }
  }
}
