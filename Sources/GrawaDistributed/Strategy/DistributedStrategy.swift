import GrawaTensor

/// When a strategy communicates: the *when*, kept apart from the *how* (the strategy's math).
public enum SyncSchedule: Sendable, Equatable, Codable {
  /// Workers exchange gradients after every local step (data parallelism).
  case everyStep
  /// Workers exchange parameters after every `communicationPeriod` local steps (tau).
  case periodic(communicationPeriod: Int)
  /// Workers never communicate (independent training, a control).
  case never

  /// Local steps between two syncs (1 for ``everyStep``; `nil` when there are no syncs).
  public var period: Int? {
    switch self {
    case .everyStep: 1
    case .periodic(let tau): tau
    case .never: nil
    }
  }
}

/// What a worker sends to the center at a sync.
public enum ExchangeKind: Sendable, Equatable, Codable {
  /// The worker's flat parameters (EASGD, LSGD, the GRAWA family).
  case parameters
  /// The worker's flat gradient of this step (DP+SGD); the center hands back the gradient every
  /// worker applies with its own optimizer.
  case gradients
  /// DP+SAM: the gradient at the worker's own SAM ascent point `x + rho * g / ||g||` (Foret et al.
  /// 2021), with `rho` given here; the center hands back the gradient applied at `x`.
  case sharpnessAwareGradients(rho: Float)
}

/// Which gradient norms the engine must measure for a strategy at each sync.
public enum ScoreSource: Sendable, Equatable, Codable {
  /// None (EASGD, LSGD, data parallelism).
  case none
  /// Per-tensor norms of a fresh probe-batch gradient at the sync (GRAWA, MGRAWA, LGRAWA;
  /// REFERENCE.md section 3: batch-size samples drawn uniformly from the whole training set, no
  /// augmentation, sum-reduced cross-entropy, no weight decay, batch statistics left untouched).
  case probeBatch
  /// Per-tensor norms of every local step's mean-loss gradient, measured before the optimizer
  /// step and handed to ``DistributedStrategy/afterLocalStep(_:report:state:)`` (Local-M/LGRAWA).
  case localSteps
}

/// What the engine tells a strategy about one local step of one worker.
public struct LocalStepReport: Sendable, Equatable {
  /// The worker's local steps so far, this one included.
  public var step: Int
  /// The mini-batch's mean loss, computed before the optimizer step.
  public var loss: Double
  /// Frobenius norms of this step's gradient, one per parameter tensor (before the optimizer
  /// step, without weight decay); present only for ``ScoreSource/localSteps``.
  public var tensorGradientNorms: [Double]?

  /// A report from its figures.
  public init(step: Int, loss: Double, tensorGradientNorms: [Double]? = nil) {
    self.step = step
    self.loss = loss
    self.tensorGradientNorms = tensorGradientNorms
  }
}

/// What a worker measured for a sync, handed to ``DistributedStrategy/contribution(worker:vector:measurements:state:)``.
public struct SyncMeasurements: Sendable, Equatable {
  /// Frobenius norms of the probe-batch gradient per parameter tensor (``ScoreSource/probeBatch``).
  public var probeTensorNorms: [Double]?

  /// Measurements from their figures.
  public init(probeTensorNorms: [Double]? = nil) {
    self.probeTensorNorms = probeTensorNorms
  }
}

/// One worker's message to the center at a sync. Only flat `Sendable` buffers cross threads.
public struct Contribution: Sendable, Equatable {
  /// The worker's index.
  public var worker: Int
  /// Flat parameters, or flat gradients for the data-parallel exchanges.
  public var vector: [Float]
  /// Gradient-norm scores: one for a whole-model score, one per tensor for a per-tensor score,
  /// empty when the strategy uses none.
  public var scores: [Double]
  /// A running training loss (LSGD's leader election), if the strategy uses one.
  public var loss: Double?

  /// A contribution from its parts.
  public init(worker: Int, vector: [Float], scores: [Double] = [], loss: Double? = nil) {
    self.worker = worker
    self.vector = vector
    self.scores = scores
    self.loss = loss
  }
}

/// The center's answer to a sync, the same for every worker.
public struct SyncOutcome: Sendable, Equatable {
  /// What workers move toward (parameter exchanges) or apply (gradient exchanges).
  public var target: [Float]
  /// The fraction of the way each worker moves toward ``target`` (EASGD's alpha, LSGD's and
  /// GRAWA's c2); unused by gradient exchanges.
  public var pullFraction: Float
  /// The averaging weights, `weights[worker][tensor]` (one column for whole-model weights);
  /// empty for strategies that do not weight workers.
  public var weights: [[Double]]
  /// The leader's index (LSGD).
  public var leader: Int?
  /// Seconds the center took to form this outcome; set by ``CenterModel``, not by strategies.
  public var centerSeconds: Double = 0

  /// An outcome from its parts.
  public init(target: [Float], pullFraction: Float, weights: [[Double]] = [], leader: Int? = nil) {
    self.target = target
    self.pullFraction = pullFraction
    self.weights = weights
    self.leader = leader
  }
}

