import GrawaDistributed
import GrawaTensor
import XCTest
import _TestSupport

/// LSGD against hand-computed syncs (docs/algorithms.md, "LSGD"; Teng et al. 2019): the
/// leader is the worker with the lowest running loss over its last 4 losses (ties to the lowest
/// index; by default the authors' meter, which divides by 4 from a zero-filled window);
/// every worker, the leader included, moves `x_i <- (1 - c2) x_i + c2 * x_leader`; between syncs,
/// when p2 > 0, `x <- (1 - p2/tau) x + (p2/tau) target` with target = the common initial
/// parameters before the first sync and the last leader after it.
final class LSGDTests: XCTestCase {
  func testDescription_isPeriodicParameterExchange() {
    let lsgd = LSGD(communicationPeriod: 4, pullStrength: 0.1, proximityStrength: 0.1)
    XCTAssertEqual(lsgd.name, "lsgd")
    XCTAssertEqual(lsgd.schedule, .periodic(communicationPeriod: 4))
    XCTAssertEqual(LSGD.lossWindow, 4)
    XCTAssertEqual(lsgd.lossMeter, .authors, "the authors' meter is the default")
  }

  // MARK: - The running-loss meter (docs/algorithms.md, "LSGD"; differences table row 8)

  /// Two workers, a sync after every step (tau 1), no pull (c2 0) so only the election runs.
  /// Worker 0's losses 4, 2, 6, 8, 1; worker 1's losses 3, 5, 1, 1, 1.
  private func meterReadings(
    _ meter: LSGD.LossMeter
  ) throws -> (readings: [[Double]], leaders: [Int], window: [Double]) {
    var run = StrategyHarness(
      LSGD(communicationPeriod: 1, pullStrength: 0, proximityStrength: 0, lossMeter: meter), initial: [0, 0, 0],
      layout: try twoTensorLayout(), workerCount: 2)
    let losses: [[Double]] = [[4, 2, 6, 8, 1], [3, 5, 1, 1, 1]]
    var readings: [[Double]] = []
    var leaders: [Int] = []
    for step in 0..<5 {
      for worker in 0..<2 {
        let due = try run.localStep(worker: worker, report: LocalStepReport(step: step + 1, loss: losses[worker][step]))
        XCTAssertTrue(due, "tau 1 syncs after every step")
      }
      let (contributions, outcome) = try run.sync()
      readings.append(contributions.map(\.report.loss))
      leaders.append(outcome.leader)
    }
    return (readings, leaders, run.workerStates[0].recentLosses)
  }

  func testAuthorsMeter_firstFourReadingsDivideByFourFromAZeroWindow() throws {
    // The window starts as [0, 0, 0, 0] and the reading is always its sum / 4:
    //   worker 0: 4/4 = 1; (4+2)/4 = 1.5; (4+2+6)/4 = 3; (4+2+6+8)/4 = 5;
    //             5th: the 4 is overwritten, (2+6+8+1)/4 = 17/4 = 4.25.
    //   worker 1: 3/4 = 0.75; (3+5)/4 = 2; (3+5+1)/4 = 2.25; (3+5+1+1)/4 = 2.5; 5th (5+1+1+1)/4 = 2.
    // Leaders: 1 (0.75 < 1), 0 (1.5 < 2), 1 (2.25 < 3), 1 (2.5 < 5), 1 (2 < 4.25).
    let (readings, leaders, window) = try meterReadings(.authors)
    XCTAssertEqual(readings, [[1, 0.75], [1.5, 2], [3, 2.25], [5, 2.5], [4.25, 2]])
    XCTAssertEqual(leaders, [1, 0, 1, 1, 1])
    XCTAssertEqual(window, [2, 6, 8, 1], "the window keeps the last four losses")
  }

