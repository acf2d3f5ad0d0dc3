import Foundation
import GrawaData
import GrawaNN
import GrawaOptim
import GrawaTensor

/// Runs a distributed training of a ``TrainingTask``: W workers on their own threads, each with a
/// model replica, optimizer, data shard and random streams, syncing through a ``CenterModel`` with
/// a ``DistributedStrategy``; periodic evaluation of the center, metrics, checkpoints and resume.
///
/// The main thread only waits: workers pause together at a step boundary (the same number of
/// local steps done by every worker, after the sync that step completes) when the run evaluates,
/// writes a checkpoint or stops, and hand over their ``WorkerSnapshot``s. Budgets are checked at
/// every step, so a time budget is kept to within one step whatever the communication period. In
/// synchronous mode a run is a deterministic function of its task, settings and strategy whatever
/// the thread timing, except for budgets in minutes and time-based learning-rate schedules; a
/// resumed run continues bit for bit.
///
/// Creating a trainer turns on ``TensorMemory/cacheFreedBuffers()`` for the process (freed
/// tensor buffers stay in the C heap for the next step; `GRAWA_NO_MEMORY_CACHING=1` turns it off).
public final class DistributedTrainer {
  /// What is trained.
  public let task: TrainingTask
  /// How it is run.
  public let settings: RunSettings
  /// The description of the run kept in checkpoints (``JSONValue/null``: none).
  public let runDescription: JSONValue
  let environment: WorkerEnvironment
  let strategy: any DistributedStrategy
  /// The processes of a multi-process run (`nil`: every worker in this process).
  public let processGroup: (any ProcessGroup)?
  /// The global indices of the workers this process runs.
  public let localWorkers: Range<Int>

  /// Prepares a run of `task` with `strategy` as `settings` say.
  /// - Parameters:
  ///   - description: what checkpoints record about the run (any JSON; `grawa-train` stores its
  ///     configuration).
  ///   - processGroup: the processes of a multi-process run, each running an equal block of the
  ///     `settings.workers` workers (process r runs workers r x W/N ..< (r+1) x W/N); `nil` runs
  ///     them all here.
  /// - Throws: ``ConfigurationError`` naming the setting, or the model's or data's error.
  public init(
    task: TrainingTask, settings: RunSettings, strategy: any DistributedStrategy, description: JSONValue = .null,
    processGroup: (any ProcessGroup)? = nil
  ) throws {
    try settings.validate()
    BuildCheck.warnOnce()
    // Before any worker thread allocates: steps reuse the memory of freed activations.
    TensorMemory.cacheFreedBuffers()
    self.task = task
    self.settings = settings
    self.strategy = strategy
    self.runDescription = description
    self.processGroup = processGroup
    if let processGroup {
      let processes = processGroup.processCount
      guard processes > 0, settings.workers % processes == 0 else {
        throw ConfigurationError(
          "\(settings.workers) workers cannot be shared equally among \(processes) processes")
      }
      let perProcess = settings.workers / processes
      localWorkers = (processGroup.rank * perProcess)..<((processGroup.rank + 1) * perProcess)
    } else {
      localWorkers = 0..<settings.workers
    }
    let shard = try task.data.shard(worker: 0, of: settings.workers)
    let stepsPerEpoch = shard.batchesPerEpoch
    guard stepsPerEpoch > 0 else {
      throw ConfigurationError("worker 0's share of the data holds no full batch")
    }
    let samplesPerBatch = try shard.batch(epoch: 0, index: 0).count
    let cores = settings.threads > 0 ? settings.threads : ComputeThreads.available
    var generator = RandomGenerator(seed: settings.seed, stream: 0)
    let model = try task.makeModel(&generator)
    let baseLearningRate = try task.makeOptimizer(model.parameters).learningRate
    environment = WorkerEnvironment(
      task: task, settings: settings, stepsPerEpoch: stepsPerEpoch, samplesPerBatch: samplesPerBatch,
      baseLearningRate: baseLearningRate,
      layout: try model.parameterLayout(), bufferCount: model.bufferCount,
      threadsPerWorker: max(1, cores / localWorkers.count))
  }

