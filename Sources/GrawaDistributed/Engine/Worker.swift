import Foundation
import GrawaData
import GrawaNN
import GrawaOptim
import GrawaTensor

/// One worker of a run: its own model replica, optimizer, data shard, random streams and strategy
/// state, trained on its own thread. It runs rounds of local steps (REFERENCE.md section 2), syncs
/// through the transport, and at step boundaries follows the run controller's decision (pause
/// for an evaluation or a checkpoint, or stop), handing over a ``WorkerSnapshot``.
final class Worker<Strategy: DistributedStrategy> {
  let index: Int
  let strategy: Strategy
  let environment: WorkerEnvironment
  let transport: any Transport
  let controller: RunController
  let slots: ComputeSlots

  private let model: any Layer
  private let optimizer: SGD
  private let sam: SAM<SGD>?
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
  private var plan: BatchPlan?

  /// A worker starting from the common initialisation, or from `snapshot` when resuming.
  init(
    index: Int, strategy: Strategy, environment: WorkerEnvironment, transport: any Transport,
    controller: RunController, slots: ComputeSlots, resumingFrom snapshot: WorkerSnapshot?
  ) throws {
    self.index = index
    self.strategy = strategy
    self.environment = environment
    self.transport = transport
    self.controller = controller
    self.slots = slots
    let configuration = environment.configuration
    model = try environment.makeModel()
    optimizer = try SGD(parameters: model.parameters, configuration: configuration.optimizer)
    if case .sharpnessAwareGradients(let rho) = strategy.exchange {
      sam = try SAM(base: optimizer, rho: rho)
    } else {
      sam = nil
    }
    context = ForwardContext(
      mode: .training, random: RandomGenerator(seed: configuration.seed, stream: WorkerStreams.dropout(index)))
    probeRandom = RandomGenerator(seed: configuration.seed, stream: WorkerStreams.probe(index))
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

  /// One local step, followed by a sync when it completes a communication period.
  private func step(trainingSeconds: Double) throws {
    switch strategy.exchange {
    case .parameters:
      try localStep(trainingSeconds: trainingSeconds)
      if let period = strategy.schedule.period, steps % period == 0 {
        try syncParameters()
      }
    case .gradients, .sharpnessAwareGradients:
      try dataParallelStep(trainingSeconds: trainingSeconds)
    }
  }

  private func checkNotAborted() throws {
    if controller.hasFailed { throw RunAbortedError(worker: index) }
  }

  /// One local step: forward, mean cross-entropy, backward, SGD, then the strategy's hook.
  private func localStep(trainingSeconds: Double) throws {
    slots.acquire()
    defer { slots.release() }
    let started = Date()
    setLearningRate(trainingSeconds: trainingSeconds)
    let batch = try nextBatch()
    let loss = try forwardBackward(batch)
    var norms: [Double]?
    if strategy.scoreSource == .localSteps {
      let measured = model.tensorGradientNorms()
      try checkFinite(measured, quantity: "gradient norm")
      norms = measured
    }
    try optimizer.step()
    optimizer.zeroGradients()
    steps += 1
    try afterStep(loss: loss, norms: norms)
    localSeconds += Date().timeIntervalSince(started)
  }

  /// One data-parallel step: local gradient (at the SAM ascent point for DP+SAM), exchange of
  /// gradients, the same optimizer step on every worker with the averaged gradient.
  private func dataParallelStep(trainingSeconds: Double) throws {
    slots.acquire()
    var holdsSlot = true
    defer { if holdsSlot { slots.release() } }
    var started = Date()
    setLearningRate(trainingSeconds: trainingSeconds)
    let batch = try nextBatch()
    let loss = try forwardBackward(batch)
    var perturbation: SAMPerturbation?
    if let sam {
      perturbation = try sam.ascend()
      _ = try forwardBackward(batch, recordWindow: false)
    }
    let contribution = try strategy.contribution(
      worker: index, vector: model.flatGradients(), measurements: SyncMeasurements(), state: &state)
    localSeconds += Date().timeIntervalSince(started)
    slots.release()
    holdsSlot = false

    let outcome = try exchange(contribution)
    slots.acquire()
    holdsSlot = true
    started = Date()
    try model.setFlatGradients(outcome.target)
    if let sam, let perturbation {
      try sam.descend(from: perturbation)
    } else {
      try optimizer.step()
    }
    optimizer.zeroGradients()
    syncs += 1
    steps += 1
    distributedSeconds += Date().timeIntervalSince(started)
    try afterStep(loss: loss, norms: nil)
  }

  private func afterStep(loss: Double, norms: [Double]?) throws {
    controller.record(
      worker: index, steps: steps, lossSum: windowLossSum, wrong: windowWrong, count: windowCount)
    let report = LocalStepReport(step: steps, loss: loss, tensorGradientNorms: norms)
    if strategy.changesParametersBetweenSyncs {
      var parameters = model.flatParameters()
      try strategy.afterLocalStep(&parameters, report: report, state: &state)
      try model.setFlatParameters(parameters)
    } else {
      var unused: [Float] = []
      try strategy.afterLocalStep(&unused, report: report, state: &state)
    }
  }

  /// A parameter sync: probe pass if needed, contribution, exchange, pull.
  private func syncParameters() throws {
    // Waiting for a compute slot is neither distributed work nor waiting for the center.
    slots.acquire()
    var started = Date()
    var measurements = SyncMeasurements()
    let contribution: Contribution
    do {
      if strategy.scoreSource == .probeBatch {
        measurements.probeTensorNorms = try probeNorms()
      }
      contribution = try strategy.contribution(
        worker: index, vector: model.flatParameters(), measurements: measurements, state: &state)
    } catch {
      slots.release()
      throw error
    }
    slots.release()
    distributedSeconds += Date().timeIntervalSince(started)
    let outcome = try exchange(contribution)
    slots.acquire()
    defer { slots.release() }
    started = Date()
    var parameters = contribution.vector
    try strategy.pull(&parameters, outcome: outcome, state: &state)
    try model.setFlatParameters(parameters)
    syncs += 1
    distributedSeconds += Date().timeIntervalSince(started)
  }

  /// Sends `contribution` and waits for the outcome; the center's time to form it counts as
  /// distributed work, the rest of the wait as waiting for the other workers.
  private func exchange(_ contribution: Contribution) throws -> SyncOutcome {
    let started = Date()
    let outcome = try transport.exchange(contribution, round: syncs)
    let elapsed = Date().timeIntervalSince(started)
    distributedSeconds += outcome.centerSeconds
    waitSeconds += max(0, elapsed - outcome.centerSeconds)
    return outcome
  }

  // MARK: - Passes

  private func setLearningRate(trainingSeconds: Double) {
    let configuration = environment.configuration
    optimizer.learningRate = configuration.schedule.learningRate(
      base: configuration.optimizer.learningRate,
      at: TrainingProgress(
        epoch: Double(steps) / Double(environment.stepsPerEpoch), step: steps,
        elapsedSeconds: trainingSeconds))
  }

  /// The next mini-batch of the worker's shard; a new epoch reshuffles.
  private func nextBatch() throws -> Batch {
    let configuration = environment.configuration
    while true {
      if let plan, batchInEpoch < plan.batchCount {
        let batch = plan.batch(at: batchInEpoch)
        batchInEpoch += 1
        return batch
      }
      if plan != nil {
        epoch += 1
        batchInEpoch = 0
      }
      let next = try BatchPlan(
        dataset: environment.train, order: environment.sampler.shard(worker: index, epoch: epoch),
        batchSize: configuration.batchSize, dropLast: true, pipeline: environment.recipe.training,
        seed: configuration.seed, epoch: epoch, stream: WorkerStreams.augmentation(index))
      guard next.batchCount > 0 else {
        throw ConfigurationError("worker \(index): its shard holds no full batch")
      }
      plan = next
    }
  }

  /// Forward in training mode, mean cross-entropy, backward; returns the loss.
  private func forwardBackward(_ batch: Batch, recordWindow: Bool = true) throws -> Double {
    let logits = try model(batch.images, context)
    let loss = try logits.crossEntropy(labels: batch.labels)
    let value = Double(loss.scalar)
    guard value.isFinite else {
      throw DivergenceError(worker: index, step: steps + 1, quantity: "loss", value: value)
    }
    if recordWindow {
      let predictions = logits.argmaxLastAxis()
      windowLossSum += value * Double(batch.count)
      windowWrong += zip(predictions, batch.labels).filter { $0 != $1 }.count
      windowCount += batch.count
    }
    try loss.backward()
    return value
  }

  /// Per-tensor gradient norms of the probe batch (REFERENCE.md section 3): batch-size samples
  /// drawn uniformly from the whole training set with the worker's seeded generator, the
  /// deterministic evaluation transform, sum-reduced cross-entropy, no weight decay, batch
  /// statistics without touching the running ones.
  private func probeNorms() throws -> [Double] {
    let configuration = environment.configuration
    let train = environment.train
    let sampler = try SubsetSampler(
      populationCount: train.count, sampleCount: min(configuration.batchSize, train.count))
    let indices = sampler.sample(using: &probeRandom)
    var unused = RandomGenerator(seed: 0)
    let batch = try train.makeBatch(indices: indices, pipeline: environment.recipe.evaluation, using: &unused)
    let probeContext = ForwardContext(mode: .trainingFrozenStatistics, random: probeRandom)
    optimizer.zeroGradients()
    let logits = try model(batch.images, probeContext)
    probeRandom = probeContext.random
    let loss = try logits.crossEntropy(labels: batch.labels, reduction: .sum)
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
