import GrawaTensor

/// DP+SAM: data parallelism with sharpness-aware minimisation (Foret et al. 2021; REFERENCE.md
/// section 3).
///
/// Every local step each worker computes its own mini-batch gradient g at x, moves to its own
/// ascent point `x + rho * g / ||g||` (not synchronised), and computes the gradient there; the
/// center averages those gradients and every worker applies the base SGD step at x with the mean.
public struct DataParallelSAM: DistributedStrategy {
  /// The strategy keeps no state.
  public typealias WorkerState = NoState
  /// The strategy keeps no state.
  public typealias CenterState = NoState

  /// rho, the radius of SAM's ascent step (0.05 in the paper).
  public let rho: Float

  /// DP+SAM with ascent radius `rho`.
  /// - Precondition: `rho` is finite and non-negative.
  public init(rho: Float = 0.05) {
    precondition(rho.isFinite && rho >= 0, "DataParallelSAM: rho must be >= 0, got \(rho)")
    self.rho = rho
  }

  /// `"dp-sam"`.
  public var name: String { StrategyKind.dataParallelSAM.rawValue }
  /// Every step.
  public var schedule: SyncSchedule { .everyStep }
  /// Gradients at each worker's SAM ascent point.
  public var exchange: ExchangeKind { .sharpnessAwareGradients(rho: rho) }

  /// The mean of the ascent-point gradients.
  public func center(
    from contributions: [Contribution], state: inout NoState, layout: ParameterLayout
  ) throws -> SyncOutcome {
    try DataParallelSGD.meanGradient(contributions)
  }
}
