import GrawaDistributed
import GrawaTensor
import XCTest
import _TestSupport

/// Local-MGRAWA against hand-computed syncs (docs/algorithms.md, "Local-MGRAWA and Local-LGRAWA"; paper appendix G):
/// every local step folds its per-tensor gradient norms into a running estimate
/// `m <- 0.85 m + 0.15 n`, bias-corrected `m / (1 - 0.85^t)` with t = steps since the last sync;
/// at a sync the worker's score is the sum of the estimates, and the estimate is reset.
///
/// Worker 0's two steps have norms (2, 4) then (4, 2):
///   step 1: m = 0.15 * [2, 4] = [0.3, 0.6];              estimate m / 0.15 = [2, 4]
///   step 2: m = 0.85 * [0.3, 0.6] + 0.15 * [4, 2] = [0.255 + 0.6, 0.51 + 0.3] = [0.855, 0.81];
///           estimate m / (1 - 0.7225) = [0.855, 0.81] / 0.2775 = [114/37, 108/37] ≈ [3.0811, 2.9189]
///           (equivalently (0.85 * 2 + 4) / 1.85 = 5.7 / 1.85 and (0.85 * 4 + 2) / 1.85 = 5.4 / 1.85);
///           score = 114/37 + 108/37 = 222/37 = 6.
/// Worker 1's steps both have norms (1, 1): estimate [1, 1] after each, score 2.
final class LocalMGRAWATests: XCTestCase {
  private func twoStepRun() throws -> StrategyHarness<LocalMGRAWA> {
    var run = StrategyHarness(
      LocalMGRAWA(communicationPeriod: 2, pullStrength: 0.5, proximityStrength: 0), initial: [0, 0, 0],
      layout: try twoTensorLayout(), workerCount: 2)
    try run.localStep(worker: 0, report: LocalStepReport(step: 1, loss: 1, tensorGradientNorms: [2, 4]))
    try run.localStep(worker: 1, report: LocalStepReport(step: 1, loss: 1, tensorGradientNorms: [1, 1]))
    try run.localStep(worker: 0, report: LocalStepReport(step: 2, loss: 1, tensorGradientNorms: [4, 2]))
    try run.localStep(worker: 1, report: LocalStepReport(step: 2, loss: 1, tensorGradientNorms: [1, 1]))
    return run
  }

  func testDescription_localStepsWithoutCrossSyncMomentum() throws {
    let local = LocalMGRAWA()
    XCTAssertEqual(local.name, "local-mgrawa")
    XCTAssertEqual(local.metricNames, ["weights"])
    XCTAssertEqual(local.schedule, .periodic(communicationPeriod: 32))
    XCTAssertEqual(local.localNormMomentum, 0.85)
    XCTAssertEqual(local.granularity, .sumOfTensorNorms)
    let layout = try twoTensorLayout()
    XCTAssertNil(local.makeCenterState(initial: [0, 0, 0], layout: layout, workerCount: 2).momentum)
    let state = local.makeWorkerState(worker: 0, initial: [0, 0, 0], layout: layout)
    XCTAssertEqual(state.localNorms?.beta, 0.85)
    XCTAssertEqual(state.localNorms?.averages, [0, 0], "one slot per tensor")
  }

  func testAfterLocalStep_foldsNormsIntoBiasCorrectedEstimate() throws {
    var run = StrategyHarness(
      LocalMGRAWA(communicationPeriod: 2, pullStrength: 0.5, proximityStrength: 0), initial: [0, 0, 0],
      layout: try twoTensorLayout(), workerCount: 1)
    try run.localStep(worker: 0, report: LocalStepReport(step: 1, loss: 1, tensorGradientNorms: [2, 4]))
    var estimates = try XCTUnwrap(run.workerStates[0].localNorms?.estimates)
    XCTAssertEqual(run.workerStates[0].localNorms?.updates, 1)
    XCTAssertEqual(estimates[0], 2, accuracy: 1e-14)
    XCTAssertEqual(estimates[1], 4, accuracy: 1e-14)
    try run.localStep(worker: 0, report: LocalStepReport(step: 2, loss: 1, tensorGradientNorms: [4, 2]))
    let averages = try XCTUnwrap(run.workerStates[0].localNorms?.averages)
    XCTAssertEqual(averages[0], 0.855, accuracy: 1e-14)
    XCTAssertEqual(averages[1], 0.81, accuracy: 1e-14)
    estimates = try XCTUnwrap(run.workerStates[0].localNorms?.estimates)
    XCTAssertEqual(estimates[0], 114.0 / 37, accuracy: 1e-13)
    XCTAssertEqual(estimates[1], 108.0 / 37, accuracy: 1e-13)
  }

