import GrawaDistributed
import GrawaTensor
import XCTest
import _TestSupport

/// Local-LGRAWA against hand-computed syncs (docs/algorithms.md, "Local-MGRAWA and Local-LGRAWA"; paper appendix G):
/// every local step folds its per-tensor gradient norms into a running estimate
/// `m <- 0.85 m + 0.15 n`, bias-corrected `m / (1 - 0.85^t)`; at a sync the estimates are the
/// worker's per-tensor scores, and the estimate is reset (unlike the authors' code, section 5.6).
///
/// Worker 0's two steps have norms (2, 4) then (4, 2):
///   step 1: m = 0.15 * [2, 4] = [0.3, 0.6]
///   step 2: m = 0.85 * [0.3, 0.6] + 0.15 * [4, 2] = [0.855, 0.81];
///           estimate [0.855, 0.81] / (1 - 0.85^2 = 0.2775) = [114/37, 108/37] ≈ [3.0811, 2.9189]
/// Worker 1's steps both have norms (1, 1): estimate [1, 1].
final class LocalLGRAWATests: XCTestCase {
  private func twoStepRun() throws -> StrategyHarness<LocalLGRAWA> {
    var run = StrategyHarness(
      LocalLGRAWA(communicationPeriod: 2, pullStrength: 0.5, proximityStrength: 0), initial: [0, 0, 0],
      layout: try twoTensorLayout(), workerCount: 2)
    try run.localStep(worker: 0, report: LocalStepReport(step: 1, loss: 1, tensorGradientNorms: [2, 4]))
    try run.localStep(worker: 1, report: LocalStepReport(step: 1, loss: 1, tensorGradientNorms: [1, 1]))
    try run.localStep(worker: 0, report: LocalStepReport(step: 2, loss: 1, tensorGradientNorms: [4, 2]))
    try run.localStep(worker: 1, report: LocalStepReport(step: 2, loss: 1, tensorGradientNorms: [1, 1]))
    return run
  }

  func testDescription_localStepsPerTensor() throws {
    let local = LocalLGRAWA()
    XCTAssertEqual(local.name, "local-lgrawa")
    XCTAssertEqual(local.metricNames, ["weights"])
    XCTAssertEqual(local.schedule, .periodic(communicationPeriod: 32))
    XCTAssertEqual(local.localNormMomentum, 0.85)
    XCTAssertEqual(local.granularity, .perTensor)
    XCTAssertNil(local.makeCenterState(initial: [0, 0, 0], layout: try twoTensorLayout(), workerCount: 2).momentum)
  }

  func testContribution_sendsPerTensorEstimatesAndWeightsEachTensor() throws {
    // Scores: worker 0 [114/37, 108/37], worker 1 [1, 1].
    // Tensor a: (37/114, 1) normalised: w0 = 1 / (1 + 114/37) = 37/151, w1 = 114/151.
    // Tensor b: (37/108, 1) normalised: w0 = 1 / (1 + 108/37) = 37/145, w1 = 108/145.
    // center a = 37/151 * [151, 0] + 114/151 * [0, 151] = [37, 114];  center b = 37/145 * 145 + 0 = 37.
    var run = try twoStepRun()
    run.workers = [[151, 0, 145], [0, 151, 0]]
    let (contributions, outcome) = try run.sync()
    XCTAssertEqual(contributions[0].report.scores.count, 2)
    XCTAssertEqual(contributions[0].report.scores[0], 114.0 / 37, accuracy: 1e-13)
    XCTAssertEqual(contributions[0].report.scores[1], 108.0 / 37, accuracy: 1e-13)
    XCTAssertEqual(contributions[1].report.scores[0], 1, accuracy: 1e-13)
    XCTAssertEqual(contributions[1].report.scores[1], 1, accuracy: 1e-13)
    XCTAssertEqual(outcome.weights[0][0], 37.0 / 151, accuracy: 1e-13)
    XCTAssertEqual(outcome.weights[1][0], 114.0 / 151, accuracy: 1e-13)
    XCTAssertEqual(outcome.weights[0][1], 37.0 / 145, accuracy: 1e-13)
    XCTAssertEqual(outcome.weights[1][1], 108.0 / 145, accuracy: 1e-13)
    assertClose(outcome.target, [37, 114, 37], rtol: 1e-6, atol: 1e-6)
  }

