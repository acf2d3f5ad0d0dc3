import GrawaTensor

/// Elastic averaging SGD (Zhang, Choromanska and LeCun 2015, eqs. 5-6; docs/algorithms.md, "EASGD").
///
/// At every sync, with `beta = c2` and `alpha = beta / W`:
/// workers `x_i <- (1 - alpha) x_i + alpha * m_old`; master `m <- (1 - beta) m_old + beta *
/// mean_i(x_i)`, with the workers' values from before their pull. The master starts at the common
/// initial parameters and is the model the run reports as its center.
public struct EASGD: DistributedStrategy {
  /// The master (center) variable.
  public struct CenterState: Sendable, Codable, Equatable {
    /// m, the master's flat parameters.
    public var master: [Float]

    /// A state holding `master`.
    public init(master: [Float]) { self.master = master }

    private enum CodingKeys: String, CodingKey { case master }

    /// Reads a state written by ``encode(to:)``, or an older one (see
    /// ``KeyedDecodingContainer/decodeFloatVector(forKey:)``).
    public init(from decoder: any Decoder) throws {
      master = try decoder.container(keyedBy: CodingKeys.self).decodeFloatVector(forKey: .master)
    }

    /// Writes the master as one block of bytes
    /// (``KeyedEncodingContainer/encodeFloatVector(_:forKey:)``).
    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encodeFloatVector(master, forKey: .master)
    }
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
  public var name: String { "easgd" }
  /// Every tau steps.
  public var schedule: SyncSchedule { .periodic(communicationPeriod: communicationPeriod) }

  /// The master starts at the common initial parameters.
  public func makeCenterState(initial: [Float], layout: ParameterLayout, workerCount: Int) -> CenterState {
    CenterState(master: initial)
  }

  /// The master moves `beta` toward the workers' mean; workers will move `alpha = beta / W` toward
  /// the old master.
  public func outcome(
    of reports: [Contribution<NoState>], combination: VectorCombination, combined: [Float], state: inout CenterState
  ) throws -> PullOutcome {
    let old = state.master
    var master = old
    try WeightedAverage.interpolate(&master, toward: combined, fraction: Float(movingRate))
    state.master = master
    return PullOutcome(target: old, pullFraction: Float(movingRate / Double(reports.count)))
  }

  /// Moves `alpha` toward the old master.
  public func finish(_ worker: any WorkerContext, outcome: PullOutcome, state: inout NoState) throws {
    var parameters = try worker.parameters()
    try WeightedAverage.interpolate(&parameters, toward: outcome.target, fraction: outcome.pullFraction)
    try worker.setParameters(parameters)
  }

  /// The master.
  public func reportedCenter(state: CenterState) -> [Float]? { state.master }
}
