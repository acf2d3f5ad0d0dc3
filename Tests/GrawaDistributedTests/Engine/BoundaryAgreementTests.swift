import XCTest

@testable import GrawaDistributed

/// The boundary agreement of a multi-process run: each process's decision as numbers, and the
/// decision every process takes from their element-wise maximum.
final class BoundaryAgreementTests: XCTestCase {
  /// The element-wise maximum of the processes' vectors, decoded, as `ProcessGroup.maximum`
  /// and the trainer's agreement compute it.
  private func agreed(_ proposals: [BoundaryDecision]) throws -> BoundaryDecision {
    let vectors = proposals.map(\.agreementVector)
    let maximum = (0..<vectors[0].count).map { index in vectors.map { $0[index] }.max()! }
    return try BoundaryDecision(agreed: maximum)
  }

  func testEveryDecision_survivesTheRoundTrip() throws {
    for stop in [nil, StopReason.interrupted, .minutes, .steps, .epochs] {
      for (evaluate, checkpoint) in [(false, false), (true, false), (false, true), (true, true)] {
        let decision = BoundaryDecision(evaluate: evaluate, checkpoint: checkpoint, stop: stop, trainingSeconds: 12.5)
        XCTAssertEqual(try BoundaryDecision(agreed: decision.agreementVector), decision)
      }
    }
  }

  func testAnInterruptOrATimeBudgetOnOneProcess_stopsEveryProcess() throws {
    let running = BoundaryDecision(evaluate: false, checkpoint: false, stop: nil, trainingSeconds: 30)
    let interrupted = BoundaryDecision(evaluate: false, checkpoint: false, stop: .interrupted, trainingSeconds: 31)
    let outOfTime = BoundaryDecision(evaluate: false, checkpoint: true, stop: .minutes, trainingSeconds: 29)
    XCTAssertEqual(
      try agreed([running, interrupted]),
      BoundaryDecision(evaluate: false, checkpoint: false, stop: .interrupted, trainingSeconds: 31))
    // The time budget outranks an interrupt, a checkpoint anywhere is a checkpoint everywhere,
    // and the clock is the latest.
    XCTAssertEqual(
      try agreed([running, interrupted, outOfTime]),
      BoundaryDecision(evaluate: false, checkpoint: true, stop: .minutes, trainingSeconds: 31))
  }

  func testTheStepBudget_outranksEveryOtherStop() throws {
    let steps = BoundaryDecision(evaluate: true, checkpoint: false, stop: .steps, trainingSeconds: 1)
    let minutes = BoundaryDecision(evaluate: true, checkpoint: false, stop: .minutes, trainingSeconds: 2)
    XCTAssertEqual(try agreed([minutes, steps]).stop, .steps)
  }

  func testAVectorOfTheWrongLength_isRefused() {
    XCTAssertThrowsError(try BoundaryDecision(agreed: [1, 0, 0]))
  }
}
