import GrawaTensor

/// A distributed training algorithm: what a worker sends at a sync, how the center combines the
/// workers' contributions, and how each worker moves afterwards (docs/algorithms.md).
///
/// A strategy is a pure value with its own types: the ``Report`` a worker sends beside its vector,
/// the ``Outcome`` every worker receives back, and its mutable state in ``WorkerState`` (one per
/// worker, changed only on that worker's thread) and ``CenterState`` (one per run, changed only by
/// the center), both `Codable` so checkpoints can hold them. It asks its worker for what it needs
/// (parameters, gradients, a probe-batch gradient norm) through a ``WorkerContext``; the engine
/// never looks inside a strategy.
///
/// One round of a sync is split so that it can run anywhere: ``contribution(_:state:)`` on every
/// worker; ``combination(of:state:layout:)`` on the reports alone (cheap, deterministic) says how
/// the vectors combine; the transport combines them; ``outcome(of:combination:combined:state:)`` finishes the
/// center; ``finish(_:outcome:state:)`` on every worker. ``SyncDriver`` is the one place that
/// calls these in order, for the engine, the toy simulation, the tests and a user's own loop.
///
/// To add a strategy, write a type conforming to this protocol (see `Examples/custom-strategy`)
/// and run it with ``DistributedTrainer``.
public protocol DistributedStrategy: Sendable {
  /// State each worker keeps between steps (for example the proximity target or running norm
  /// estimates). It goes into every snapshot and checkpoint as a binary property list: encode a
  /// vector of one float per parameter with
  /// ``Swift/KeyedEncodingContainer/encodeFloatVector(_:forKey:)``, which writes it as one block
  /// (a plain `[Float]` becomes one property-list number per float: seconds and gigabytes for
  /// models of tens of millions of parameters).
  associatedtype WorkerState: Sendable & Codable = NoState
  /// State the center keeps between syncs (for example EASGD's master or the norm momentum);
  /// encoded as ``WorkerState`` is.
  associatedtype CenterState: Sendable & Codable = NoState
  /// What a worker sends beside its vector (for example gradient-norm scores or a running loss).
  associatedtype Report: Sendable & Codable = NoState
  /// What every worker receives from the center.
  associatedtype Outcome: Sendable

  /// A short name for logs.
  var name: String { get }
  /// When the workers communicate.
  var schedule: SyncSchedule { get }
  /// The names of the metrics ``metrics(of:)`` publishes, in column order (fixed for a run, so a
  /// CSV header can name them before the first sync).
  var metricNames: [String] { get }

  /// Worker `worker`'s initial state; `initial` is the common initial parameters. A driver whose
  /// workers start at different points (the toy simulation) may pass an empty `initial`: the
  /// strategy then starts with no proximity target, and ``ProximityPull`` pulls nowhere until a
  /// sync forms one.
  func makeWorkerState(worker: Int, initial: [Float], layout: ParameterLayout) -> WorkerState
  /// The center's initial state for `workerCount` workers starting from `initial`.
  func makeCenterState(initial: [Float], layout: ParameterLayout, workerCount: Int) -> CenterState

  /// On the worker, once per optimizer step, when the gradients the update will apply are final
  /// (before a sync of the ``SyncSchedule/everyStep`` schedule): for example, recording their
  /// norms.
  /// - Throws: a ``DivergenceError`` or ``DistributedError`` when a measurement is not finite.
  func gradientsAreFinal(_ worker: any WorkerContext, state: inout WorkerState) throws

  /// On the worker, after each local step's update (before a periodic sync that step completes):
  /// for example the proximity pull or recording the step's loss.
  /// - Throws: a ``DivergenceError`` or ``DistributedError`` when a measurement is not finite.
  func afterLocalStep(_ worker: any WorkerContext, state: inout WorkerState) throws

  /// On the worker at a sync: its vector (parameters or gradients) and report.
  /// - Throws: the context's measurement errors.
  func contribution(_ worker: any WorkerContext, state: inout WorkerState) throws -> Contribution<Report>

