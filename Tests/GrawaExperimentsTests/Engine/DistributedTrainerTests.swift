import Foundation
import GrawaDistributed
import GrawaNN
import GrawaTensor
import GrawaExperiments
import XCTest

/// Runs of the whole engine on a tiny CNN and synthetic data: determinism, resume, failures,
/// the asynchronous mode.
final class DistributedTrainerTests: XCTestCase {
  private var directories: [URL] = []

  override func tearDown() {
    for directory in directories { try? FileManager.default.removeItem(at: directory) }
    directories = []
    super.tearDown()
  }

  private func temporaryDirectory() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("grawa-trainer-\(UUID().uuidString)")
    directories.append(url)
    return url
  }

  /// 4 workers x 128 images each, batches of 16: 8 steps per epoch per worker.
  private func configuration(
    _ strategy: StrategyKind, workers: Int = 4, steps: Int = 8, period: Int = 2, threads: Int = 2
  ) -> TrainingConfiguration {
    tinyConfiguration(
      strategy, workers: workers, trainLimit: 512, testLimit: 128, steps: steps, period: period, batchNormBatches: 4,
      threads: threads, seed: 11)
  }

  private struct Outcome {
    var summary: TrainingSummary
    var rows: [MetricsRow]
    var state: RunState
  }

  private func run(
    _ config: TrainingConfiguration, directory: URL? = nil, resume: Bool = false, control: RunControl? = nil
  ) throws -> Outcome {
    let directory = directory ?? temporaryDirectory()
    let checkpoint = directory.appendingPathComponent("checkpoint.grawa")
    let state = resume ? try CheckpointFile.read(from: checkpoint) : nil
    var resumed = state
    resumed?.configuration = try JSONValue(encoding: config)
    let log = try RunLog(directory: directory, keepingRows: state?.evaluations)
    let summary = try DistributedTrainer(configuration: config).run(
      metrics: [log], checkpoint: checkpoint, resumeFrom: resumed, control: control)
    let lines = try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
      .split(separator: "\n")
    let rows = try lines.map { try JSONDecoder().decode(MetricsRow.self, from: Data($0.utf8)) }
    return Outcome(summary: summary, rows: rows, state: try CheckpointFile.read(from: checkpoint))
  }

  /// The fields of a row that do not depend on timing.
  private func untimed(_ row: MetricsRow) -> [String] {
    [
      "\(row.epoch)", "\(row.step)", "\(row.syncs)", "\(row.learningRate)", "\(String(describing: row.trainLoss))",
      "\(String(describing: row.trainError))", "\(row.testLoss)", "\(row.testError)",
      "\(String(describing: row.weightedTestLoss))", "\(row.strategyMetrics)",
    ]
  }

  private func assertSameRun(_ a: Outcome, _ b: Outcome, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.rows.map(untimed), b.rows.map(untimed), message, file: file, line: line)
    XCTAssertEqual(a.summary.finalTest, b.summary.finalTest, message, file: file, line: line)
    XCTAssertEqual(a.state.workers.map(\.parameters), b.state.workers.map(\.parameters), message, file: file, line: line)
    XCTAssertEqual(a.state.workers.map(\.buffers), b.state.workers.map(\.buffers), message, file: file, line: line)
    XCTAssertEqual(a.state.centerState, b.state.centerState, message, file: file, line: line)
  }

  // MARK: - Determinism

  func testSynchronousRun_withFourWorkers_isBitIdenticalAcrossRuns() throws {
    for strategy in [StrategyKind.mgrawa, .lgrawa, .lsgd, .easgd, .dataParallelSGD] {
      let first = try run(configuration(strategy))
      let second = try run(configuration(strategy))
      assertSameRun(first, second, "\(strategy)")
      XCTAssertEqual(first.rows.count, 2, "\(strategy): evaluations at steps 4 and 8")
      // Different seeds must give different runs, or the comparison above proves nothing.
      var other = configuration(strategy)
      other.seed = 12
      XCTAssertNotEqual(try run(other).state.workers[0].parameters, first.state.workers[0].parameters)
    }
  }

  func testSynchronousRun_isBitIdenticalAcrossThreadCounts() throws {
    // One worker with 1 or 2 kernel threads, and 2 workers on 2 or 4 threads (1 or 2 per worker).
    assertSameRun(
      try run(configuration(.none, workers: 1, threads: 1)), try run(configuration(.none, workers: 1, threads: 2)),
      "one worker")
    assertSameRun(
      try run(configuration(.lgrawa, workers: 2, threads: 2)), try run(configuration(.lgrawa, workers: 2, threads: 4)),
      "two workers")
  }

  func testEightWorkersOnTwoThreads_runAndReproduce() throws {
    // 8 workers x 64 images: 4 steps per epoch; every worker computes on one thread, two at a time.
    let first = try run(configuration(.lgrawa, workers: 8, steps: 8, period: 2, threads: 2))
    let second = try run(configuration(.lgrawa, workers: 8, steps: 8, period: 2, threads: 2))
    assertSameRun(first, second, "eight workers")
    XCTAssertEqual(first.summary.syncs, 4)
    XCTAssertEqual(first.rows.last?.metric("weights")?.values.count, 8)
  }

  func testSyncCounts_followTheSchedule() throws {
    let lsgd = try run(configuration(.lsgd, steps: 8, period: 2))
    XCTAssertEqual(lsgd.summary.syncs, 4)
    XCTAssertEqual(lsgd.summary.steps, 8)
    XCTAssertNotNil(lsgd.rows.last?.metric("leader"))
    let dp = try run(configuration(.dataParallelSGD, steps: 8))
    XCTAssertEqual(dp.summary.syncs, 8)
    let none = try run(configuration(.none, workers: 2, steps: 8))
    XCTAssertEqual(none.summary.syncs, 0)
    XCTAssertNotEqual(none.state.workers[0].parameters, none.state.workers[1].parameters)
    let lgrawa = try run(configuration(.lgrawa, workers: 3, steps: 8, period: 4))
    XCTAssertEqual(lgrawa.summary.syncs, 2)
    let weights = try XCTUnwrap(lgrawa.rows.last?.metric("weights")?.values)
    XCTAssertEqual(weights.count, 3)
    XCTAssertEqual(weights.reduce(0, +), 1, accuracy: 1e-9)
    XCTAssertNotNil(lgrawa.summary.finalWeightedTest)
  }

  func testDataParallel_keepsReplicasIdentical() throws {
    for strategy in [StrategyKind.dataParallelSGD, .dataParallelSAM] {
      let outcome = try run(configuration(strategy, workers: 3, steps: 6))
      let parameters = outcome.state.workers.map(\.parameters)
      XCTAssertEqual(parameters[0], parameters[1], "\(strategy)")
      XCTAssertEqual(parameters[0], parameters[2], "\(strategy)")
      let initial = try DistributedTrainerTests.initialParameters(configuration(strategy))
      XCTAssertNotEqual(parameters[0], initial, "\(strategy): training moved the parameters")
    }
    // SAM's ascent changes the update: DP+SAM and DP+SGD differ.
    XCTAssertNotEqual(
      try run(configuration(.dataParallelSAM, workers: 2, steps: 4)).state.workers[0].parameters,
      try run(configuration(.dataParallelSGD, workers: 2, steps: 4)).state.workers[0].parameters)
  }

  static func initialParameters(_ config: TrainingConfiguration) throws -> [Float] {
    var generator = RandomGenerator(seed: config.seed, stream: 0)
    let model = try config.model.make(inputChannels: 3, inputSize: 32, classes: 10, generator: &generator)
    return model.parameters.flatMap(\.value.scalars)
  }

  // MARK: - Resume

  func testResumedRun_equalsTheUninterruptedRun() throws {
    for strategy in [StrategyKind.mgrawa, .lsgd, .easgd, .localLGRAWA, .dataParallelSAM] {
      let straight = try run(configuration(strategy, steps: 8))
      let directory = temporaryDirectory()
      _ = try run(configuration(strategy, steps: 4), directory: directory)
      let resumed = try run(configuration(strategy, steps: 8), directory: directory, resume: true)
      assertSameRun(straight, resumed, "\(strategy)")
    }
  }

  func testResume_withTheBudgetAlreadyReached_isRejected() throws {
    let directory = temporaryDirectory()
    _ = try run(configuration(.easgd, steps: 4), directory: directory)
    XCTAssertThrowsError(try run(configuration(.easgd, steps: 4), directory: directory, resume: true)) { error in
      XCTAssertTrue("\(error)".contains("already took 4 steps per worker, the budget's 4: extend the steps, epochs or minutes budget"), "\(error)")
    }
  }

  // MARK: - Failures

  func testDivergence_namesTheWorkerAndStep_andWritesNoCheckpoint() throws {
    var config = configuration(.mgrawa)
    config.optimizer.learningRate = 1e30
    let directory = temporaryDirectory()
    XCTAssertThrowsError(try run(config, directory: directory)) { error in
      guard let divergence = error as? DivergenceError else {
        return XCTFail("expected a DivergenceError, got \(error)")
      }
      XCTAssertTrue((0..<4).contains(divergence.worker))
      XCTAssertGreaterThan(divergence.step, 0)
      XCTAssertTrue("\(divergence)".contains("worker \(divergence.worker) diverged at step \(divergence.step)"))
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("checkpoint.grawa").path))
  }

  func testErrorInOneWorker_stopsEveryWorker() throws {
    // Worker 2 fails at its second sync while the others wait at the center for it.
    let config = configuration(.none, workers: 4, steps: 40)
    let trainer = try DistributedTrainer(configuration: config, strategy: FailingStrategy(failingWorker: 2, atSync: 1))
    let started = Date()
    XCTAssertThrowsError(try trainer.run()) { error in
      XCTAssertEqual(error as? FailingStrategy.Failure, FailingStrategy.Failure(worker: 2))
    }
    XCTAssertLessThan(Date().timeIntervalSince(started), 60)
  }

  func testInterrupt_stopsAtTheNextBoundaryWithACheckpoint() throws {
    let control = RunControl()
    control.interrupt()
    let outcome = try run(configuration(.lsgd, steps: 1000), control: control)
    XCTAssertEqual(outcome.summary.stopReason, "interrupted")
    XCTAssertEqual(outcome.state.workers[0].steps, 0)
  }

  /// A signal right after a resume (found by the kill loop): the stop at the resumed boundary
  /// must not log that boundary's evaluation a second time.
  func testInterruptRightAfterAResume_logsNoRowTwice() throws {
    let directory = temporaryDirectory()
    let first = try run(configuration(.easgd, steps: 4), directory: directory)
    XCTAssertEqual(first.rows.last?.step, 4)
    let control = RunControl()
    control.interrupt()
    let again = try run(configuration(.easgd, steps: 8), directory: directory, resume: true, control: control)
    XCTAssertEqual(again.summary.stopReason, "interrupted")
    XCTAssertEqual(again.rows.map(\.step), first.rows.map(\.step))
    XCTAssertEqual(again.state.evaluations, first.state.evaluations)
    XCTAssertEqual(again.state.rows.map(\.step), first.rows.map(\.step))
  }

  // MARK: - Asynchronous mode

  func testAsynchronousMode_convergesAndNeverDeadlocks() throws {
    for seed in 0..<12 {
      var config = configuration(seed % 2 == 0 ? .mgrawa : .easgd, workers: 4, steps: 32, period: 2)
      config.syncMode = .asynchronous
      config.seed = UInt64(seed)
      config.evaluateEvery = 4
      let outcome = try run(config)
      XCTAssertLessThan(outcome.summary.finalTest.error, 0.5, "seed \(seed): \(outcome.summary.finalTest)")
      XCTAssertEqual(outcome.summary.syncs, 1 + 15 * 4, "one gathered sync, then one per arrival")
    }
  }
}

/// A strategy that fails in one worker's contribution, to test that a failure stops every worker.
private struct FailingStrategy: DistributedStrategy {
  struct Failure: Error, Equatable {
    var worker: Int
  }

  let failingWorker: Int
  let atSync: Int

  var name: String { "failing" }
  var schedule: SyncSchedule { .periodic(communicationPeriod: 2) }

  func makeWorkerState(worker: Int, initial: [Float], layout: ParameterLayout) -> Int { 0 }

  func contribution(_ worker: any WorkerContext, state: inout Int) throws -> Contribution<NoState> {
    defer { state += 1 }
    if worker.worker == failingWorker, state == atSync { throw Failure(worker: worker.worker) }
    return Contribution(worker: worker.worker, vector: try worker.parameters(), report: NoState())
  }

  func combination(
    of reports: [Contribution<NoState>], state: inout NoState, layout: ParameterLayout
  ) throws -> VectorCombination {
    .select(worker: 0)
  }

  func outcome(
    of reports: [Contribution<NoState>], combination: VectorCombination, combined: [Float], state: inout NoState
  ) throws -> [Float] {
    combined
  }

  func finish(_ worker: any WorkerContext, outcome: [Float], state: inout Int) throws {}
}
