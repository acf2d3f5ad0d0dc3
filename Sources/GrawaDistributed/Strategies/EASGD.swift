import GrawaTensor

/// Elastic averaging SGD (Zhang, Choromanska and LeCun 2015, eqs. 5-6; REFERENCE.md section 3).
///
/// At every sync, with `beta = c2` and `alpha = beta / W`:
/// workers `x_i <- (1 - alpha) x_i + alpha * m_old`; master `m <- (1 - beta) m_old + beta *
/// mean_i(x_i)`, with the workers' values from before their pull. The master starts at the common
/// initial parameters and is the model the run reports as its center.
public struct EASGD: DistributedStrategy {
  /// The strategy keeps no per-worker state.
  public typealias WorkerState = NoState

  /// The master (center) variable.
  public struct CenterState: Sendable, Codable, Equatable {
    /// m, the master's flat parameters.
    public var master: [Float]
  }

  /// tau, local steps between syncs.
  public let communicationPeriod: Int
  /// beta (= c2), the master's moving rate; each worker moves by `alpha = beta / W`.
  public let movingRate: Double

  /// EASGD syncing every `communicationPeriod` steps with moving rate `movingRate`.
  /// - Precondition: `communicationPeriod >= 1`, `movingRate` in `[0, 1]`.
  public init(communicationPeriod: Int = 4, movingRate: Double = 0.1) {
    precondition(communicationPeriod >= 1, "EASGD: communication period must be >= 1")
    precondition(movingRate >= 0 && movingRate <= 1, "EASGD: moving rate must be in [0, 1]")
    self.communicationPeriod = communicationPeriod
    self.movingRate = movingRate
  }

  /// `"easgd"`.
  public var name: String { StrategyKind.easgd.rawValue }
  /// Every tau steps.
  public var schedule: SyncSchedule { .periodic(communicationPeriod: communicationPeriod) }

  /// The master starts at the common initial parameters.
  public func makeCenterState(initial: [Float], layout: ParameterLayout, workerCount: Int) -> CenterState {
    CenterState(master: initial)
  }

  /// Workers move `alpha = beta / W` toward the old master; the master moves `beta` toward the
  /// workers' mean.
  public func center(
    from contributions: [Contribution], state: inout CenterState, layout: ParameterLayout
  ) throws -> SyncOutcome {
    let workers = contributions.count
    let equal = [Double](repeating: 1 / Double(workers), count: workers)
    let mean = try WeightedAverage.combine(contributions.map(\.vector), weights: equal)
    let old = state.master
    var master = old
    try WeightedAverage.interpolate(&master, toward: mean, fraction: Float(movingRate))
    state.master = master
    return SyncOutcome(target: old, pullFraction: Float(movingRate / Double(workers)))
  }

  /// The master.
  public func reportedCenter(state: CenterState) -> [Float]? { state.master }
}
