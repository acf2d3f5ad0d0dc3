import GrawaTensor

/// Leader SGD (Teng et al. 2019) with one group (REFERENCE.md section 3).
///
/// The leader is the worker with the lowest running training loss: the mean of its last 4
/// mini-batch losses, each taken before its step; ties go to the lowest index. At a sync every
/// worker, the leader included, moves `x_i <- (1 - c2) x_i + c2 * x_leader`. Between syncs, when
/// p2 > 0, every step ends with the proximity pull toward the last leader (REFERENCE.md 2.3).
public struct LSGD: DistributedStrategy {
  /// A worker's loss window and proximity target.
  public struct WorkerState: Sendable, Codable, Equatable {
    /// The last (up to 4) mini-batch losses, oldest first.
    public var recentLosses: [Double]
    /// The last leader's parameters (the common initial parameters before the first sync); empty
    /// when the proximity pull is off, or while no target has been formed (``ProximityPull``).
    public var proximityTarget: [Float]

    /// A state from its parts.
    public init(recentLosses: [Double], proximityTarget: [Float]) {
      self.recentLosses = recentLosses
      self.proximityTarget = proximityTarget
    }
  }

  /// What a worker sends beside its parameters.
  public struct Report: Sendable, Codable, Equatable {
    /// The running loss: the mean of the worker's recent losses (infinity before any step).
    public var loss: Double

    /// A report of `loss`.
    public init(loss: Double) { self.loss = loss }
  }

  /// What every worker receives.
  public struct Outcome: Sendable, Equatable {
    /// The leader's parameters.
    public var target: [Float]
    /// c2, the fraction of the way each worker moves toward the leader.
    public var pullFraction: Float
    /// The leader's index.
    public var leader: Int

    /// An outcome from its parts.
    public init(target: [Float], pullFraction: Float, leader: Int) {
      self.target = target
      self.pullFraction = pullFraction
      self.leader = leader
    }
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
  public var name: String { "lsgd" }
  /// Every tau steps.
  public var schedule: SyncSchedule { .periodic(communicationPeriod: communicationPeriod) }
  /// `leader`: the leader at the last sync.
  public var metricNames: [String] { ["leader"] }

  /// An empty loss window; the proximity target is the common initial parameters (none when
  /// `initial` is empty: no pull until the first sync forms one).
  public func makeWorkerState(worker: Int, initial: [Float], layout: ParameterLayout) -> WorkerState {
    WorkerState(recentLosses: [], proximityTarget: proximity.isEnabled ? initial : [])
  }

  /// Records the step's loss and applies the proximity pull.
  public func afterLocalStep(_ worker: any WorkerContext, state: inout WorkerState) throws {
    state.recentLosses.append(worker.loss)
    if state.recentLosses.count > LSGD.lossWindow {
      state.recentLosses.removeFirst(state.recentLosses.count - LSGD.lossWindow)
    }
    try proximity.apply(to: worker, toward: state.proximityTarget)
  }

  /// The parameters and the running loss.
  public func contribution(_ worker: any WorkerContext, state: inout WorkerState) throws -> Contribution<Report> {
    let losses = state.recentLosses
    let running = losses.isEmpty ? Double.infinity : losses.reduce(0, +) / Double(losses.count)
    return Contribution(worker: worker.worker, vector: try worker.parameters(), report: Report(loss: running))
  }

  /// The leader (lowest running loss, ties to the lowest index).
  /// - Throws: ``DistributedError/nonFiniteScore(worker:value:)`` for a NaN loss.
  public func combination(
    of reports: [Contribution<Report>], state: inout NoState, layout: ParameterLayout
  ) throws -> VectorCombination {
    var leader = 0
    var best = Double.infinity
    for (index, contribution) in reports.enumerated() {
      let loss = contribution.report.loss
      if loss.isNaN {
        throw DistributedError.nonFiniteScore(worker: contribution.worker, value: loss)
      }
      // Strictly lower only: a tie keeps the earlier (lower-index) worker.
      if loss < best || (index == 0 && best == .infinity) {
        best = loss
        leader = index
      }
    }
    return .select(worker: leader)
  }

  /// The leader's parameters with c2.
  public func outcome(
    of reports: [Contribution<Report>], combination: VectorCombination, combined: [Float], state: inout NoState
  ) throws -> Outcome {
    guard case .select(let leader) = combination else {
      throw DistributedError.countMismatch("lsgd: the center was not formed by selecting a leader")
    }
    return Outcome(target: combined, pullFraction: Float(pullStrength), leader: reports[leader].worker)
  }

  /// Moves toward the leader and keeps the leader as the proximity target.
  public func finish(_ worker: any WorkerContext, outcome: Outcome, state: inout WorkerState) throws {
    var parameters = try worker.parameters()
    try WeightedAverage.interpolate(&parameters, toward: outcome.target, fraction: outcome.pullFraction)
    try worker.setParameters(parameters)
    if proximity.isEnabled {
      state.proximityTarget = outcome.target
    }
  }

  /// The leader.
  public func metrics(of outcome: Outcome) -> [StrategyMetric] {
    [StrategyMetric("leader", .scalar(Double(outcome.leader)))]
  }
}