  /// Local steps in one pass over a worker's shard.
  public var stepsPerEpoch: Int { environment.stepsPerEpoch }
  /// Parameters of the model.
  public var parameterCount: Int { environment.layout.totalCount }
  /// Scalars of the model's buffers.
  public var bufferCount: Int { environment.bufferCount }
  /// The strategy's name.
  public var strategyName: String { strategy.name }
  /// The metrics the strategy publishes into the rows (give them to ``RunLog`` as CSV columns).
  public var metricNames: [String] { strategy.metricNames }

  /// Runs to the end of the budget (or until interrupted).
  /// - Parameters:
  ///   - metrics: the receivers of every metrics row (for example a `RunLog` of
  ///     `GrawaExperiments`, which writes `metrics.csv` and `metrics.jsonl`). The summary is
  ///     returned, not written anywhere.
  ///   - checkpoint: where checkpoints are written (every ``TrainingConfiguration/checkpointMinutes``
  ///     and at the end), if anywhere.
  ///   - resumeFrom: a checkpoint's state to continue from.
  ///   - control: lets another thread interrupt the run (SIGINT).
  ///   - progress: called on the calling thread about once a second and at every evaluation.
  /// - Returns: the run's summary.
  /// - Throws: ``DivergenceError`` (no checkpoint is written from the bad state), the first
  ///   worker's error (all workers are stopped first), data, log or checkpoint errors.
  public func run(
    metrics: [any MetricsSink] = [], checkpoint: URL? = nil, resumeFrom: RunState? = nil,
    control: RunControl? = nil, progress: (TrainingProgressReport) -> Void = { _ in }
  ) throws -> TrainingSummary {
    func open<S: DistributedStrategy>(_ strategy: S) throws -> TrainingSummary {
      try runGeneric(
        strategy, sinks: metrics, checkpoint: checkpoint, resumeFrom: resumeFrom, control: control,
        progress: progress)
    }
    return try open(strategy)
  }

  // MARK: - The run