  func testRecordedLossesMeter_firstFourReadingsDivideByTheCountRecorded() throws {
    // The same losses, divided by how many are recorded (at most 4):
    //   worker 0: 4/1 = 4; 6/2 = 3; 12/3 = 4; 20/4 = 5; 5th 17/4 = 4.25 (as the authors': full window).
    //   worker 1: 3/1 = 3; 8/2 = 4; 9/3 = 3; 10/4 = 2.5; 5th 8/4 = 2.
    // Every worker has recorded as many losses as the others, so each reading is the authors'
    // times the same factor 4/n and the leaders are the same: 1, 0, 1, 1, 1.
    let (readings, leaders, _) = try meterReadings(.recordedLosses)
    XCTAssertEqual(readings, [[4, 3], [3, 4], [4, 3], [5, 2.5], [4.25, 2]])
    XCTAssertEqual(leaders, [1, 0, 1, 1, 1])
  }

  func testMeters_electDifferentLeadersWhenAWorkerHasFewerLosses() throws {
    // Worker 0 has recorded one loss, 2 (it is behind, as in asynchronous mode); worker 1 four
    // losses of 1. Authors' meter: 2/4 = 0.5 < 4/4 = 1, the leader is worker 0. Recorded-losses
    // meter: 2/1 = 2 > 4/4 = 1, the leader is worker 1.
    for (meter, expected) in [(LSGD.LossMeter.authors, (0, [0.5, 1.0])), (.recordedLosses, (1, [2, 1]))] {
      var run = StrategyHarness(
        LSGD(communicationPeriod: 4, pullStrength: 0.5, proximityStrength: 0, lossMeter: meter), initial: [0, 0, 0],
        layout: try twoTensorLayout(), workerCount: 2)
      try run.localStep(worker: 0, report: LocalStepReport(step: 1, loss: 2))
      for step in 1...4 {
        try run.localStep(worker: 1, report: LocalStepReport(step: step, loss: 1))
      }
      let (contributions, outcome) = try run.sync()
      XCTAssertEqual(contributions.map(\.report.loss), expected.1, "\(meter)")
      XCTAssertEqual(outcome.leader, expected.0, "\(meter)")
    }
  }

  func testMeters_readInfinityBeforeAnyLoss() {
    XCTAssertEqual(LSGD.LossMeter.authors.reading(of: []), .infinity)
    XCTAssertEqual(LSGD.LossMeter.recordedLosses.reading(of: []), .infinity)
  }

  func testLeader_isLowestMeanOfLastFourLosses_fifthLossDropsTheOldest() throws {
    // tau 5, no proximity. Worker 0's losses 10, 1, 1, 1, 1: the window keeps the last four,
    // mean (1+1+1+1)/4 = 1. (All five: 14/5 = 2.8; the first four: 13/4 = 3.25.)
    // Worker 1's losses 2, 2, 2, 2, 2: mean 2. Leader = worker 0 (1 < 2).
    var run = StrategyHarness(
      LSGD(communicationPeriod: 5, pullStrength: 0.25, proximityStrength: 0), initial: [0, 0, 0],
      layout: try twoTensorLayout(), workerCount: 2)
    let losses: [[Double]] = [[10, 1, 1, 1, 1], [2, 2, 2, 2, 2]]
    for step in 0..<5 {
      for worker in 0..<2 {
        try run.localStep(worker: worker, report: LocalStepReport(step: step + 1, loss: losses[worker][step]))
      }
    }
    XCTAssertEqual(run.workerStates[0].recentLosses, [1, 1, 1, 1])
    run.workers = [[2, 4, 6], [6, 0, 2]]
    let (contributions, outcome) = try run.sync()
    XCTAssertEqual(contributions.map(\.report.loss), [1, 2])
    XCTAssertEqual(outcome.leader, 0)
    XCTAssertEqual(outcome.target, [2, 4, 6])
    XCTAssertEqual(outcome.pullFraction, 0.25)
    // The leader pulled toward itself: 0.75 * [2, 4, 6] + 0.25 * [2, 4, 6] = [2, 4, 6].
    XCTAssertEqual(run.workers[0], [2, 4, 6])
    // x1 = 0.75 * [6, 0, 2] + 0.25 * [2, 4, 6] = [4.5 + 0.5, 0 + 1, 1.5 + 1.5] = [5, 1, 3].
    XCTAssertEqual(run.workers[1], [5, 1, 3])
  }

