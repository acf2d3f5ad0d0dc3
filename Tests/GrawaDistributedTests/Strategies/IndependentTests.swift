import GrawaDistributed
import GrawaTensor
import XCTest
import _TestSupport

/// `none`: independent workers (docs/algorithms.md, "Evaluation of a run"): they never sync; the reported center is
/// the plain average of the workers.
final class IndependentTests: XCTestCase {
  func testSchedule_isNever() {
    let independent = Independent()
    XCTAssertEqual(independent.name, "none")
    XCTAssertEqual(independent.schedule, .never)
    XCTAssertNil(independent.schedule.period, "no syncs, so no period")
  }

  func testSyncSchedule_periods() {
    XCTAssertEqual(SyncSchedule.everyStep.period, 1)
    XCTAssertEqual(SyncSchedule.periodic(communicationPeriod: 7).period, 7)
    XCTAssertNil(SyncSchedule.never.period)
  }

  func testCenter_isPlainAverageAndPullLeavesWorkersAlone() throws {
    // ([2, 4, 6] + [4, 0, 2]) / 2 = [3, 2, 4]; pull fraction 0, so the workers keep their values.
    var run = StrategyHarness(Independent(), initial: [0, 0, 0], layout: try twoTensorLayout(), workerCount: 2)
    run.workers = [[2, 4, 6], [4, 0, 2]]
    let (_, outcome) = try run.sync()
    XCTAssertEqual(outcome.target, [3, 2, 4])
    XCTAssertEqual(outcome.pullFraction, 0)
    XCTAssertEqual(run.workers, [[2, 4, 6], [4, 0, 2]])
    XCTAssertNil(run.strategy.reportedCenter(state: run.centerState), "the plain average is reported")
    XCTAssertNil(run.strategy.weightedCenter(state: run.centerState))
  }

  func testAfterLocalStep_leavesParametersAlone() throws {
    var run = StrategyHarness(Independent(), initial: [0, 0, 0], layout: try twoTensorLayout(), workerCount: 1)
    XCTAssertFalse(try run.localStep(worker: 0, movedTo: [1, 2, 3], report: LocalStepReport(step: 1, loss: 1)))
    XCTAssertEqual(run.workers[0], [1, 2, 3])
    XCTAssertEqual(run.contexts[0].parameterWrites, 0)
  }
}