  private func runGeneric<S: DistributedStrategy>(
    _ strategy: S, sinks: [any MetricsSink], checkpoint: URL?, resumeFrom: RunState?, control: RunControl?,
    progress: (TrainingProgressReport) -> Void
  ) throws -> TrainingSummary {
    let settings = self.settings
    let environment = self.environment
    let workers = settings.workers
    let cores = settings.threads > 0 ? settings.threads : ComputeThreads.available
    if let resumeFrom {
      try CheckpointFile.validate(
        resumeFrom, workers: workers, parameterCount: environment.layout.totalCount,
        bufferCount: environment.bufferCount, path: checkpoint?.path ?? "checkpoint")
      try CheckpointFile.checkStrategyStates(resumeFrom, of: strategy, path: checkpoint?.path ?? "checkpoint")
    }
    let evaluator = try ComputeThreads.withLimit(cores) {
      try CenterEvaluator(environment: environment)
    }
    let initial = evaluator.initialParameters
    let centerState: S.CenterState =
      try resumeFrom.map { try StateCoding.decode(S.CenterState.self, from: $0.centerState) }
      ?? strategy.makeCenterState(initial: initial, layout: environment.layout, workerCount: workers)
    let group = processGroup
    let localWorkers = self.localWorkers
    let transport: any CenterTransport<S>
    if let group {
      transport = try group.makeTransport(
        strategy: strategy, layout: environment.layout, workerCount: workers, localWorkers: localWorkers,
        mode: settings.syncMode, state: centerState, syncCount: resumeFrom?.centerSyncs ?? 0)
    } else {
      let center = CenterModel(
        strategy: strategy, layout: environment.layout, workerCount: workers, mode: settings.syncMode,
        state: centerState, syncCount: resumeFrom?.centerSyncs ?? 0)
      transport = InProcessTransport(center: center)
    }
    var maxSteps = settings.steps
    var stepsReason = StopReason.steps
    if let epochs = settings.epochs {
      let epochSteps = Int((epochs * Double(environment.stepsPerEpoch)).rounded(.up))
      if maxSteps == nil || epochSteps < maxSteps! {
        maxSteps = epochSteps
        stepsReason = .epochs
      }
    }
    let budget = RunBudget(
      maxSteps: maxSteps, stepsReason: stepsReason,
      maxSeconds: settings.minutes.map { $0 * 60 },
      evaluationSteps: max(1, Int((settings.evaluateEvery * Double(environment.stepsPerEpoch)).rounded())),
      checkpointSeconds: checkpoint == nil ? nil : settings.checkpointMinutes.map { $0 * 60 })
    if let resumeFrom, let first = resumeFrom.workers.first {
      if let maxSteps, first.steps >= maxSteps {
        throw ConfigurationError(
          "the checkpoint's run already took \(first.steps) steps per worker, the budget's \(maxSteps): extend the "
            + "steps, epochs or minutes budget")
      }
      if let minutes = settings.minutes, resumeFrom.trainingSeconds >= minutes * 60 {
        throw ConfigurationError(
          "the checkpoint's run already trained \(Int(resumeFrom.trainingSeconds)) s, the budget's \(Int(minutes * 60)) s: "
            + "extend the minutes budget")
      }
    }
    let controller = RunController(
      workerCount: localWorkers.count, budget: budget, earlierSeconds: resumeFrom?.trainingSeconds ?? 0,
      resumedBoundary: resumeFrom?.boundary, firstWorker: localWorkers.lowerBound,
      agreement: group.map { group in
        { @Sendable proposal in try BoundaryDecision(agreed: group.maximum(proposal.agreementVector)) }
      })
    control?.attach(controller)
    defer { control?.detach() }
    let slots = ComputeSlots(count: max(1, cores / environment.threadsPerWorker))
    let startBoundary = resumeFrom?.boundary ?? 0
    let wallStart = Date()
    let earlierWall = resumeFrom?.wallSeconds ?? 0
    var evaluations = resumeFrom?.evaluations ?? 0
    var rows = resumeFrom?.rows ?? []


    // One thread per worker.
    let finished = DispatchGroup()
    for index in localWorkers {
      finished.enter()
      let snapshot = resumeFrom?.workers[index]
      let thread = Thread {
        defer { finished.leave() }
        do {
          try ComputeThreads.withLimit(environment.threadsPerWorker) {
            let worker = try Worker(
              index: index, strategy: strategy, environment: environment, transport: transport,
              controller: controller, slots: slots, resumingFrom: snapshot)
            try worker.run(from: startBoundary)
          }
        } catch {
          controller.fail(error)
          transport.abort(error)
        }
      }
      thread.stackSize = 16 << 20
      thread.name = "grawa-worker-\(index)"
      thread.start()
    }

    var lastTest = EvaluationResult(loss: .nan, error: .nan, count: 0)
    var lastWeighted: EvaluationResult?
    var stopReason = StopReason.steps
    var lastRow: MetricsRow?
    while true {
      let event = controller.nextEvent(timeout: 1)
      switch event {
      case .failed(let error):
        // Another process may be waiting for this one's workers in a collective: end them all.
        if let group { group.abandon(error) }
        finished.wait()
        throw error
      case .tick(let tick):
        progress(report(tick, stepsPerEpoch: environment.stepsPerEpoch, budget: budget, controller: controller))
        continue
      case .paused(let boundary, let decision, let localSnapshots):
        // An error here (an unhealthy state, a metrics sink or checkpoint failure) stops every
        // worker before it propagates: none is left waiting at the boundary.
        let centerInfo = transport.centerSnapshot()
        func handle(_ snapshots: [WorkerSnapshot]) throws {
          if decision.evaluate || decision.stop != nil {
            let parameterVectors = snapshots.map(\.parameters)
            let buffers = snapshots.map(\.buffers)
            let equal = [Double](repeating: 1 / Double(workers), count: workers)
            let reported = try strategy.reportedCenter(state: centerInfo.state)
              ?? WeightedAverage.combine(parameterVectors, weights: equal)
            try ComputeThreads.withLimit(cores) {
              lastTest = try evaluator.evaluate(parameters: reported, workerBuffers: buffers)
              if let weighted = strategy.weightedCenter(state: centerInfo.state) {
                lastWeighted = try evaluator.evaluate(parameters: weighted, workerBuffers: buffers)
              }
            }
            try HealthCheck.evaluation(lastTest, weighted: lastWeighted, step: snapshots.first?.steps ?? 0)
            let row = metricsRow(
              snapshots: snapshots, decision: decision, syncs: centerInfo.syncCount, metrics: centerInfo.lastMetrics,
              test: lastTest, weighted: lastWeighted, wallSeconds: earlierWall + Date().timeIntervalSince(wallStart))
            // A stop where a resumed run started (a signal before its first step), when the
            // checkpoint's rows already end with this step's evaluation: evaluated again for the
            // summary, but not logged twice.
            let logged = boundary == startBoundary && resumeFrom != nil && rows.last?.step == row.step
            if !logged {
              evaluations += 1
              for sink in sinks {
                try sink.append(row)
              }
              rows.append(row)
            }
            lastRow = row
            progress(
              TrainingProgressReport(
                epoch: row.epoch, step: row.step, trainLoss: row.trainLoss ?? .nan, trainError: row.trainError ?? .nan,
                trainingSeconds: decision.trainingSeconds, secondsLeft: nil, evaluation: row))
          }
          if let checkpoint, decision.checkpoint || decision.stop != nil {
            // An evaluation consumed the training windows: the workers restart them, and so does a
            // run resumed from here.
            var saved = snapshots
            if decision.evaluate || decision.stop != nil {
              for index in saved.indices {
                saved[index].windowLossSum = 0
                saved[index].windowWrong = 0
                saved[index].windowCount = 0
              }
            }
            try HealthCheck.snapshots(saved)
            let state = RunState(
              configuration: runDescription, boundary: boundary, centerSyncs: centerInfo.syncCount,
              centerState: try StateCoding.encode(centerInfo.state), trainingSeconds: decision.trainingSeconds,
              wallSeconds: earlierWall + Date().timeIntervalSince(wallStart), evaluations: evaluations,
              workers: saved, rows: rows)
            try CheckpointFile.write(state, to: checkpoint)
          }
        }
        do {
          if let group {
            // Process 0 gathers every worker's snapshot, handles the pause and tells the others.
            var verdict = PauseVerdict(evaluations: evaluations, test: lastTest, weighted: lastWeighted, row: lastRow)
            let gathered: [WorkerSnapshot]?
            do {
              gathered = try PauseVerdict.gather(localSnapshots, boundary: boundary, group: group)
            } catch {
              group.abandon(error)
            }
            var handlingError: (any Error)?
            if let gathered {
              do {
                try handle(gathered)
                verdict = PauseVerdict(evaluations: evaluations, test: lastTest, weighted: lastWeighted, row: lastRow)
              } catch {
                verdict.error = "\(error)"
                handlingError = error
              }
            }
            do {
              verdict = try verdict.shared(by: group)
            } catch {
              group.abandon(error)
            }
            if let message = verdict.error {
              throw handlingError ?? ProcessGroupError(rank: 0, message: message)
            }
            evaluations = verdict.evaluations
            lastTest = verdict.test
            lastWeighted = verdict.weighted
            lastRow = verdict.row
          } else {
            try handle(localSnapshots)
          }
        } catch {
          controller.fail(error)
          transport.abort(error)
          controller.resume(after: boundary)
          finished.wait()
          throw error
        }
        if let stop = decision.stop {
          stopReason = stop
          controller.resume(after: boundary)
          finished.wait()
          let steps = localSnapshots.first?.steps ?? 0
          let trainingSeconds = decision.trainingSeconds
          let images = Double(steps * environment.samplesPerBatch * workers)
          return TrainingSummary(
            strategy: strategy.name, workers: workers, epochs: Double(steps) / Double(environment.stepsPerEpoch),
            steps: steps, syncs: centerInfo.syncCount, trainingSeconds: trainingSeconds,
            wallSeconds: earlierWall + Date().timeIntervalSince(wallStart),
            imagesPerSecond: trainingSeconds > 0 ? images / trainingSeconds : 0,
            localSeconds: lastRow?.localSeconds ?? 0, distributedSeconds: lastRow?.distributedSeconds ?? 0,
            waitSeconds: lastRow?.waitSeconds ?? 0,
            finalTest: lastTest, finalWeightedTest: lastWeighted, stopReason: stopReason.rawValue)
        }
        controller.resume(after: boundary)
      }
    }
  }

