import GrawaDistributed
import XCTest
import _TestSupport

/// The proximity pull between syncs (docs/algorithms.md, "Proximity pull"):
/// `x <- (1 - p2/tau) x + (p2/tau) target`, off when p2 = 0.
final class ProximityPullTests: XCTestCase {
  func testApply_movesByStrengthOverPeriod() throws {
    // p2 1, tau 4: fraction 0.25.
    // step 1: 0.75 * [8, 0, 4] + 0.25 * [0, 8, 4] = [6, 2, 4]
    // step 2: 0.75 * [6, 2, 4] + 0.25 * [0, 8, 4] = [4.5, 1.5 + 2, 3 + 1] = [4.5, 3.5, 4]
    let pull = ProximityPull(strength: 1, communicationPeriod: 4)
    XCTAssertTrue(pull.isEnabled)
    XCTAssertEqual(pull.fraction, 0.25)
    var x: [Float] = [8, 0, 4]
    try pull.apply(&x, toward: [0, 8, 4])
    XCTAssertEqual(x, [6, 2, 4])
    try pull.apply(&x, toward: [0, 8, 4])
    XCTAssertEqual(x, [4.5, 3.5, 4])
  }

  func testApply_paperStrength() throws {
    // p2 0.01, tau 32: fraction 0.01 / 32 = 0.0003125; 1 * (1 - 0.0003125) + 0 = 0.9996875,
    // and 0.9996875 * 2 + 0.0003125 * 10 = 1.999375 + 0.003125 = 2.0025.
    let pull = ProximityPull(strength: 0.01, communicationPeriod: 32)
    XCTAssertEqual(pull.fraction, 0.0003125, accuracy: 1e-10)
    var x: [Float] = [1, 2]
    try pull.apply(&x, toward: [0, 10])
    assertClose(x, [0.9996875, 2.0025], rtol: 3e-7, atol: 0)
  }

  func testApply_strengthEqualToPeriodJumpsToTarget() throws {
    // p2 = tau = 2: fraction 1, x <- target.
    var x: [Float] = [8, 0, 4]
    try ProximityPull(strength: 2, communicationPeriod: 2).apply(&x, toward: [1, 2, 3])
    XCTAssertEqual(x, [1, 2, 3])
  }

  func testZeroStrength_isDisabled() throws {
    let pull = ProximityPull(strength: 0, communicationPeriod: 4)
    XCTAssertFalse(pull.isEnabled)
    var x: [Float] = [8, 0, 4]
    try pull.apply(&x, toward: [0, 8, 4])
    XCTAssertEqual(x, [8, 0, 4])
    // Strategies keep an empty target when the pull is off.
    try pull.apply(&x, toward: [])
    XCTAssertEqual(x, [8, 0, 4])
  }

  func testEmptyTarget_isNoTargetYet_andLeavesTheWorkerUntouched() throws {
    // An enabled pull toward an empty target (no target formed yet, as in the toy before its
    // first sync) neither moves nor writes the parameters; toward a real target it does:
    // 0.75 * [8, 0, 4] + 0.25 * [0, 8, 4] = [6, 2, 4].
    let pull = ProximityPull(strength: 1, communicationPeriod: 4)
    var x: [Float] = [8, 0, 4]
    try pull.apply(&x, toward: [])
    XCTAssertEqual(x, [8, 0, 4])
    let worker = HarnessWorker(worker: 0, layout: try twoTensorLayout(), vector: [8, 0, 4])
    try pull.apply(to: worker, toward: [])
    XCTAssertEqual(worker.vector, [8, 0, 4])
    XCTAssertEqual(worker.parameterWrites, 0)
    try pull.apply(to: worker, toward: [0, 8, 4])
    XCTAssertEqual(worker.vector, [6, 2, 4])
    XCTAssertEqual(worker.parameterWrites, 1)
  }

  func testLengthMismatch_throws() {
    var x: [Float] = [8, 0, 4]
    XCTAssertThrowsError(try ProximityPull(strength: 1, communicationPeriod: 4).apply(&x, toward: [1, 2])) { error in
      guard case .lengthMismatch = error as? DistributedError else {
        return XCTFail("unexpected error \(error)")
      }
    }
  }
}
