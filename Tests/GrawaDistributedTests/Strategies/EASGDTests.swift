import GrawaDistributed
import GrawaTensor
import XCTest
import _TestSupport

/// EASGD against hand-computed syncs (docs/algorithms.md, "EASGD"; Zhang et al. 2015, eqs. 5-6):
/// workers `x_i <- (1 - alpha) x_i + alpha * m_old` with `alpha = beta / W`; master
/// `m <- (1 - beta) m_old + beta * mean_i(x_i)` from the workers' pre-pull values; m starts at the
/// common initial parameters. All numbers below are dyadic, so the expected values are exact.
final class EASGDTests: XCTestCase {
  func testMakeCenterState_masterStartsAtInitialParameters() throws {
    let layout = try twoTensorLayout()
    let easgd = EASGD(communicationPeriod: 4, movingRate: 0.5)
    let state = easgd.makeCenterState(initial: [1, 2, 3], layout: layout, workerCount: 2)
    XCTAssertEqual(state.master, [1, 2, 3])
    XCTAssertEqual(easgd.reportedCenter(state: state), [1, 2, 3])
  }

  func testDescription_isPeriodicParameterExchangeWithoutScores() {
    let easgd = EASGD(communicationPeriod: 4, movingRate: 0.1)
    XCTAssertEqual(easgd.name, "easgd")
    XCTAssertEqual(easgd.schedule, .periodic(communicationPeriod: 4))
  }

  func testCenter_usesPrePullWorkerValuesForMaster() throws {
    // beta 0.5, W 2. m0 = [1, 2, 3]; workers trained to x0 = [3, 2, 7], x1 = [5, 6, 3].
    // mean of the pre-pull workers = [(3+5)/2, (2+6)/2, (7+3)/2] = [4, 4, 5]
    // m1 = 0.5 * [1, 2, 3] + 0.5 * [4, 4, 5] = [2.5, 3, 4].
    // (From the post-pull workers [2.5, 2, 6], [4, 5, 3] it would be
    //  0.5 * [1, 2, 3] + 0.5 * [3.25, 3.5, 4.5] = [2.125, 2.75, 3.75].)
    var run = StrategyHarness(
      EASGD(communicationPeriod: 1, movingRate: 0.5), initial: [1, 2, 3], layout: try twoTensorLayout(),
      workerCount: 2)
    try run.localStep(worker: 0, movedTo: [3, 2, 7], report: LocalStepReport(step: 1, loss: 1))
    try run.localStep(worker: 1, movedTo: [5, 6, 3], report: LocalStepReport(step: 1, loss: 1))
    try run.sync()
    XCTAssertEqual(run.centerState.master, [2.5, 3, 4])
    XCTAssertEqual(run.strategy.reportedCenter(state: run.centerState), [2.5, 3, 4])
  }

  func testPull_movesWorkersByAlphaTowardOldMaster() throws {
    // alpha = beta / W = 0.5 / 2 = 0.25; the target is m_old = [1, 2, 3], not m1 = [2.5, 3, 4].
    // x0 = 0.75 * [3, 2, 7] + 0.25 * [1, 2, 3] = [2.25 + 0.25, 1.5 + 0.5, 5.25 + 0.75] = [2.5, 2, 6]
    // x1 = 0.75 * [5, 6, 3] + 0.25 * [1, 2, 3] = [3.75 + 0.25, 4.5 + 0.5, 2.25 + 0.75] = [4, 5, 3]
    var run = StrategyHarness(
      EASGD(communicationPeriod: 1, movingRate: 0.5), initial: [1, 2, 3], layout: try twoTensorLayout(),
      workerCount: 2)
    try run.localStep(worker: 0, movedTo: [3, 2, 7], report: LocalStepReport(step: 1, loss: 1))
    try run.localStep(worker: 1, movedTo: [5, 6, 3], report: LocalStepReport(step: 1, loss: 1))
    let (_, outcome) = try run.sync()
    XCTAssertEqual(outcome.pullFraction, 0.25)
    XCTAssertEqual(outcome.target, [1, 2, 3])
    XCTAssertEqual(run.workers[0], [2.5, 2, 6])
    XCTAssertEqual(run.workers[1], [4, 5, 3])
  }