/// A distributed training algorithm: what a worker sends at a sync, how the center combines the
/// workers' contributions, and how each worker moves afterwards (REFERENCE.md sections 2-3).
///
/// The engine (``DistributedTrainer``) owns everything else: threads, data, local SGD steps,
/// the probe batch, evaluation, checkpoints. A strategy is a pure value; its mutable state is in
/// ``WorkerState`` (one per worker, changed only on that worker's thread) and ``CenterState``
/// (one per run, changed only inside the center), both `Codable` so checkpoints can hold them.
/// The call order for one worker is: `afterLocalStep` after each local step; at a sync
/// `contribution`, then (in the center, once for all workers, in worker order) `center`, then
/// `pull` on every worker (for parameter exchanges).
///
/// To add a strategy, write a type conforming to this protocol (see `Examples/custom-strategy`)
/// and run it with ``DistributedTrainer``; built-in ones are listed in ``StrategyKind``.
public protocol DistributedStrategy: Sendable {
  /// State each worker keeps between steps (for example the proximity target or the running
  /// norm estimates).
  associatedtype WorkerState: Sendable, Codable
  /// State the center keeps between syncs (for example EASGD's master or the norm momentum).
  associatedtype CenterState: Sendable, Codable

  /// A short name for logs.
  var name: String { get }
  /// When the workers communicate.
  var schedule: SyncSchedule { get }
  /// What they send.
  var exchange: ExchangeKind { get }
  /// Which gradient norms the engine must measure.
  var scoreSource: ScoreSource { get }
  /// Whether ``afterLocalStep(_:report:state:)`` changes the parameters (the engine then hands
  /// them over flat after every step; otherwise it passes an empty vector).
  var changesParametersBetweenSyncs: Bool { get }

  /// Worker `worker`'s initial state; `initial` is the common initial parameters.
  func makeWorkerState(worker: Int, initial: [Float], layout: ParameterLayout) -> WorkerState
  /// The center's initial state for `workerCount` workers starting from `initial`.
  func makeCenterState(initial: [Float], layout: ParameterLayout, workerCount: Int) -> CenterState

  /// Runs on the worker's thread after each local step (proximity pull, running norm estimates).
  /// - Throws: a ``DivergenceError`` or ``DistributedError`` when a measurement is not finite.
  func afterLocalStep(_ parameters: inout [Float], report: LocalStepReport, state: inout WorkerState) throws

  /// Runs on the worker's thread at a sync: what it sends to the center.
  /// - Parameter vector: the flat parameters, or the flat gradient for gradient exchanges.
  func contribution(
    worker: Int, vector: [Float], measurements: SyncMeasurements, state: inout WorkerState
  ) throws -> Contribution

  /// Runs in the center once per sync with every worker's contribution, in worker order.
  /// - Throws: ``DistributedError`` on mismatched contributions or a non-finite score.
  func center(
    from contributions: [Contribution], state: inout CenterState, layout: ParameterLayout
  ) throws -> SyncOutcome

  /// Runs on the worker's thread after a parameter sync: moves `parameters` as the outcome says.
  func pull(_ parameters: inout [Float], outcome: SyncOutcome, state: inout WorkerState) throws

  /// The model the run reports as "center" (REFERENCE.md section 4), when it is not the plain
  /// average of the workers: EASGD's master.
  func reportedCenter(state: CenterState) -> [Float]?
  /// The strategy's own weighted center at the last sync (the GRAWA family), reported beside the
  /// plain average.
  func weightedCenter(state: CenterState) -> [Float]?
}

extension DistributedStrategy {
  /// No measurements are needed by default.
  public var scoreSource: ScoreSource { .none }
  /// Parameters are not changed between syncs by default.
  public var changesParametersBetweenSyncs: Bool { false }
  /// Parameters are exchanged by default.
  public var exchange: ExchangeKind { .parameters }

  /// Does nothing by default.
  public func afterLocalStep(_ parameters: inout [Float], report: LocalStepReport, state: inout WorkerState) throws {}

  /// Moves `parameters` by ``SyncOutcome/pullFraction`` toward ``SyncOutcome/target``.
  public func pull(_ parameters: inout [Float], outcome: SyncOutcome, state: inout WorkerState) throws {
    try WeightedAverage.interpolate(&parameters, toward: outcome.target, fraction: outcome.pullFraction)
  }

  /// The plain average is reported by default.
  public func reportedCenter(state: CenterState) -> [Float]? { nil }
  /// No weighted center by default.
  public func weightedCenter(state: CenterState) -> [Float]? { nil }
}

/// State for strategies that keep none.
public struct NoState: Sendable, Codable, Equatable {
  /// The empty state.
  public init() {}
}

extension DistributedStrategy where WorkerState == NoState {
  /// No per-worker state.
  public func makeWorkerState(worker: Int, initial: [Float], layout: ParameterLayout) -> NoState { NoState() }

  /// The vector as it is (parameters or gradient), with no scores.
  public func contribution(
    worker: Int, vector: [Float], measurements: SyncMeasurements, state: inout NoState
  ) throws -> Contribution {
    Contribution(worker: worker, vector: vector)
  }
}

extension DistributedStrategy where CenterState == NoState {
  /// No center state.
  public func makeCenterState(initial: [Float], layout: ParameterLayout, workerCount: Int) -> NoState { NoState() }
}
