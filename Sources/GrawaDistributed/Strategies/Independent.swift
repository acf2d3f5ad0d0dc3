import GrawaTensor

/// `none`: independent workers that never communicate, a control for the other strategies.
///
/// Each worker trains on its own shard from the common initial parameters. The reported center is
/// the plain average of the workers (REFERENCE.md section 4), which for one worker is that worker.
public struct Independent: DistributedStrategy {
  /// The strategy keeps no state.
  public typealias WorkerState = NoState
  /// The strategy keeps no state.
  public typealias CenterState = NoState

  /// Independent workers.
  public init() {}

  /// `"none"`.
  public var name: String { StrategyKind.none.rawValue }
  /// Never.
  public var schedule: SyncSchedule { .never }

  /// The plain average, with no pull.
  public func center(
    from contributions: [Contribution], state: inout NoState, layout: ParameterLayout
  ) throws -> SyncOutcome {
    let equal = [Double](repeating: 1 / Double(contributions.count), count: contributions.count)
    return SyncOutcome(target: try WeightedAverage.combine(contributions.map(\.vector), weights: equal), pullFraction: 0)
  }
}