  func testTwoSyncs_matchHandComputedValues() throws {
    // Sync 1 as in the tests above: m1 = [2.5, 3, 4]; workers [2.5, 2, 6], [4, 5, 3].
    // Local training then moves them to x0 = [3.5, 2, 4], x1 = [3, 6, 4].
    // Sync 2: mean = [(3.5+3)/2, (2+6)/2, (4+4)/2] = [3.25, 4, 4]
    //   m2 = 0.5 * [2.5, 3, 4] + 0.5 * [3.25, 4, 4] = [1.25 + 1.625, 1.5 + 2, 2 + 2] = [2.875, 3.5, 4]
    //   x0 = 0.75 * [3.5, 2, 4] + 0.25 * m1 = [2.625 + 0.625, 1.5 + 0.75, 3 + 1] = [3.25, 2.25, 4]
    //   x1 = 0.75 * [3, 6, 4]   + 0.25 * m1 = [2.25 + 0.625, 4.5 + 0.75, 3 + 1] = [2.875, 5.25, 4]
    var run = StrategyHarness(
      EASGD(communicationPeriod: 1, movingRate: 0.5), initial: [1, 2, 3], layout: try twoTensorLayout(),
      workerCount: 2)
    try run.localStep(worker: 0, movedTo: [3, 2, 7], report: LocalStepReport(step: 1, loss: 1))
    try run.localStep(worker: 1, movedTo: [5, 6, 3], report: LocalStepReport(step: 1, loss: 1))
    try run.sync()
    XCTAssertEqual(run.workers, [[2.5, 2, 6], [4, 5, 3]])
    try run.localStep(worker: 0, movedTo: [3.5, 2, 4], report: LocalStepReport(step: 2, loss: 1))
    try run.localStep(worker: 1, movedTo: [3, 6, 4], report: LocalStepReport(step: 2, loss: 1))
    let (_, outcome) = try run.sync()
    XCTAssertEqual(outcome.target, [2.5, 3, 4], "workers move toward the master before this sync")
    XCTAssertEqual(run.centerState.master, [2.875, 3.5, 4])
    XCTAssertEqual(run.workers[0], [3.25, 2.25, 4])
    XCTAssertEqual(run.workers[1], [2.875, 5.25, 4])
  }

  func testAlpha_isBetaOverWorkerCount() throws {
    // Three workers, beta 0.75: alpha = 0.75 / 3 = 0.25 (alpha = beta would be 0.75).
    // m0 = [4, 0, -4]; workers x0 = [1, 2, 3], x1 = [4, 5, 6], x2 = [7, 8, 9]; mean = [4, 5, 6].
    // m1 = 0.25 * [4, 0, -4] + 0.75 * [4, 5, 6] = [1 + 3, 0 + 3.75, -1 + 4.5] = [4, 3.75, 3.5]
    // x0 = 0.75 * [1, 2, 3] + 0.25 * [4, 0, -4] = [0.75 + 1, 1.5, 2.25 - 1] = [1.75, 1.5, 1.25]
    // x1 = 0.75 * [4, 5, 6] + 0.25 * [4, 0, -4] = [3 + 1, 3.75, 4.5 - 1]    = [4, 3.75, 3.5]
    // x2 = 0.75 * [7, 8, 9] + 0.25 * [4, 0, -4] = [5.25 + 1, 6, 6.75 - 1]   = [6.25, 6, 5.75]
    var run = StrategyHarness(
      EASGD(communicationPeriod: 1, movingRate: 0.75), initial: [4, 0, -4], layout: try twoTensorLayout(),
      workerCount: 3)
    let trained: [[Float]] = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    for worker in 0..<3 {
      try run.localStep(worker: worker, movedTo: trained[worker], report: LocalStepReport(step: 1, loss: 1))
    }
    let (_, outcome) = try run.sync()
    XCTAssertEqual(outcome.pullFraction, 0.25)
    // The mean uses weights 1/3 (not exact in binary): allow a few ulps.
    assertClose(run.centerState.master, [4, 3.75, 3.5], rtol: 1e-6, atol: 0)
    XCTAssertEqual(run.workers[0], [1.75, 1.5, 1.25])
    XCTAssertEqual(run.workers[1], [4, 3.75, 3.5])
    XCTAssertEqual(run.workers[2], [6.25, 6, 5.75])
  }

  func testAfterLocalStep_leavesParametersAlone() throws {
    var run = StrategyHarness(
      EASGD(communicationPeriod: 4, movingRate: 0.1), initial: [0, 0, 0], layout: try twoTensorLayout(),
      workerCount: 1)
    XCTAssertFalse(try run.localStep(worker: 0, movedTo: [3, 2, 7], report: LocalStepReport(step: 1, loss: 2)))
    XCTAssertEqual(run.workers[0], [3, 2, 7])
    XCTAssertEqual(run.contexts[0].parameterWrites, 0)
    XCTAssertTrue(try run.localStep(worker: 0, report: LocalStepReport(step: 4, loss: 2)), "tau 4: a sync is due")
  }
}