  func testLeader_tieGoesToLowestIndex() throws {
    // Running losses: worker 0 (3+3+3+3)/4 = 3, worker 1 (2+0+1+1)/4 = 1, worker 2 (1+1+1+1)/4 = 1.
    // Workers 1 and 2 tie at 1: the leader is worker 1.
    var run = StrategyHarness(
      LSGD(communicationPeriod: 4, pullStrength: 0.5, proximityStrength: 0), initial: [0, 0, 0],
      layout: try twoTensorLayout(), workerCount: 3)
    let losses: [[Double]] = [[3, 3, 3, 3], [2, 0, 1, 1], [1, 1, 1, 1]]
    for step in 0..<4 {
      for worker in 0..<3 {
        try run.localStep(worker: worker, report: LocalStepReport(step: step + 1, loss: losses[worker][step]))
      }
    }
    run.workers = [[8, 0, 4], [0, 4, 8], [4, 4, 4]]
    let (contributions, outcome) = try run.sync()
    XCTAssertEqual(contributions.map(\.report.loss), [3, 1, 1])
    XCTAssertEqual(outcome.leader, 1)
    XCTAssertEqual(outcome.target, [0, 4, 8])
  }

  func testLeader_allTiedIsWorkerZero() throws {
    // Every running loss is 0.5: the leader is worker 0.
    var run = StrategyHarness(
      LSGD(communicationPeriod: 1, pullStrength: 0.5, proximityStrength: 0), initial: [0, 0, 0],
      layout: try twoTensorLayout(), workerCount: 3)
    for worker in 0..<3 {
      try run.localStep(worker: worker, report: LocalStepReport(step: 1, loss: 0.5))
    }
    run.workers = [[8, 0, 4], [0, 4, 8], [4, 4, 4]]
    let (_, outcome) = try run.sync()
    XCTAssertEqual(outcome.leader, 0)
  }

  func testPull_movesEveryWorkerIncludingTheLeaderByC2() throws {
    // c2 0.5. Losses 2, 1, 3, running losses 2/4, 1/4, 3/4: the leader is worker 1 with x1 = [0, 4, 8].
    // x0 = 0.5 * [8, 0, 4] + 0.5 * [0, 4, 8] = [4, 2, 6]
    // x1 = 0.5 * [0, 4, 8] + 0.5 * [0, 4, 8] = [0, 4, 8]   (the leader pulled toward itself)
    // x2 = 0.5 * [4, 4, 4] + 0.5 * [0, 4, 8] = [2, 4, 6]
    var run = StrategyHarness(
      LSGD(communicationPeriod: 1, pullStrength: 0.5, proximityStrength: 0.5), initial: [0, 0, 0],
      layout: try twoTensorLayout(), workerCount: 3)
    let trained: [[Float]] = [[8, 0, 4], [0, 4, 8], [4, 4, 4]]
    let losses: [Double] = [2, 1, 3]
    for worker in 0..<3 {
      try run.localStep(worker: worker, report: LocalStepReport(step: 1, loss: losses[worker]))
    }
    run.workers = trained
    let (_, outcome) = try run.sync()
    XCTAssertEqual(outcome.leader, 1)
    XCTAssertEqual(run.workers, [[4, 2, 6], [0, 4, 8], [2, 4, 6]])
    // Every worker, the leader included, keeps the leader as its proximity target.
    for worker in 0..<3 {
      XCTAssertEqual(run.workerStates[worker].proximityTarget, [0, 4, 8], "worker \(worker)")
    }
  }