  func testContribution_resetsEstimate_nextSyncUsesOnlyLaterSteps() throws {
    // Sync 2 after one more step each: worker 0 norms (5, 2) -> estimate [5, 2]; worker 1 [1, 1].
    //   (Without the reset worker 0's m = 0.85 * [0.855, 0.81] + 0.15 * [5, 2] = [1.47675, 0.9885],
    //    estimate / (1 - 0.85^3 = 0.385875) ≈ [3.8270, 2.5617].)
    //   Tensor a: (1/5, 1) normalised = (1/6, 5/6).  Tensor b: (1/2, 1) normalised = (1/3, 2/3).
    //   center a = 1/6 * [6, 0] + 5/6 * [0, 6] = [1, 5];  center b = 1/3 * 3 + 2/3 * 0 = 1.
    var run = try twoStepRun()
    run.workers = [[151, 0, 145], [0, 151, 0]]
    try run.sync()
    XCTAssertEqual(run.workerStates[0].localNorms?.updates, 0)
    XCTAssertEqual(run.workerStates[0].localNorms?.averages, [0, 0])
    try run.localStep(worker: 0, report: LocalStepReport(step: 3, loss: 1, tensorGradientNorms: [5, 2]))
    try run.localStep(worker: 1, report: LocalStepReport(step: 3, loss: 1, tensorGradientNorms: [1, 1]))
    run.workers = [[6, 0, 3], [0, 6, 0]]
    let (contributions, outcome) = try run.sync()
    XCTAssertEqual(contributions[0].report.scores[0], 5, accuracy: 1e-13)
    XCTAssertEqual(contributions[0].report.scores[1], 2, accuracy: 1e-13)
    XCTAssertEqual(outcome.weights[0][0], 1.0 / 6, accuracy: 1e-13)
    XCTAssertEqual(outcome.weights[1][0], 5.0 / 6, accuracy: 1e-13)
    XCTAssertEqual(outcome.weights[0][1], 1.0 / 3, accuracy: 1e-13)
    XCTAssertEqual(outcome.weights[1][1], 2.0 / 3, accuracy: 1e-13)
    assertClose(outcome.target, [1, 5, 1], rtol: 1e-6, atol: 1e-6)
  }

  func testAfterLocalStep_alsoAppliesProximityPull() throws {
    // p2 1, tau 4: fraction 0.25 toward the initial [4, 8, 0]; the norms are folded as well.
    // 0.75 * [8, 0, 4] + 0.25 * [4, 8, 0] = [6 + 1, 0 + 2, 3 + 0] = [7, 2, 3]; estimate after one step [2, 4].
    var run = StrategyHarness(
      LocalLGRAWA(communicationPeriod: 4, pullStrength: 0.5, proximityStrength: 1), initial: [4, 8, 0],
      layout: try twoTensorLayout(), workerCount: 1)
    try run.localStep(worker: 0, movedTo: [8, 0, 4], report: LocalStepReport(step: 1, loss: 1, tensorGradientNorms: [2, 4]))
    XCTAssertEqual(run.workers[0], [7, 2, 3])
    let estimates = try XCTUnwrap(run.workerStates[0].localNorms?.estimates)
    XCTAssertEqual(estimates[0], 2, accuracy: 1e-14)
    XCTAssertEqual(estimates[1], 4, accuracy: 1e-14)
  }

  func testSync_asksForNoProbeBatch() throws {
    var run = try twoStepRun()
    try run.sync()
    XCTAssertEqual(run.contexts.map(\.probeRequests), [0, 0], "the running estimates replace the probe batch")
  }
}
