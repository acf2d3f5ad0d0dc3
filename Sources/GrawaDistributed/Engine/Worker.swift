import Foundation
import GrawaData
import GrawaNN
import GrawaOptim
import GrawaTensor

/// One worker of a run: its own model replica, optimizer, data shard, random streams and strategy
/// state, trained on its own thread. It runs local steps (docs/algorithms.md, "The local step"), drives its
/// strategy through the ``SyncDriver`` (the strategy asks it for measurements as a
/// ``WorkerContext``), syncs through the transport, and at step boundaries follows the run
/// controller's decision (pause for an evaluation or a checkpoint, or stop), handing over a
/// ``WorkerSnapshot``. It knows nothing of any particular strategy.
final class Worker<Strategy: DistributedStrategy>: WorkerContext, GradientComputation {
  let index: Int
  let driver: SyncDriver<Strategy>
  let environment: WorkerEnvironment
  let transport: any Transport<Strategy>
  let controller: RunController
  let slots: ComputeSlots

  private let model: any Layer
  private let optimizer: any Optimizer
  private var state: Strategy.WorkerState
  private let context: ForwardContext
  private var probeRandom: RandomGenerator
  private var epoch = 0
  private var batchInEpoch = 0
  private var steps = 0
  private var syncs = 0
  private var windowLossSum: Double = 0
  private var windowWrong = 0
  private var windowCount = 0
  private var localSeconds: Double = 0
  private var distributedSeconds: Double = 0
  private var waitSeconds: Double = 0
  private let shard: any BatchShard
  private let baseLearningRate: Float
  /// The current step's batch, its loss, and how many gradient computations it has had.
  private var currentBatch: Batch?
  private var currentLoss: Double = .nan
  private var computations = 0
  /// Seconds of the current step spent in a sync (not local work).
  private var syncSecondsInStep: Double = 0

  /// A worker starting from the common initialisation, or from `snapshot` when resuming.
  init(
    index: Int, strategy: Strategy, environment: WorkerEnvironment, transport: any Transport<Strategy>,
    controller: RunController, slots: ComputeSlots, resumingFrom snapshot: WorkerSnapshot?
  ) throws {
    self.index = index
    self.driver = SyncDriver(strategy)
    self.environment = environment
    self.transport = transport
    self.controller = controller
    self.slots = slots
    let seed = environment.settings.seed
    model = try environment.makeModel()
    optimizer = try environment.task.makeOptimizer(model.parameters)
    baseLearningRate = optimizer.learningRate
    shard = try environment.task.data.shard(worker: index, of: environment.settings.workers)
    guard shard.batchesPerEpoch == environment.stepsPerEpoch else {
      throw ConfigurationError(
        "worker \(index)'s share of the data has \(shard.batchesPerEpoch) batches per epoch, worker 0's "
          + "\(environment.stepsPerEpoch): every worker must take the same number of steps per epoch")
    }
    context = ForwardContext(mode: .training, random: RandomGenerator(seed: seed, stream: WorkerStreams.dropout(index)))
    probeRandom = RandomGenerator(seed: seed, stream: WorkerStreams.probe(index))
    if let snapshot {
      try model.setFlatParameters(snapshot.parameters)
      try model.setFlatBuffers(snapshot.buffers)
      try optimizer.importState(snapshot.optimizer)
      state = try StateCoding.decode(Strategy.WorkerState.self, from: snapshot.strategyState)
      context.random = try RandomGenerator(state: snapshot.dropoutRandomState)
      probeRandom = try RandomGenerator(state: snapshot.probeRandomState)
      epoch = snapshot.epoch
      batchInEpoch = snapshot.batchInEpoch
      steps = snapshot.steps
      syncs = snapshot.syncs
      windowLossSum = snapshot.windowLossSum
      windowWrong = snapshot.windowWrong
      windowCount = snapshot.windowCount
      localSeconds = snapshot.localSeconds
      distributedSeconds = snapshot.distributedSeconds
      waitSeconds = snapshot.waitSeconds
    } else {
      state = strategy.makeWorkerState(
        worker: index, initial: model.flatParameters(), layout: environment.layout)
    }
  }

