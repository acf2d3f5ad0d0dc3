import GrawaTensor

/// DP+SGD: synchronous data parallelism (REFERENCE.md section 3).
///
/// Every local step each worker computes the mean-loss gradient of its own mini-batch; the center
/// averages the gradients (in worker order, in `Double`) and every worker applies the same SGD
/// step with the averaged gradient, so the replicas stay identical. The effective batch is
/// `W * batchSize`.
public struct DataParallelSGD: DistributedStrategy {
  /// The strategy keeps no state.
  public typealias WorkerState = NoState
  /// The strategy keeps no state.
  public typealias CenterState = NoState

  /// DP+SGD.
  public init() {}

  /// `"dp-sgd"`.
  public var name: String { StrategyKind.dataParallelSGD.rawValue }
  /// Every step.
  public var schedule: SyncSchedule { .everyStep }
  /// Gradients.
  public var exchange: ExchangeKind { .gradients }

  /// The mean gradient, `(1/W) sum_i g_i`.
  public func center(
    from contributions: [Contribution], state: inout NoState, layout: ParameterLayout
  ) throws -> SyncOutcome {
    try DataParallelSGD.meanGradient(contributions)
  }

  /// The equal-weight average of the contributions' vectors.
  static func meanGradient(_ contributions: [Contribution]) throws -> SyncOutcome {
    let equal = [Double](repeating: 1 / Double(contributions.count), count: contributions.count)
    let mean = try WeightedAverage.combine(contributions.map(\.vector), weights: equal)
    return SyncOutcome(target: mean, pullFraction: 0)
  }
}