  private func metricsRow(
    snapshots: [WorkerSnapshot], decision: BoundaryDecision, syncs: Int, metrics: [StrategyMetric],
    test: EvaluationResult, weighted: EvaluationResult?, wallSeconds: Double
  ) -> MetricsRow {
    let count = snapshots.reduce(0) { $0 + $1.windowCount }
    let lossSum = snapshots.reduce(0) { $0 + $1.windowLossSum }
    let wrong = snapshots.reduce(0) { $0 + $1.windowWrong }
    let workers = Double(snapshots.count)
    let steps = snapshots.first?.steps ?? 0
    let learningRate = task.schedule.learningRate(
      base: environment.baseLearningRate,
      at: TrainingProgress(
        epoch: Double(steps) / Double(environment.stepsPerEpoch), step: steps,
        elapsedSeconds: decision.trainingSeconds))
    return MetricsRow(
      seconds: wallSeconds, trainingSeconds: decision.trainingSeconds,
      epoch: Double(steps) / Double(environment.stepsPerEpoch), step: steps, syncs: syncs,
      learningRate: Double(String(learningRate)) ?? Double(learningRate), trainLoss: count > 0 ? lossSum / Double(count) : nil,
      trainError: count > 0 ? Double(wrong) / Double(count) : nil, testLoss: test.loss, testError: test.error,
      weightedTestLoss: weighted?.loss, weightedTestError: weighted?.error, strategyMetrics: metrics,
      localSeconds: snapshots.reduce(0) { $0 + $1.localSeconds } / workers,
      distributedSeconds: snapshots.reduce(0) { $0 + $1.distributedSeconds } / workers,
      waitSeconds: snapshots.reduce(0) { $0 + $1.waitSeconds } / workers)
  }

