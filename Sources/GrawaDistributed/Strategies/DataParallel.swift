import GrawaTensor

/// Synchronous data parallelism (docs/algorithms.md, "DP+SGD"): DP+SGD with an SGD optimizer, DP+SAM with
/// a ``GrawaOptim/SAM`` optimizer.
///
/// At every optimizer step, once each worker's gradients are final (for SAM: the gradients at its
/// own ascent point), the center averages them (in worker order, in `Double`) and every worker's
/// optimizer applies the mean, so the replicas stay identical. The effective batch is
/// `W * batchSize`.
public struct DataParallel: DistributedStrategy {
  /// The name logs show (`"dp-sgd"`, `"dp-sam"`).
  public let name: String

  /// Data parallelism, named `name` in logs.
  public init(name: String = "dp-sgd") {
    self.name = name
  }

  /// Every step.
  public var schedule: SyncSchedule { .everyStep }

  /// The worker's final gradients.
  public func contribution(_ worker: any WorkerContext, state: inout NoState) throws -> Contribution<NoState> {
    Contribution(worker: worker.worker, vector: try worker.gradients(), report: NoState())
  }

  /// The mean gradient, `(1/W) sum_i g_i`.
  public func outcome(
    of reports: [Contribution<NoState>], combination: VectorCombination, combined: [Float], state: inout NoState
  ) throws -> PullOutcome {
    PullOutcome(target: combined, pullFraction: 0)
  }

  /// Installs the mean gradient for the worker's update.
  public func finish(_ worker: any WorkerContext, outcome: PullOutcome, state: inout NoState) throws {
    try worker.setGradients(outcome.target)
  }
}