  /// The worker's complete state.
  func snapshot() throws -> WorkerSnapshot {
    WorkerSnapshot(
      worker: index, parameters: model.flatParameters(), buffers: model.flatBuffers(),
      optimizer: optimizer.exportState(), strategyState: try StateCoding.encode(state),
      dropoutRandomState: context.random.state, probeRandomState: probeRandom.state, epoch: epoch,
      batchInEpoch: batchInEpoch, steps: steps, syncs: syncs, windowLossSum: windowLossSum,
      windowWrong: windowWrong, windowCount: windowCount, localSeconds: localSeconds,
      distributedSeconds: distributedSeconds, waitSeconds: waitSeconds)
  }

  /// Runs local steps (and the syncs they complete) from step boundary `boundary` (local steps
  /// done) until the controller stops the run.
  /// - Throws: ``DivergenceError`` on a non-finite loss or gradient norm, the strategy's and the
  ///   transport's errors, or ``RunAbortedError`` when another worker failed.
  func run(from boundary: Int) throws {
    var boundary = boundary
    while true {
      let decision = try controller.decision(at: boundary)
      if decision.pauses {
        try controller.deposit(try snapshot(), at: boundary, decision: decision)
        if decision.stop != nil { return }
        // The training windows restart after every evaluation.
        if decision.evaluate {
          windowLossSum = 0
          windowWrong = 0
          windowCount = 0
        }
      }
      try checkNotAborted()
      try step(trainingSeconds: decision.trainingSeconds)
      boundary += 1
    }
  }

  // MARK: - Steps

  private func checkNotAborted() throws {
    if controller.hasFailed { throw RunAbortedError(worker: index) }
  }

  /// One local step: the optimizer's step on the next batch (which syncs first when the strategy
  /// exchanges gradients), the strategy's after-step hook, then a periodic sync when it is due.
  private func step(trainingSeconds: Double) throws {
    slots.acquire()
    defer { slots.release() }
    let started = Date()
    syncSecondsInStep = 0
    setLearningRate(trainingSeconds: trainingSeconds)
    currentBatch = try nextBatch()
    computations = 0
    _ = try optimizer.step(computing: self)
    optimizer.zeroGradients()
    currentBatch = nil
    steps += 1
    controller.record(
      worker: index, steps: steps, lossSum: windowLossSum, wrong: windowWrong, count: windowCount)
    let due = try driver.afterLocalStep(self, state: &state)
    localSeconds += Date().timeIntervalSince(started) - syncSecondsInStep
    if due {
      try sync()
    }
  }

  /// A sync, entered holding a compute slot: the contribution (and any measurement the strategy
  /// asks for), the exchange without the slot, the strategy's finish.
  private func sync() throws {
    let entered = Date()
    var started = entered
    let contribution = try driver.contribution(self, state: &state)
    distributedSeconds += Date().timeIntervalSince(started)
    slots.release()
    let exchangeStarted = Date()
    let reply: SyncReply<Strategy.Outcome>
    do {
      reply = try transport.exchange(contribution, round: syncs)
    } catch {
      slots.acquire()
      throw error
    }
    let elapsed = Date().timeIntervalSince(exchangeStarted)
    distributedSeconds += reply.centerSeconds
    waitSeconds += max(0, elapsed - reply.centerSeconds)
    // Waiting for a compute slot is neither distributed work nor waiting for the center.
    slots.acquire()
    started = Date()
    try driver.finish(self, outcome: reply.outcome, state: &state)
    syncs += 1
    distributedSeconds += Date().timeIntervalSince(started)
    syncSecondsInStep += Date().timeIntervalSince(entered)
  }

  // MARK: - GradientComputation

  /// Forward and backward on the step's batch; the first computation of a step is its loss and
  /// counts in the training window.
  func computeGradients() throws -> Float {
    guard let batch = currentBatch else {
      throw DistributedError.countMismatch("worker \(index): a gradient computation outside a step")
    }
    computations += 1
    let loss = try forwardBackward(batch, recordWindow: computations == 1)
    if computations == 1 { currentLoss = loss }
    return Float(loss)
  }

