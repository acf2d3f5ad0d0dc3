import GrawaTensor

/// The one place that says in which order a strategy's parts run (docs/algorithms.md, "A round"):
/// the engine's workers, the toy simulation, the tests and a user's own training loop all drive a
/// strategy through it, so the order cannot drift between them.
///
/// On each worker, every optimizer step calls ``gradientsAreFinal(_:state:)`` when the gradients
/// to apply are final and ``afterLocalStep(_:state:)`` after the update; each returns whether a
/// sync is due now (the ``SyncSchedule/everyStep`` schedule syncs at the first, a periodic one at
/// the second). A sync is ``contribution(_:state:)`` on every worker, ``center(_:state:layout:)``
/// once with the contributions in worker order, and ``finish(_:outcome:state:)`` on every worker.
/// ``round(_:states:center:layout:)`` runs a whole sync for workers driven from one thread.
public struct SyncDriver<Strategy: DistributedStrategy>: Sendable {
  /// The strategy driven.
  public let strategy: Strategy

  /// A driver of `strategy`.
  public init(_ strategy: Strategy) {
    self.strategy = strategy
  }

  // MARK: - Worker side

  /// The worker's gradients are final: runs the strategy's hook.
  /// - Returns: whether the worker syncs now, before its update (``SyncSchedule/everyStep``).
  public func gradientsAreFinal(_ worker: any WorkerContext, state: inout Strategy.WorkerState) throws -> Bool {
    try strategy.gradientsAreFinal(worker, state: &state)
    return strategy.schedule == .everyStep
  }

  /// The worker's update is done: runs the strategy's hook.
  /// - Returns: whether the worker syncs now (a periodic schedule whose period this step ends).
  public func afterLocalStep(_ worker: any WorkerContext, state: inout Strategy.WorkerState) throws -> Bool {
    try strategy.afterLocalStep(worker, state: &state)
    if case .periodic(let period) = strategy.schedule {
      return worker.step % period == 0
    }
    return false
  }

  /// The worker's message for a sync.
  public func contribution(
    _ worker: any WorkerContext, state: inout Strategy.WorkerState
  ) throws -> Contribution<Strategy.Report> {
    let contribution = try strategy.contribution(worker, state: &state)
    guard contribution.worker == worker.worker else {
      throw DistributedError.countMismatch(
        "\(strategy.name): worker \(worker.worker) made a contribution labelled worker \(contribution.worker)")
    }
    return contribution
  }

  /// Applies the center's outcome on the worker.
  public func finish(
    _ worker: any WorkerContext, outcome: Strategy.Outcome, state: inout Strategy.WorkerState
  ) throws {
    try strategy.finish(worker, outcome: outcome, state: &state)
  }

  // MARK: - Center side

  /// The center of one sync in one process: the strategy's combination of the reports, the vectors
  /// combined in worker order, the strategy's outcome.
  /// - Parameter contributions: one per worker, in worker order.
  /// - Throws: the strategy's errors, or ``DistributedError`` when the combination does not fit the
  ///   vectors.
  public func center(
    _ contributions: [Contribution<Strategy.Report>], state: inout Strategy.CenterState, layout: ParameterLayout
  ) throws -> Strategy.Outcome {
    for (index, contribution) in contributions.enumerated() where contribution.worker != index {
      throw DistributedError.countMismatch(
        "\(strategy.name): contribution \(index) of the sync comes from worker \(contribution.worker)")
    }
    let combination = try strategy.combination(of: contributions, state: &state, layout: layout)
    let combined = try combination.apply(to: contributions.map(\.vector), layout: layout)
    return try strategy.outcome(of: contributions, combination: combination, combined: combined, state: &state)
  }

  // MARK: - Whole rounds

  /// One whole sync of `workers` (in worker order) driven from one thread: every contribution, the
  /// center, every finish.
  /// - Returns: the contributions and the outcome.
  @discardableResult
  public func round(
    _ workers: [any WorkerContext], states: inout [Strategy.WorkerState], center: inout Strategy.CenterState,
    layout: ParameterLayout
  ) throws -> (contributions: [Contribution<Strategy.Report>], outcome: Strategy.Outcome) {
    guard workers.count == states.count else {
      throw DistributedError.countMismatch("\(workers.count) workers for \(states.count) worker states")
    }
    var contributions: [Contribution<Strategy.Report>] = []
    for index in workers.indices {
      contributions.append(try contribution(workers[index], state: &states[index]))
    }
    let outcome = try self.center(contributions, state: &center, layout: layout)
    for index in workers.indices {
      try finish(workers[index], outcome: outcome, state: &states[index])
    }
    return (contributions, outcome)
  }
}

extension VectorCombination {
  /// Carries out the combination on `vectors` (one per worker, in worker order) in one process:
  /// weighted sums accumulate in `Double` in worker order (bit-reproducible).
  /// - Throws: ``DistributedError`` when the weights do not fit the vectors or the layout.
  public func apply(to vectors: [[Float]], layout: ParameterLayout) throws -> [Float] {
    switch self {
    case .weightedSum(let weights):
      guard let columns = weights.first?.count, weights.allSatisfy({ $0.count == columns }) else {
        throw DistributedError.countMismatch("weighted sum: ragged or empty weights")
      }
      if columns == 1 {
        return try WeightedAverage.combine(vectors, weights: weights.map { $0[0] })
      }
      return try WeightedAverage.combinePerTensor(vectors, weights: weights, layout: layout)
    case .select(let worker):
      guard vectors.indices.contains(worker) else {
        throw DistributedError.countMismatch("selected worker \(worker) of \(vectors.count)")
      }
      return vectors[worker]
    case .none:
      return []
    }
  }
}
