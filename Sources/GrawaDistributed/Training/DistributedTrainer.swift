import Foundation
import GrawaData
import GrawaNN
import GrawaOptim
import GrawaTensor

/// Runs a distributed training: W workers on their own threads, each with a model replica,
/// optimizer, disjoint data shard and random streams, syncing through a ``CenterModel`` with the
/// configured strategy; periodic evaluation of the center, metrics, checkpoints and resume.
///
/// The main thread only waits: workers pause together at a step boundary (the same number of
/// local steps done by every worker, after the sync that step completes) when the run evaluates,
/// writes a checkpoint or stops, and hand over their ``WorkerSnapshot``s. Budgets are checked at
/// every step, so a time budget is kept to within one step whatever the communication period. In synchronous mode a run is a
/// deterministic function of its configuration whatever the thread timing, except for budgets in
/// minutes and time-based learning-rate schedules; a resumed run continues bit for bit.
public final class DistributedTrainer {
  /// The run's settings.
  public let configuration: TrainingConfiguration
  /// The test set.
  public let test: Dataset
  let environment: WorkerEnvironment
  let strategy: any DistributedStrategy

  /// Loads the data and prepares a run of `configuration` with its built-in strategy (and, for
  /// DP+SAM, a SAM optimizer around SGD).
  /// - Throws: ``ConfigurationError``, or a data or model error naming the file.
  public convenience init(configuration: TrainingConfiguration) throws {
    try configuration.validate()
    let settings = configuration.strategySettings
    let optimizer = configuration.optimizer
    let sam = configuration.strategy.usesSAM
    try self.init(
      configuration: configuration, strategy: try configuration.strategy.make(settings),
      makeOptimizer: { parameters in
        let sgd = try SGD(parameters: parameters, configuration: optimizer)
        return sam ? try SAM(base: sgd, rho: Float(settings.samRho)) : sgd
      })
  }