  private func report(
    _ tick: RunTick, stepsPerEpoch: Int, budget: RunBudget, controller: RunController
  ) -> TrainingProgressReport {
    var left: Double?
    if let maxSteps = budget.maxSteps, tick.steps > 0 {
      left = tick.trainingSeconds / Double(tick.steps) * Double(max(0, maxSteps - tick.steps))
    }
    if let maxSeconds = budget.maxSeconds {
      left = min(left ?? .infinity, max(0, maxSeconds - tick.trainingSeconds))
    }
    return TrainingProgressReport(
      epoch: Double(tick.steps) / Double(stepsPerEpoch), step: tick.steps, trainLoss: tick.trainLoss,
      trainError: tick.trainError, trainingSeconds: tick.trainingSeconds, secondsLeft: left, evaluation: nil)
  }
}

/// Lets another thread (a SIGINT handler) stop a running ``DistributedTrainer`` cleanly: the
/// workers stop at the next step boundary and the run writes its final evaluation and checkpoint.
public final class RunControl: @unchecked Sendable {
  private let lock = NSLock()
  private var controller: RunController?
  private var pending = false

  /// A control not yet attached to a run.
  public init() {}

  /// Asks the run to stop at the next step boundary.
  public func interrupt() {
    lock.lock()
    defer { lock.unlock() }
    pending = true
    controller?.interrupt()
  }

  func attach(_ controller: RunController) {
    lock.lock()
    defer { lock.unlock() }
    self.controller = controller
    if pending { controller.interrupt() }
  }

  func detach() {
    lock.lock()
    defer { lock.unlock() }
    controller = nil
  }
}
