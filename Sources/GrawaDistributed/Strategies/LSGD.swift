import GrawaTensor

/// Leader SGD (Teng et al. 2019) with one group (REFERENCE.md section 3).
///
/// The leader is the worker with the lowest running training loss: the mean of its last 4
/// mini-batch losses, each taken before its step; ties go to the lowest index. At a sync every
/// worker, the leader included, moves `x_i <- (1 - c2) x_i + c2 * x_leader`. Between syncs, when
/// p2 > 0, every step ends with the proximity pull toward the last leader (REFERENCE.md 2.3).
public struct LSGD: DistributedStrategy {
  /// No center state: the leader is elected afresh at each sync.
  public typealias CenterState = NoState

  /// A worker's loss window and proximity target.
  public struct WorkerState: Sendable, Codable, Equatable {
    /// The last (up to 4) mini-batch losses, oldest first.
    public var recentLosses: [Double]
    /// The last leader's parameters (the common initial parameters before the first sync).
    public var proximityTarget: [Float]
  }

  /// How many recent losses the running loss averages.
  public static let lossWindow = 4

  /// tau, local steps between syncs.
  public let communicationPeriod: Int
  /// c2, the pull toward the leader at a sync.
  public let pullStrength: Double
  /// The proximity pull between syncs (p2).
  public let proximity: ProximityPull

  /// LSGD with period `communicationPeriod`, pull `pullStrength` and proximity `proximityStrength`.
  /// - Precondition: `communicationPeriod >= 1`, `pullStrength` in `[0, 1]`, `proximityStrength`
  ///   in `[0, tau]`.
  public init(communicationPeriod: Int = 4, pullStrength: Double = 0.1, proximityStrength: Double = 0.1) {
    precondition(pullStrength >= 0 && pullStrength <= 1, "LSGD: pull strength must be in [0, 1]")
    self.communicationPeriod = communicationPeriod
    self.pullStrength = pullStrength
    self.proximity = ProximityPull(strength: proximityStrength, communicationPeriod: communicationPeriod)
  }

  /// `"lsgd"`.
  public var name: String { StrategyKind.lsgd.rawValue }
  /// Every tau steps.
  public var schedule: SyncSchedule { .periodic(communicationPeriod: communicationPeriod) }
  /// True when p2 > 0.
  public var changesParametersBetweenSyncs: Bool { proximity.isEnabled }

  /// An empty loss window; the proximity target is the common initial parameters.
  public func makeWorkerState(worker: Int, initial: [Float], layout: ParameterLayout) -> WorkerState {
    WorkerState(recentLosses: [], proximityTarget: proximity.isEnabled ? initial : [])
  }

  /// Records the step's loss and applies the proximity pull.
  public func afterLocalStep(_ parameters: inout [Float], report: LocalStepReport, state: inout WorkerState) throws {
    state.recentLosses.append(report.loss)
    if state.recentLosses.count > LSGD.lossWindow {
      state.recentLosses.removeFirst(state.recentLosses.count - LSGD.lossWindow)
    }
    try proximity.apply(&parameters, toward: state.proximityTarget)
  }

  /// The parameters and the running loss.
  public func contribution(
    worker: Int, vector: [Float], measurements: SyncMeasurements, state: inout WorkerState
  ) throws -> Contribution {
    let losses = state.recentLosses
    let running = losses.isEmpty ? Double.infinity : losses.reduce(0, +) / Double(losses.count)
    return Contribution(worker: worker, vector: vector, loss: running)
  }

  /// Elects the leader (lowest running loss, ties to the lowest index) and pulls toward it.
  public func center(
    from contributions: [Contribution], state: inout NoState, layout: ParameterLayout
  ) throws -> SyncOutcome {
    var leader = 0
    var best = Double.infinity
    for (index, contribution) in contributions.enumerated() {
      let loss = contribution.loss ?? .infinity
      if loss.isNaN {
        throw DistributedError.nonFiniteScore(worker: contribution.worker, value: loss)
      }
      // Strictly lower only: a tie keeps the earlier (lower-index) worker.
      if loss < best || (index == 0 && best == .infinity) {
        best = loss
        leader = index
      }
    }
    return SyncOutcome(
      target: contributions[leader].vector, pullFraction: Float(pullStrength),
      leader: contributions[leader].worker)
  }

  /// Moves toward the leader and keeps the leader as the proximity target.
  public func pull(_ parameters: inout [Float], outcome: SyncOutcome, state: inout WorkerState) throws {
    try WeightedAverage.interpolate(&parameters, toward: outcome.target, fraction: outcome.pullFraction)
    if proximity.isEnabled {
      state.proximityTarget = outcome.target
    }
  }
}
