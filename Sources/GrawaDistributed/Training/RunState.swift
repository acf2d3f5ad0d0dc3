import GrawaOptim

/// Everything one worker needs to continue exactly where it was: what a checkpoint holds per
/// worker, and what a worker hands to the run at an evaluation or at the end.
public struct WorkerSnapshot: Sendable, Equatable {
  /// The worker's index.
  public var worker: Int
  /// Flat parameters, in ``GrawaNN/Layer/namedParameters`` order.
  public var parameters: [Float]
  /// Flat buffers (batch-norm running statistics), in ``GrawaNN/Layer/namedBuffers`` order.
  public var buffers: [Float]
  /// The local optimizer's step count and momentum buffers.
  public var optimizer: OptimizerState
  /// The strategy's ``DistributedStrategy/WorkerState``, encoded (binary property list).
  public var strategyState: [UInt8]
  /// State of the generator dropout draws from.
  public var dropoutRandomState: [UInt64]
  /// State of the generator the probe batches are drawn from.
  public var probeRandomState: [UInt64]
  /// The epoch of the worker's shard it is in (0-based).
  public var epoch: Int
  /// The next batch of that epoch.
  public var batchInEpoch: Int
  /// Local steps taken.
  public var steps: Int
  /// Syncs taken part in.
  public var syncs: Int
  /// Sum of mini-batch losses times batch sizes since the last evaluation.
  public var windowLossSum: Double
  /// Misclassified training samples since the last evaluation.
  public var windowWrong: Int
  /// Training samples since the last evaluation.
  public var windowCount: Int
  /// Seconds spent in local steps.
  public var localSeconds: Double
  /// Seconds spent in distributed updates: probe pass, forming the center, pull (for the
  /// data-parallel strategies: writing back the averaged gradient).
  public var distributedSeconds: Double
  /// Seconds spent at syncs waiting for the other workers to arrive.
  public var waitSeconds: Double

  /// A snapshot from its parts.
  public init(
    worker: Int, parameters: [Float], buffers: [Float], optimizer: OptimizerState, strategyState: [UInt8],
    dropoutRandomState: [UInt64], probeRandomState: [UInt64], epoch: Int, batchInEpoch: Int, steps: Int,
    syncs: Int, windowLossSum: Double, windowWrong: Int, windowCount: Int, localSeconds: Double,
    distributedSeconds: Double, waitSeconds: Double = 0
  ) {
    self.worker = worker
    self.parameters = parameters
    self.buffers = buffers
    self.optimizer = optimizer
    self.strategyState = strategyState
    self.dropoutRandomState = dropoutRandomState
    self.probeRandomState = probeRandomState
    self.epoch = epoch
    self.batchInEpoch = batchInEpoch
    self.steps = steps
    self.syncs = syncs
    self.windowLossSum = windowLossSum
    self.windowWrong = windowWrong
    self.windowCount = windowCount
    self.localSeconds = localSeconds
    self.distributedSeconds = distributedSeconds
    self.waitSeconds = waitSeconds
  }
}

/// The whole state of a run at a step boundary: what a checkpoint file holds.
public struct RunState: Sendable, Equatable {
  /// The description of the run its driver gave (for `grawa-train`, the
  /// ``TrainingConfiguration``: strategy, model, data, hyperparameters), kept as JSON so the engine
  /// needs no knowledge of it; ``JSONValue/null`` when none was given.
  public var configuration: JSONValue
  /// The step boundary the state was taken at: local steps done by every worker (after the sync
  /// the last step completed, if any).
  public var boundary: Int
  /// Syncs the center has formed.
  public var centerSyncs: Int
  /// The strategy's ``DistributedStrategy/CenterState``, encoded (binary property list).
  public var centerState: [UInt8]
  /// Training seconds so far (evaluation and checkpoint time excluded).
  public var trainingSeconds: Double
  /// Wall-clock seconds so far.
  public var wallSeconds: Double
  /// Evaluations done so far.
  public var evaluations: Int
  /// Every worker's state, in worker order.
  public var workers: [WorkerSnapshot]
  /// The metrics rows of the evaluations so far, in order, so a resumed run can rebuild its
  /// metrics files from the checkpoint alone. Holds ``evaluations`` rows, or fewer when the state
  /// comes from a format-1 checkpoint (which carries none) or a run resumed from one.
  public var rows: [MetricsRow]

  /// A run state from its parts.
  public init(
    configuration: JSONValue, boundary: Int, centerSyncs: Int, centerState: [UInt8],
    trainingSeconds: Double, wallSeconds: Double, evaluations: Int, workers: [WorkerSnapshot],
    rows: [MetricsRow] = []
  ) {
    self.rows = rows
    self.configuration = configuration
    self.boundary = boundary
    self.centerSyncs = centerSyncs
    self.centerState = centerState
    self.trainingSeconds = trainingSeconds
    self.wallSeconds = wallSeconds
    self.evaluations = evaluations
    self.workers = workers
  }
}