  /// The strategy's hook, and a gradient sync when the schedule says so.
  func gradientsAreFinal() throws {
    if try driver.gradientsAreFinal(self, state: &state) {
      try sync()
    }
  }

  // MARK: - WorkerContext

  var worker: Int { index }
  var layout: ParameterLayout { environment.layout }
  var step: Int { steps }
  var loss: Double { currentLoss }

  func parameters() throws -> [Float] { model.flatParameters() }
  func setParameters(_ parameters: [Float]) throws { try model.setFlatParameters(parameters) }
  func gradients() throws -> [Float] { model.flatGradients() }
  func setGradients(_ gradients: [Float]) throws { try model.setFlatGradients(gradients) }

  func gradientNorms() throws -> [Double] {
    let norms = model.tensorGradientNorms()
    try checkFinite(norms, quantity: "gradient norm")
    return norms
  }

  func probeGradientNorms() throws -> [Double] { try probeNorms() }

  // MARK: - Passes

  private func setLearningRate(trainingSeconds: Double) {
    optimizer.learningRate = environment.task.schedule.learningRate(
      base: baseLearningRate,
      at: TrainingProgress(
        epoch: Double(steps) / Double(environment.stepsPerEpoch), step: steps,
        elapsedSeconds: trainingSeconds))
  }

  /// The next mini-batch of the worker's shard; a new epoch reshuffles.
  private func nextBatch() throws -> Batch {
    if batchInEpoch >= shard.batchesPerEpoch {
      epoch += 1
      batchInEpoch = 0
    }
    let batch = try shard.batch(epoch: epoch, index: batchInEpoch)
    batchInEpoch += 1
    return batch
  }

  /// Forward in training mode, the task's mean loss, backward; returns the loss.
  private func forwardBackward(_ batch: Batch, recordWindow: Bool = true) throws -> Double {
    let output = try model(batch.images, context)
    let loss = try environment.task.loss(output, batch: batch, reduction: .mean)
    let value = Double(loss.scalar)
    guard value.isFinite else {
      throw DivergenceError(worker: index, step: steps + 1, quantity: "loss", value: value)
    }
    if recordWindow {
      windowLossSum += value * Double(batch.count)
      windowWrong += Evaluation.misclassified(output, labels: batch.labels)
      windowCount += batch.count
    }
    try loss.backward()
    return value
  }

  /// Per-tensor gradient norms of the probe batch (docs/algorithms.md, "Probe batch"): the data source's
  /// probe batch drawn with the worker's seeded generator, the task's sum-reduced loss, no weight
  /// decay, batch statistics without touching the running ones.
  private func probeNorms() throws -> [Double] {
    let batch = try environment.task.data.probeBatch(using: &probeRandom)
    let probeContext = ForwardContext(mode: .trainingFrozenStatistics, random: probeRandom)
    optimizer.zeroGradients()
    let output = try model(batch.images, probeContext)
    probeRandom = probeContext.random
    let loss = try environment.task.loss(output, batch: batch, reduction: .sum)
    guard loss.scalar.isFinite else {
      throw DivergenceError(worker: index, step: steps, quantity: "probe-batch loss", value: Double(loss.scalar))
    }
    try loss.backward()
    let norms = model.tensorGradientNorms()
    optimizer.zeroGradients()
    try checkFinite(norms, quantity: "probe-batch gradient norm")
    return norms
  }

  private func checkFinite(_ norms: [Double], quantity: String) throws {
    if let bad = norms.first(where: { !$0.isFinite }) {
      throw DivergenceError(worker: index, step: steps, quantity: quantity, value: bad)
    }
  }
}

/// A worker stopped because another worker failed; the run reports the other worker's error.
public struct RunAbortedError: Error, CustomStringConvertible {
  /// The worker that stopped.
  public let worker: Int
  /// A message naming the worker.
  public var description: String { "worker \(worker) stopped because another worker failed" }
}
