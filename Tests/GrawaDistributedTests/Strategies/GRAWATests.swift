import GrawaDistributed
import GrawaTensor
import XCTest
import _TestSupport

/// Vanilla GRAWA against hand-computed syncs (docs/algorithms.md, "GRAWA"; paper eq. 2):
/// `weight_i ∝ 1 / ||g_i||` with `||g_i|| = sqrt(sum_l ||G_i,l||^2)` (the whole flattened probe
/// gradient), no momentum; `x_i <- (1 - c2) x_i + c2 * center`; proximity pull toward the last
/// center. The per-tensor probe norms are picked so that the whole-vector norm and the sum of
/// per-tensor norms give different weights.
final class GRAWATests: XCTestCase {
  func testDescription_probeBatchPeriodicWithPaperDefaults() {
    let grawa = GRAWA()
    XCTAssertEqual(grawa.name, "grawa")
    XCTAssertEqual(grawa.schedule, .periodic(communicationPeriod: 32))
    XCTAssertEqual(grawa.pullStrength, 0.5)
    XCTAssertEqual(grawa.proximity.strength, 0.01)
    XCTAssertEqual(grawa.normMomentum, 0)
    XCTAssertNil(grawa.localNormMomentum)
  }

  func testWeights_areInverseWholeGradientNorms() throws {
    // Probe norms per tensor: worker 0 [3, 4] -> ||g0|| = sqrt(9 + 16) = 5  (sum of norms 7);
    //                         worker 1 [0, 10] -> ||g1|| = sqrt(0 + 100) = 10 (sum of norms 10).
    // weights = (1/5, 1/10) / (1/5 + 1/10) = (0.2, 0.1) / 0.3 = (2/3, 1/3).
    // (Sums of norms would give (1/7, 1/10) / (17/70) = (10/17, 7/17).)
    // center = 2/3 * [3, 0, 6] + 1/3 * [0, 3, -3] = [2 + 0, 0 + 1, 4 - 1] = [2, 1, 3].
    // c2 = 0.5: x0 = 0.5 * [3, 0, 6] + 0.5 * [2, 1, 3] = [2.5, 0.5, 4.5]
    //           x1 = 0.5 * [0, 3, -3] + 0.5 * [2, 1, 3] = [1, 2, 0]
    var run = StrategyHarness(
      GRAWA(communicationPeriod: 1, pullStrength: 0.5, proximityStrength: 0), initial: [0, 0, 0],
      layout: try twoTensorLayout(), workerCount: 2)
    run.workers = [[3, 0, 6], [0, 3, -3]]
    let (contributions, outcome) = try run.sync(probeNorms: [[3, 4], [0, 10]])
    XCTAssertEqual(contributions.map(\.report.scores), [[5], [10]])
    XCTAssertEqual(outcome.weights.count, 2)
    XCTAssertEqual(outcome.weights[0][0], 2.0 / 3, accuracy: 1e-15)
    XCTAssertEqual(outcome.weights[1][0], 1.0 / 3, accuracy: 1e-15)
    XCTAssertEqual(outcome.pullFraction, 0.5)
    assertClose(outcome.target, [2, 1, 3], rtol: 1e-7, atol: 1e-7)
    assertClose(run.strategy.weightedCenter(state: run.centerState) ?? [], [2, 1, 3], rtol: 1e-7, atol: 1e-7)
    assertClose(run.workers[0], [2.5, 0.5, 4.5], rtol: 1e-7, atol: 1e-7)
    assertClose(run.workers[1], [1, 2, 0], rtol: 1e-7, atol: 1e-7)
  }

  func testNoMomentum_secondSyncUsesOnlyItsOwnNorms() throws {
    // Sync 1: norms [3, 4] (5) and [0, 10] (10), as above.
    // Sync 2: norms [6, 8] -> sqrt(36 + 64) = 10, and [0, 5] -> 5.
    // weights = (1/10, 1/5) / (3/10) = (1/3, 2/3), whatever sync 1 saw.
    // center = 1/3 * [3, 0, 3] + 2/3 * [0, 3, 6] = [1, 2, 1 + 4] = [1, 2, 5].
    var run = StrategyHarness(
      GRAWA(communicationPeriod: 1, pullStrength: 0.5, proximityStrength: 0), initial: [0, 0, 0],
      layout: try twoTensorLayout(), workerCount: 2)
    XCTAssertNil(run.centerState.momentum)
    run.workers = [[3, 0, 6], [0, 3, -3]]
    try run.sync(probeNorms: [[3, 4], [0, 10]])
    run.workers = [[3, 0, 3], [0, 3, 6]]
    let (_, outcome) = try run.sync(probeNorms: [[6, 8], [0, 5]])
    XCTAssertEqual(outcome.weights[0][0], 1.0 / 3, accuracy: 1e-15)
    XCTAssertEqual(outcome.weights[1][0], 2.0 / 3, accuracy: 1e-15)
    assertClose(outcome.target, [1, 2, 5], rtol: 1e-7, atol: 1e-7)
  }

  func testZeroNorm_workersWithZeroScoreShareTheWeightEqually() throws {
    // docs/algorithms.md, "Where we differ from the authors' code", row 5. Scores: worker 0 sqrt(0 + 0) = 0, worker 1 sqrt(9 + 16) = 5, worker 2 0.
    // Workers 0 and 2 share the weight: (0.5, 0, 0.5).
    // center = 0.5 * [2, 4, 6] + 0.5 * [4, 0, 2] = [3, 2, 4] (worker 1's [100, 100, 100] ignored).
    var run = StrategyHarness(
      GRAWA(communicationPeriod: 1, pullStrength: 0.5, proximityStrength: 0), initial: [0, 0, 0],
      layout: try twoTensorLayout(), workerCount: 3)
    run.workers = [[2, 4, 6], [100, 100, 100], [4, 0, 2]]
    let (_, outcome) = try run.sync(probeNorms: [[0, 0], [3, 4], [0, 0]])
    XCTAssertEqual(outcome.weights, [[0.5], [0], [0.5]])
    XCTAssertEqual(outcome.target, [3, 2, 4])
  }

