import GrawaDistributed
import GrawaTensor
import XCTest

/// The one place that orders a strategy's parts (docs/algorithms.md, "A round"): which hook syncs
/// when, the order of a round, the checks on contributions, and how each ``VectorCombination`` is
/// carried out in one process.
final class SyncDriverTests: XCTestCase {
  /// Records every call the driver makes, in order.
  private struct Recorder: DistributedStrategy {
    final class Log: @unchecked Sendable {
      var calls: [String] = []
    }
    let log: Log
    let schedule: SyncSchedule
    var relabel = false

    var name: String { "recorder" }

    func gradientsAreFinal(_ worker: any WorkerContext, state: inout NoState) throws {
      log.calls.append("final \(worker.worker)")
    }
    func afterLocalStep(_ worker: any WorkerContext, state: inout NoState) throws {
      log.calls.append("after \(worker.worker)")
    }
    func contribution(_ worker: any WorkerContext, state: inout NoState) throws -> Contribution<NoState> {
      log.calls.append("contribution \(worker.worker)")
      return Contribution(worker: relabel ? 7 : worker.worker, vector: try worker.parameters(), report: NoState())
    }
    func combination(
      of reports: [Contribution<NoState>], state: inout NoState, layout: ParameterLayout
    ) throws -> VectorCombination {
      log.calls.append("combination \(reports.map(\.worker))")
      return .select(worker: reports.count - 1)
    }
    func outcome(
      of reports: [Contribution<NoState>], combination: VectorCombination, combined: [Float], state: inout NoState
    ) throws -> [Float] {
      log.calls.append("outcome \(combined)")
      return combined
    }
    func finish(_ worker: any WorkerContext, outcome: [Float], state: inout NoState) throws {
      log.calls.append("finish \(worker.worker)")
      try worker.setParameters(outcome)
    }
  }

  func testRound_contributionsInWorkerOrderThenCenterThenEveryFinish() throws {
    let log = Recorder.Log()
    var run = StrategyHarness(
      Recorder(log: log, schedule: .periodic(communicationPeriod: 1)), initial: [0, 0, 0],
      layout: try twoTensorLayout(), workerCount: 3)
    run.workers = [[1, 1, 1], [2, 2, 2], [3, 3, 3]]
    try run.sync()
    XCTAssertEqual(
      log.calls,
      [
        "contribution 0", "contribution 1", "contribution 2", "combination [0, 1, 2]", "outcome [3.0, 3.0, 3.0]",
        "finish 0", "finish 1", "finish 2",
      ])
    XCTAssertEqual(run.workers, [[3, 3, 3], [3, 3, 3], [3, 3, 3]], "select(worker: 2) hands every worker x_2")
  }

  func testPeriodicSchedule_syncsAfterTheUpdateOfEveryTauthStep() throws {
    let log = Recorder.Log()
    var run = StrategyHarness(
      Recorder(log: log, schedule: .periodic(communicationPeriod: 3)), initial: [0, 0, 0],
      layout: try twoTensorLayout(), workerCount: 1)
    let due = try (1...6).map { try run.localStep(worker: 0, report: LocalStepReport(step: $0, loss: 1)) }
    XCTAssertEqual(due, [false, false, true, false, false, true])
    XCTAssertEqual(Array(log.calls.prefix(2)), ["final 0", "after 0"], "the gradients are final before the update")
  }

  func testEveryStepSchedule_syncsWhenGradientsAreFinal_neverSchedule_never() throws {
    let everyStep = StrategyHarness(
      Recorder(log: Recorder.Log(), schedule: .everyStep), initial: [0, 0, 0], layout: try twoTensorLayout(),
      workerCount: 1)
    var states = everyStep.workerStates
    XCTAssertTrue(try everyStep.driver.gradientsAreFinal(everyStep.contexts[0], state: &states[0]))
    everyStep.contexts[0].step = 1
    XCTAssertFalse(try everyStep.driver.afterLocalStep(everyStep.contexts[0], state: &states[0]))
    var never = StrategyHarness(
      Recorder(log: Recorder.Log(), schedule: .never), initial: [0, 0, 0], layout: try twoTensorLayout(),
      workerCount: 1)
    for step in 1...5 {
      XCTAssertFalse(try never.localStep(worker: 0, report: LocalStepReport(step: step, loss: 1)))
    }
  }

  func testContributionLabelledAsAnotherWorker_isRefused() throws {
    var run = StrategyHarness(
      Recorder(log: Recorder.Log(), schedule: .periodic(communicationPeriod: 1), relabel: true), initial: [0, 0, 0],
      layout: try twoTensorLayout(), workerCount: 2)
    XCTAssertThrowsError(try run.sync()) { error in
      XCTAssertEqual("\(error)", "recorder: worker 0 made a contribution labelled worker 7")
    }
  }

  func testCenter_refusesContributionsOutOfWorkerOrder() throws {
    let driver = SyncDriver(Recorder(log: Recorder.Log(), schedule: .periodic(communicationPeriod: 1)))
    var state = NoState()
    let swapped = [
      Contribution(worker: 1, vector: [1, 1, 1], report: NoState()),
      Contribution(worker: 0, vector: [0, 0, 0], report: NoState()),
    ]
    XCTAssertThrowsError(try driver.center(swapped, state: &state, layout: try twoTensorLayout())) { error in
      XCTAssertEqual("\(error)", "recorder: contribution 0 of the sync comes from worker 1")
    }
  }

  // MARK: - VectorCombination in one process

  func testWeightedSum_wholeVectorAndPerTensor() throws {
    let layout = try twoTensorLayout()
    let vectors: [[Float]] = [[1, 2, 4], [3, 6, 8]]
    // Whole vector, weights 0.25 / 0.75: [0.25 + 2.25, 0.5 + 4.5, 1 + 6] = [2.5, 5, 7].
    XCTAssertEqual(
      try VectorCombination.weightedSum(weights: [[0.25], [0.75]]).apply(to: vectors, layout: layout), [2.5, 5, 7])
    // Per tensor: tensor a (elements 0, 1) weights 1 / 0, tensor b (element 2) 0.5 / 0.5:
    // [1, 2, (4 + 8) / 2] = [1, 2, 6].
    XCTAssertEqual(
      try VectorCombination.weightedSum(weights: [[1, 0.5], [0, 0.5]]).apply(to: vectors, layout: layout), [1, 2, 6])
    // The mean of two: [2, 4, 6].
    XCTAssertEqual(try VectorCombination.mean(of: 2).apply(to: vectors, layout: layout), [2, 4, 6])
  }

  func testSelectAndNone() throws {
    let layout = try twoTensorLayout()
    XCTAssertEqual(try VectorCombination.select(worker: 1).apply(to: [[1, 2, 3], [4, 5, 6]], layout: layout), [4, 5, 6])
    XCTAssertEqual(try VectorCombination.none.apply(to: [[1, 2, 3]], layout: layout), [])
    XCTAssertThrowsError(try VectorCombination.select(worker: 2).apply(to: [[1, 2, 3]], layout: layout))
    XCTAssertThrowsError(
      try VectorCombination.weightedSum(weights: [[1], [0.5, 0.5]]).apply(to: [[1, 2, 3], [4, 5, 6]], layout: layout),
      "ragged weights")
  }
}