  /// Prepares a run of `configuration` with a custom `strategy` (the configuration's strategy
  /// fields are then only recorded, not used) and the workers' optimizer made by `makeOptimizer`
  /// (default: SGD with the configuration's settings).
  /// - Throws: ``ConfigurationError``, or a data or model error naming the file.
  public init(
    configuration: TrainingConfiguration, strategy: any DistributedStrategy,
    makeOptimizer: (@Sendable ([Parameter]) throws -> any Optimizer)? = nil
  ) throws {
    try configuration.validate()
    self.configuration = configuration
    self.strategy = strategy
    var (train, test) = try configuration.dataset.load(directory: configuration.dataDirectory)
    if let limit = configuration.trainLimit, limit < train.count {
      train = try train.subset(Array(0..<limit), name: train.name)
    }
    if let limit = configuration.testLimit, limit < test.count {
      test = try test.subset(Array(0..<limit), name: test.name)
    }
    self.test = test
    let normalization = configuration.dataset.normalization(trainingSet: train)
    let recipe = configuration.augmentation.recipe(imageShape: train.imageShape, normalization: normalization)
    let input = try recipe.training.outputShape(for: train.imageShape)
    let sampler = try ShardSampler(datasetCount: train.count, workerCount: configuration.workers, seed: configuration.seed)
    let stepsPerEpoch = sampler.shardSize / configuration.batchSize
    guard stepsPerEpoch > 0 else {
      throw ConfigurationError(
        "each of the \(configuration.workers) workers gets \(sampler.shardSize) training images, fewer than one "
          + "batch (\(configuration.batchSize)): use more data, fewer workers or a smaller --batch-size")
    }
    let cores = configuration.threads > 0 ? configuration.threads : ComputeThreads.available
    var probe = RandomGenerator(seed: configuration.seed, stream: 0)
    let model = try configuration.model.make(
      inputChannels: input.channels, inputSize: input.height, classes: train.classCount, generator: &probe)
    environment = WorkerEnvironment(
      configuration: configuration, train: train, recipe: recipe, sampler: sampler, stepsPerEpoch: stepsPerEpoch,
      layout: try model.parameterLayout(), bufferCount: model.bufferCount, inputChannels: input.channels,
      inputSize: input.height, classes: train.classCount,
      threadsPerWorker: max(1, cores / configuration.workers),
      makeOptimizer: makeOptimizer ?? { [optimizer = configuration.optimizer] parameters in
        try SGD(parameters: parameters, configuration: optimizer)
      })
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
  ///   - log: where metric rows, the configuration and the summary go, if anywhere.
  ///   - checkpoint: where checkpoints are written (every ``TrainingConfiguration/checkpointMinutes``
  ///     and at the end), if anywhere.
  ///   - resumeFrom: a checkpoint's state to continue from.
  ///   - control: lets another thread interrupt the run (SIGINT).
  ///   - progress: called on the calling thread about once a second and at every evaluation.
  /// - Returns: the run's summary.
  /// - Throws: ``DivergenceError`` (no checkpoint is written from the bad state), the first
  ///   worker's error (all workers are stopped first), data, log or checkpoint errors.
  public func run(
    log: RunLog? = nil, checkpoint: URL? = nil, resumeFrom: RunState? = nil, control: RunControl? = nil,
    progress: (TrainingProgressReport) -> Void = { _ in }
  ) throws -> TrainingSummary {
    func open<S: DistributedStrategy>(_ strategy: S) throws -> TrainingSummary {
      try runGeneric(
        strategy, log: log, checkpoint: checkpoint, resumeFrom: resumeFrom, control: control, progress: progress)
    }
    return try open(strategy)
  }

  // MARK: - The run

  private func runGeneric<S: DistributedStrategy>(
    _ strategy: S, log: RunLog?, checkpoint: URL?, resumeFrom: RunState?, control: RunControl?,
    progress: (TrainingProgressReport) -> Void
  ) throws -> TrainingSummary {
    let configuration = self.configuration
    let environment = self.environment
    let workers = configuration.workers
    let cores = configuration.threads > 0 ? configuration.threads : ComputeThreads.available
    if let resumeFrom {
      try CheckpointFile.checkCompatible(resumeFrom, with: configuration, path: checkpoint?.path ?? "checkpoint")
      try CheckpointFile.validate(
        resumeFrom, parameterCount: environment.layout.totalCount, bufferCount: environment.bufferCount,
        path: checkpoint?.path ?? "checkpoint")
    }
    let evaluator = try ComputeThreads.withLimit(cores) {
      try CenterEvaluator(environment: environment, test: test)
    }
    let initial = evaluator.initialParameters
    let centerState: S.CenterState =
      try resumeFrom.map { try StateCoding.decode(S.CenterState.self, from: $0.centerState) }
      ?? strategy.makeCenterState(initial: initial, layout: environment.layout, workerCount: workers)
    let center = CenterModel(
      strategy: strategy, layout: environment.layout, workerCount: workers, mode: configuration.syncMode,
      state: centerState, syncCount: resumeFrom?.centerSyncs ?? 0)
    let transport = InProcessTransport(center: center)
    var maxSteps = configuration.steps
    var stepsReason = StopReason.steps
    if let epochs = configuration.epochs {
      let epochSteps = Int((epochs * Double(environment.stepsPerEpoch)).rounded(.up))
      if maxSteps == nil || epochSteps < maxSteps! {
        maxSteps = epochSteps
        stepsReason = .epochs
      }
    }
    let budget = RunBudget(
      maxSteps: maxSteps, stepsReason: stepsReason,
      maxSeconds: configuration.minutes.map { $0 * 60 },
      evaluationSteps: max(1, Int((configuration.evaluateEvery * Double(environment.stepsPerEpoch)).rounded())),
      checkpointSeconds: checkpoint == nil ? nil : configuration.checkpointMinutes.map { $0 * 60 })
    if let resumeFrom, let first = resumeFrom.workers.first {
      if let maxSteps, first.steps >= maxSteps {
        throw ConfigurationError(
          "the checkpoint's run already took \(first.steps) steps per worker, the budget's \(maxSteps): extend it "
            + "with --steps, --epochs or --minutes")
      }
      if let minutes = configuration.minutes, resumeFrom.trainingSeconds >= minutes * 60 {
        throw ConfigurationError(
          "the checkpoint's run already trained \(Int(resumeFrom.trainingSeconds)) s, the budget's \(Int(minutes * 60)) s: "
            + "extend it with --minutes")
      }
    }
    let controller = RunController(
      workerCount: workers, budget: budget, earlierSeconds: resumeFrom?.trainingSeconds ?? 0,
      resumedBoundary: resumeFrom?.boundary)
    control?.attach(controller)
    defer { control?.detach() }
    let slots = ComputeSlots(count: max(1, cores / environment.threadsPerWorker))
    let startBoundary = resumeFrom?.boundary ?? 0
    let wallStart = Date()
    let earlierWall = resumeFrom?.wallSeconds ?? 0
    var evaluations = resumeFrom?.evaluations ?? 0

    if let log, resumeFrom == nil {
      try log.writeJSON(configuration, to: "config.json")
    }

    // One thread per worker.
    let finished = DispatchGroup()
    for index in 0..<workers {
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
    var finalSnapshots: [WorkerSnapshot] = []
    var lastRow: MetricsRow?
    while true {
      let event = controller.nextEvent(timeout: 1)
      switch event {
      case .failed(let error):
        finished.wait()
        throw error
      case .tick(let tick):
        progress(report(tick, stepsPerEpoch: environment.stepsPerEpoch, budget: budget, controller: controller))
        continue
      case .paused(let boundary, let decision, let snapshots):
        let centerInfo = transport.onCenter { center in center.snapshot() }
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
          evaluations += 1
          let row = metricsRow(
            snapshots: snapshots, decision: decision, syncs: centerInfo.syncCount, metrics: centerInfo.lastMetrics,
            test: lastTest, weighted: lastWeighted, wallSeconds: earlierWall + Date().timeIntervalSince(wallStart))
          try log?.append(row)
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
          let state = RunState(
            configuration: configuration, boundary: boundary, centerSyncs: centerInfo.syncCount,
            centerState: try StateCoding.encode(centerInfo.state), trainingSeconds: decision.trainingSeconds,
            wallSeconds: earlierWall + Date().timeIntervalSince(wallStart), evaluations: evaluations,
            workers: saved)
          try CheckpointFile.write(state, to: checkpoint)
        }
        if let stop = decision.stop {
          stopReason = stop
          finalSnapshots = snapshots
          controller.resume(after: boundary)
          finished.wait()
          let steps = finalSnapshots.first?.steps ?? 0
          let trainingSeconds = decision.trainingSeconds
          let images = Double(steps * configuration.batchSize * workers)
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
    let configuration = self.configuration
    let learningRate = configuration.schedule.learningRate(
      base: configuration.optimizer.learningRate,
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
