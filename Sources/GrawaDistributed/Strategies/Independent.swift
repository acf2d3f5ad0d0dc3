import GrawaTensor

/// `none`: independent workers that never communicate, a control for the other strategies.
///
/// Each worker trains on its own shard from the common initial parameters. The reported center is
/// the plain average of the workers (docs/algorithms.md, "Evaluation of a run"), which for one worker is that worker.
public struct Independent: DistributedStrategy {
  /// Independent workers.
  public init() {}

  /// `"none"`.
  public var name: String { "none" }
  /// Never.
  public var schedule: SyncSchedule { .never }

  /// The plain average of the parameters (a sync never happens on the schedule; a user's loop
  /// may still force one), with no pull.
  public func outcome(
    of reports: [Contribution<NoState>], combination: VectorCombination, combined: [Float], state: inout NoState
  ) throws -> PullOutcome {
    PullOutcome(target: combined, pullFraction: 0)
  }

  /// Leaves the worker as it is.
  public func finish(_ worker: any WorkerContext, outcome: PullOutcome, state: inout NoState) throws {}
}