  /// In the center, from every worker's report in worker order: how their vectors combine.
  /// Must be deterministic in its inputs (a multi-process transport may run it on every process).
  /// - Throws: ``DistributedError`` on mismatched or non-finite reports.
  func combination(
    of reports: [Contribution<Report>], state: inout CenterState, layout: ParameterLayout
  ) throws -> VectorCombination

  /// In the center: the outcome, from the reports, the combination ``combination(of:state:layout:)``
  /// chose and the combined vector (empty for ``VectorCombination/none``).
  /// - Throws: ``DistributedError``.
  func outcome(
    of reports: [Contribution<Report>], combination: VectorCombination, combined: [Float], state: inout CenterState
  ) throws -> Outcome

  /// On the worker after a sync: applies the outcome (moves the parameters, or installs the
  /// averaged gradients).
  func finish(_ worker: any WorkerContext, outcome: Outcome, state: inout WorkerState) throws

  /// The figures this sync's outcome publishes into the next metrics row, named as
  /// ``metricNames`` says.
  func metrics(of outcome: Outcome) -> [StrategyMetric]

  /// The model the run reports as "center" (docs/algorithms.md, "Evaluation of a run"), when it is not the plain
  /// average of the workers: EASGD's master.
  func reportedCenter(state: CenterState) -> [Float]?
  /// The strategy's own weighted center at the last sync (the GRAWA family), reported beside the
  /// plain average.
  func weightedCenter(state: CenterState) -> [Float]?
}

extension DistributedStrategy {
  /// No metrics by default.
  public var metricNames: [String] { [] }
  /// No metrics by default.
  public func metrics(of outcome: Outcome) -> [StrategyMetric] { [] }

  /// Does nothing by default.
  public func gradientsAreFinal(_ worker: any WorkerContext, state: inout WorkerState) throws {}
  /// Does nothing by default.
  public func afterLocalStep(_ worker: any WorkerContext, state: inout WorkerState) throws {}

  /// The plain average is reported by default.
  public func reportedCenter(state: CenterState) -> [Float]? { nil }
  /// No weighted center by default.
  public func weightedCenter(state: CenterState) -> [Float]? { nil }
}

/// State (or a report) for strategies that keep none.
public struct NoState: Sendable, Codable, Equatable {
  /// The empty state.
  public init() {}
}

extension DistributedStrategy where WorkerState == NoState {
  /// No per-worker state.
  public func makeWorkerState(worker: Int, initial: [Float], layout: ParameterLayout) -> NoState { NoState() }
}

extension DistributedStrategy where Report == NoState {
  /// The worker's parameters, with nothing else (EASGD, independent workers).
  public func contribution(_ worker: any WorkerContext, state: inout WorkerState) throws -> Contribution<NoState> {
    Contribution(worker: worker.worker, vector: try worker.parameters(), report: NoState())
  }

  /// The plain average of the workers' vectors.
  public func combination(
    of reports: [Contribution<NoState>], state: inout CenterState, layout: ParameterLayout
  ) throws -> VectorCombination {
    .mean(of: reports.count)
  }
}

extension DistributedStrategy where CenterState == NoState {
  /// No center state.
  public func makeCenterState(initial: [Float], layout: ParameterLayout, workerCount: Int) -> NoState { NoState() }
}

/// The outcome of the strategies whose workers move toward one target at a sync:
/// `x_i <- (1 - pullFraction) * x_i + pullFraction * target` (EASGD, LSGD, the GRAWA family), or,
/// for gradient exchanges, the gradient every worker applies (``target``; no pull).
public struct PullOutcome: Sendable, Equatable {
  /// What workers move toward, or the gradient they apply.
  public var target: [Float]
  /// The fraction of the way each worker moves toward ``target`` (EASGD's alpha, LSGD's and
  /// GRAWA's c2); 0 for gradient exchanges.
  public var pullFraction: Float

  /// An outcome from its parts.
  public init(target: [Float], pullFraction: Float) {
    self.target = target
    self.pullFraction = pullFraction
  }
}