  func testContribution_scoresTheEstimateSumAndWeightsInversely() throws {
    // Scores 6 and 2 (see the type's comment): weights (1/6, 1/2) / (2/3) = (1/4, 3/4).
    // center = 0.25 * [4, 0, 8] + 0.75 * [0, 4, 4] = [1, 3, 2 + 3] = [1, 3, 5].
    // c2 0.5: x0 = 0.5 * [4, 0, 8] + 0.5 * [1, 3, 5] = [2.5, 1.5, 6.5]
    //         x1 = 0.5 * [0, 4, 4] + 0.5 * [1, 3, 5] = [0.5, 3.5, 4.5]
    var run = try twoStepRun()
    run.workers = [[4, 0, 8], [0, 4, 4]]
    let (contributions, outcome) = try run.sync()
    XCTAssertEqual(contributions[0].report.scores.count, 1)
    XCTAssertEqual(contributions[0].report.scores[0], 6, accuracy: 1e-13)
    XCTAssertEqual(contributions[1].report.scores[0], 2, accuracy: 1e-13)
    XCTAssertEqual(outcome.weights[0][0], 0.25, accuracy: 1e-13)
    XCTAssertEqual(outcome.weights[1][0], 0.75, accuracy: 1e-13)
    assertClose(outcome.target, [1, 3, 5], rtol: 1e-6, atol: 1e-6)
    assertClose(run.workers[0], [2.5, 1.5, 6.5], rtol: 1e-6, atol: 1e-6)
    assertClose(run.workers[1], [0.5, 3.5, 4.5], rtol: 1e-6, atol: 1e-6)
  }

  func testContribution_resetsEstimate_nextSyncUsesOnlyLaterSteps() throws {
    // After sync 1 the estimates restart. Sync 2 after one more step each:
    //   worker 0 norms (5, 0): m = 0.15 * [5, 0], estimate [5, 0], score 5;
    //   worker 1 norms (1, 1): score 2.
    //   (Without the reset, worker 0's m = 0.85 * [0.855, 0.81] + 0.15 * [5, 0] = [1.47675, 0.6885],
    //    estimate / (1 - 0.85^3 = 0.385875) ≈ [3.8270, 1.7843], score ≈ 5.611.)
    //   weights (1/5, 1/2) / (7/10) = (2/7, 5/7);  center = 2/7 * [7, 0, 7] + 5/7 * [0, 7, 0] = [2, 5, 2].
    var run = try twoStepRun()
    run.workers = [[4, 0, 8], [0, 4, 4]]
    try run.sync()
    XCTAssertEqual(run.workerStates[0].localNorms?.updates, 0)
    XCTAssertEqual(run.workerStates[0].localNorms?.averages, [0, 0])
    XCTAssertEqual(run.workerStates[1].localNorms?.averages, [0, 0])
    try run.localStep(worker: 0, report: LocalStepReport(step: 3, loss: 1, tensorGradientNorms: [5, 0]))
    try run.localStep(worker: 1, report: LocalStepReport(step: 3, loss: 1, tensorGradientNorms: [1, 1]))
    run.workers = [[7, 0, 7], [0, 7, 0]]
    let (contributions, outcome) = try run.sync()
    XCTAssertEqual(contributions[0].report.scores[0], 5, accuracy: 1e-13)
    XCTAssertEqual(contributions[1].report.scores[0], 2, accuracy: 1e-13)
    XCTAssertEqual(outcome.weights[0][0], 2.0 / 7, accuracy: 1e-13)
    XCTAssertEqual(outcome.weights[1][0], 5.0 / 7, accuracy: 1e-13)
    assertClose(outcome.target, [2, 5, 2], rtol: 1e-6, atol: 1e-6)
  }

  func testNonFiniteStepNorm_stopsTheSyncNamingTheWorker() throws {
    // A NaN norm at one of worker 1's steps makes its estimate, so its score, NaN: the sync throws
    // instead of weighting it (docs/algorithms.md, "Where we differ from the authors' code", row 5).
    var run = StrategyHarness(
      LocalMGRAWA(communicationPeriod: 2, pullStrength: 0.5, proximityStrength: 0), initial: [0, 0, 0],
      layout: try twoTensorLayout(), workerCount: 2)
    try run.localStep(worker: 0, report: LocalStepReport(step: 1, loss: 1, tensorGradientNorms: [1, 1]))
    try run.localStep(worker: 1, report: LocalStepReport(step: 1, loss: 1, tensorGradientNorms: [.nan, 1]))
    try run.localStep(worker: 0, report: LocalStepReport(step: 2, loss: 1, tensorGradientNorms: [1, 1]))
    try run.localStep(worker: 1, report: LocalStepReport(step: 2, loss: 1, tensorGradientNorms: [1, 1]))
    XCTAssertThrowsError(try run.sync()) { error in
      guard case .nonFiniteScore(let worker, let value) = error as? DistributedError else {
        return XCTFail("unexpected error \(error)")
      }
      XCTAssertEqual(worker, 1)
      XCTAssertTrue(value.isNaN)
    }
  }

  func testSync_asksForNoProbeBatch() throws {
    var run = try twoStepRun()
    try run.sync()
    XCTAssertEqual(run.contexts.map(\.probeRequests), [0, 0], "the running estimates replace the probe batch")
  }
}