  func testNonFiniteScore_throwsNamingTheWorker() throws {
    for (norms, badWorker) in [([[1, 1], [Double.nan, 1]], 1), ([[Double.infinity, 0], [1, 1]], 0)] {
      var run = StrategyHarness(
        GRAWA(communicationPeriod: 1, pullStrength: 0.5, proximityStrength: 0), initial: [0, 0, 0],
        layout: try twoTensorLayout(), workerCount: 2)
      XCTAssertThrowsError(try run.sync(probeNorms: norms)) { error in
        guard case .nonFiniteScore(let worker, let value) = error as? DistributedError else {
          return XCTFail("unexpected error \(error)")
        }
        XCTAssertEqual(worker, badWorker)
        XCTAssertFalse(value.isFinite)
        XCTAssertTrue("\(error)".hasPrefix("worker \(badWorker): gradient-norm score is"), "\(error)")
      }
    }
  }

  func testSync_asksEveryWorkerForOneProbeBatch_andStepsForNone() throws {
    // Local steps carry no gradient norms: the probe-batch variant never asks for them (the
    // harness would throw), and at the sync it asks each worker for exactly one probe batch.
    var run = StrategyHarness(
      GRAWA(communicationPeriod: 2, pullStrength: 0.5, proximityStrength: 0), initial: [0, 0, 0],
      layout: try twoTensorLayout(), workerCount: 2)
    for step in 1...2 {
      for worker in 0..<2 {
        try run.localStep(worker: worker, report: LocalStepReport(step: step, loss: 1))
      }
    }
    XCTAssertEqual(run.contexts.map(\.probeRequests), [0, 0])
    try run.sync(probeNorms: [[3, 4], [6, 8]])
    XCTAssertEqual(run.contexts.map(\.probeRequests), [1, 1])
  }

  func testProximity_pullsTowardInitialParametersThenTowardLastCenter() throws {
    // tau 1, p2 0.25: each local step ends with x <- 0.75 x + 0.25 target; c2 0.5.
    // Initial (the target before the first sync) = [4, 8, 0].
    //   worker 0: optimizer -> [8, 0, 4]; 0.75 * [8, 0, 4] + 0.25 * [4, 8, 0] = [6 + 1, 0 + 2, 3 + 0] = [7, 2, 3]
    //   worker 1: optimizer -> [0, 4, 8]; 0.75 * [0, 4, 8] + 0.25 * [4, 8, 0] = [0 + 1, 3 + 2, 6 + 0] = [1, 5, 6]
    // Sync: norms [1, 0] and [0, 1] -> scores 1 and 1 -> weights (0.5, 0.5);
    //   center = 0.5 * [7, 2, 3] + 0.5 * [1, 5, 6] = [4, 3.5, 4.5]
    //   x0 = 0.5 * [7, 2, 3] + 0.5 * [4, 3.5, 4.5] = [5.5, 2.75, 3.75]
    //   x1 = 0.5 * [1, 5, 6] + 0.5 * [4, 3.5, 4.5] = [2.5, 4.25, 5.25]
    // Next step, toward the center [4, 3.5, 4.5]:
    //   worker 0: optimizer -> [8, 2, 4]; 0.75 * [8, 2, 4] + 0.25 * [4, 3.5, 4.5]
    //             = [6 + 1, 1.5 + 0.875, 3 + 1.125] = [7, 2.375, 4.125]   (toward the init: [7, 3.5, 3])
    let grawa = GRAWA(communicationPeriod: 1, pullStrength: 0.5, proximityStrength: 0.25)
    var run = StrategyHarness(grawa, initial: [4, 8, 0], layout: try twoTensorLayout(), workerCount: 2)
    try run.localStep(worker: 0, movedTo: [8, 0, 4], report: LocalStepReport(step: 1, loss: 1))
    try run.localStep(worker: 1, movedTo: [0, 4, 8], report: LocalStepReport(step: 1, loss: 1))
    XCTAssertEqual(run.workers, [[7, 2, 3], [1, 5, 6]])
    let (_, outcome) = try run.sync(probeNorms: [[1, 0], [0, 1]])
    XCTAssertEqual(outcome.target, [4, 3.5, 4.5])
    XCTAssertEqual(run.workers, [[5.5, 2.75, 3.75], [2.5, 4.25, 5.25]])
    XCTAssertEqual(run.workerStates[0].proximityTarget, [4, 3.5, 4.5])
    XCTAssertEqual(run.workerStates[1].proximityTarget, [4, 3.5, 4.5])
    try run.localStep(worker: 0, movedTo: [8, 2, 4], report: LocalStepReport(step: 2, loss: 1))
    XCTAssertEqual(run.workers[0], [7, 2.375, 4.125])
  }

  func testZeroProximity_leavesParametersAloneBetweenSyncs() throws {
    var run = StrategyHarness(
      GRAWA(communicationPeriod: 4, pullStrength: 0.5, proximityStrength: 0), initial: [4, 8, 0],
      layout: try twoTensorLayout(), workerCount: 1)
    try run.localStep(worker: 0, movedTo: [8, 0, 4], report: LocalStepReport(step: 1, loss: 1))
    XCTAssertEqual(run.workers[0], [8, 0, 4])
    XCTAssertEqual(run.contexts[0].parameterWrites, 0, "no pull, so the parameters are not even rewritten")
  }
}