  func testProximity_pullsTowardInitialParametersThenTowardLastLeader() throws {
    // tau 2, p2 0.5: each local step ends with x <- 0.75 x + 0.25 target; c2 0.5.
    // Initial (the target before the first sync) = [4, 8, 0].
    // Worker 0, loss 1 each step:
    //   step 1: optimizer -> [8, 0, 4]; 0.75 * [8, 0, 4] + 0.25 * [4, 8, 0] = [6 + 1, 0 + 2, 3 + 0] = [7, 2, 3]
    //   step 2: optimizer -> [8, 4, 4]; 0.75 * [8, 4, 4] + 0.25 * [4, 8, 0] = [6 + 1, 3 + 2, 3 + 0] = [7, 5, 3]
    // Worker 1, loss 0.5 each step:
    //   step 1: optimizer -> [0, 8, 4]; 0.75 * [0, 8, 4] + 0.25 * [4, 8, 0] = [0 + 1, 6 + 2, 3 + 0] = [1, 8, 3]
    //   step 2: optimizer -> [0, 0, 4]; 0.75 * [0, 0, 4] + 0.25 * [4, 8, 0] = [0 + 1, 0 + 2, 3 + 0] = [1, 2, 3]
    // Sync: leader = worker 1 (0.5 < 1), x_leader = [1, 2, 3].
    //   x0 = 0.5 * [7, 5, 3] + 0.5 * [1, 2, 3] = [4, 3.5, 3];  x1 = [1, 2, 3].
    // Step 3, now toward the leader [1, 2, 3]:
    //   worker 0: optimizer -> [8, 4, 8]; 0.75 * [8, 4, 8] + 0.25 * [1, 2, 3] = [6 + 0.25, 3 + 0.5, 6 + 0.75]
    //             = [6.25, 3.5, 6.75]   (toward the initial parameters it would be [7, 5, 6])
    //   worker 1: optimizer -> [1, 2, 7]; 0.75 * [1, 2, 7] + 0.25 * [1, 2, 3] = [1, 2, 5.25 + 0.75] = [1, 2, 6]
    let lsgd = LSGD(communicationPeriod: 2, pullStrength: 0.5, proximityStrength: 0.5)
    var run = StrategyHarness(lsgd, initial: [4, 8, 0], layout: try twoTensorLayout(), workerCount: 2)
    try run.localStep(worker: 0, movedTo: [8, 0, 4], report: LocalStepReport(step: 1, loss: 1))
    try run.localStep(worker: 1, movedTo: [0, 8, 4], report: LocalStepReport(step: 1, loss: 0.5))
    XCTAssertEqual(run.workers, [[7, 2, 3], [1, 8, 3]])
    try run.localStep(worker: 0, movedTo: [8, 4, 4], report: LocalStepReport(step: 2, loss: 1))
    try run.localStep(worker: 1, movedTo: [0, 0, 4], report: LocalStepReport(step: 2, loss: 0.5))
    XCTAssertEqual(run.workers, [[7, 5, 3], [1, 2, 3]])
    let (_, outcome) = try run.sync()
    XCTAssertEqual(outcome.leader, 1)
    XCTAssertEqual(run.workers, [[4, 3.5, 3], [1, 2, 3]])
    try run.localStep(worker: 0, movedTo: [8, 4, 8], report: LocalStepReport(step: 3, loss: 1))
    try run.localStep(worker: 1, movedTo: [1, 2, 7], report: LocalStepReport(step: 3, loss: 0.5))
    XCTAssertEqual(run.workers[0], [6.25, 3.5, 6.75])
    XCTAssertEqual(run.workers[1], [1, 2, 6])
  }

  func testZeroProximity_leavesParametersAloneBetweenSyncs() throws {
    var run = StrategyHarness(
      LSGD(communicationPeriod: 4, pullStrength: 0.1, proximityStrength: 0), initial: [4, 8, 0],
      layout: try twoTensorLayout(), workerCount: 1)
    try run.localStep(worker: 0, movedTo: [8, 0, 4], report: LocalStepReport(step: 1, loss: 0.75))
    XCTAssertEqual(run.workers[0], [8, 0, 4])
    XCTAssertEqual(run.contexts[0].parameterWrites, 0)
    XCTAssertEqual(run.workerStates[0].recentLosses, [0.75], "the loss is still recorded for the election")
  }

  func testNaNRunningLoss_throwsNamingTheWorker() throws {
    var run = StrategyHarness(
      LSGD(communicationPeriod: 1, pullStrength: 0.5, proximityStrength: 0), initial: [0, 0, 0],
      layout: try twoTensorLayout(), workerCount: 2)
    try run.localStep(worker: 0, report: LocalStepReport(step: 1, loss: 1))
    try run.localStep(worker: 1, report: LocalStepReport(step: 1, loss: .nan))
    XCTAssertThrowsError(try run.sync()) { error in
      guard case .nonFiniteScore(let worker, let value) = error as? DistributedError else {
        return XCTFail("unexpected error \(error)")
      }
      XCTAssertEqual(worker, 1)
      XCTAssertTrue(value.isNaN)
    }
  }
}
