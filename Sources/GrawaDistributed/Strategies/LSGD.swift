import GrawaTensor

/// Leader SGD (Teng et al. 2019) with one group (docs/algorithms.md, "LSGD").
///
/// The leader is the worker with the lowest running training loss, read from its last 4 mini-batch
/// losses (each taken before its step) by ``lossMeter``; ties go to the lowest index. At a sync
/// every worker, the leader included, moves `x_i <- (1 - c2) x_i + c2 * x_leader`. Between syncs,
/// when p2 > 0, every step ends with the proximity pull toward the last leader (docs/algorithms.md, "Proximity pull";
/// docs/algorithms.md, "LSGD").
public struct LSGD: DistributedStrategy {
  /// A worker's loss window and proximity target.
  public struct WorkerState: Sendable, Codable, Equatable {
    /// The last (up to 4) mini-batch losses, oldest first. Both meters read this same window, so a
    /// checkpoint's state does not depend on the meter.
    public var recentLosses: [Double]
    /// The last leader's parameters (the common initial parameters before the first sync); empty
    /// when the proximity pull is off, or while no target has been formed (``ProximityPull``).
    public var proximityTarget: [Float]

    /// A state from its parts.
    public init(recentLosses: [Double], proximityTarget: [Float]) {
      self.recentLosses = recentLosses
      self.proximityTarget = proximityTarget
    }

    private enum CodingKeys: String, CodingKey { case recentLosses, proximityTarget }

    /// Reads a state written by ``encode(to:)``, or an older one (see
    /// ``KeyedDecodingContainer/decodeFloatVector(forKey:)``).
    public init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: CodingKeys.self)
      recentLosses = try container.decode([Double].self, forKey: .recentLosses)
      proximityTarget = try container.decodeFloatVector(forKey: .proximityTarget)
    }

    /// Writes the proximity target as one block of bytes
    /// (``KeyedEncodingContainer/encodeFloatVector(_:forKey:)``).
    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(recentLosses, forKey: .recentLosses)
      try container.encodeFloatVector(proximityTarget, forKey: .proximityTarget)
    }
  }

  /// What a worker sends beside its parameters.
  public struct Report: Sendable, Codable, Equatable {
    /// The running loss, as ``LSGD/lossMeter`` reads the worker's recent losses (infinity before
    /// any step).
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

  /// How LSGD reads a worker's recent mini-batch losses into the running loss that elects the
  /// leader (docs/algorithms.md, "LSGD", and "Where we differ from the authors' code", row 8).
  ///
  /// The two meters agree as soon as ``LSGD/lossWindow`` losses are recorded: in a synchronous run
  /// with tau >= 4 (every setting of the paper) every sync sees a full window. Before that, the
  /// authors' meter divides by 4 where ``recordedLosses`` divides by the number recorded; in a
  /// synchronous run every worker has recorded the same number, so both elect the same leader and
  /// only the reported loss differs. With a worker behind the others (asynchronous mode, or a
  /// user's loop that syncs early) the leader can differ.
  public enum LossMeter: String, Sendable, Codable, CaseIterable {
    /// The authors' meter (`AverageMeter(running_size=4)` in the GRAWA/LSGD code): a window of 4
    /// slots that starts at zeros and always divides by 4, `(l_1 + ... + l_n) / 4` for n < 4.
    case authors
    /// The mean of the losses recorded so far, at most the last 4: `(l_1 + ... + l_n) / n`.
    case recordedLosses = "recorded-losses"

    /// The running loss of `recentLosses` (the last at most ``LSGD/lossWindow`` losses): +infinity
    /// when none is recorded yet, for both meters (the authors' worker starts its running loss at
    /// infinity too).
    public func reading(of recentLosses: [Double]) -> Double {
      guard !recentLosses.isEmpty else { return .infinity }
      let sum = recentLosses.reduce(0, +)
      switch self {
      case .authors: return sum / Double(LSGD.lossWindow)
      case .recordedLosses: return sum / Double(recentLosses.count)
      }
    }
  }

  /// How many recent losses the running loss reads.
  public static let lossWindow = 4

  /// tau, local steps between syncs.
  public let communicationPeriod: Int
  /// c2, the pull toward the leader at a sync.
  public let pullStrength: Double
  /// The proximity pull between syncs (p2).
  public let proximity: ProximityPull
  /// How the running loss is read from the recent losses.
  public let lossMeter: LossMeter

  /// LSGD with period `communicationPeriod`, pull `pullStrength`, proximity `proximityStrength`
  /// and running-loss meter `lossMeter`.
  ///
  /// The meter defaults to the authors' (``LossMeter/authors``), so that nothing of ours differs
  /// from their code where it can be seen: it changes no leader of a synchronous run and nothing at
  /// all once 4 losses are recorded (tau >= 4), but it is what their asynchronous leader and their
  /// reported running loss use.
  /// - Precondition: `communicationPeriod >= 1`, `pullStrength` in `[0, 1]`, `proximityStrength`
  ///   in `[0, tau]`.
  public init(
    communicationPeriod: Int = 4, pullStrength: Double = 0.1, proximityStrength: Double = 0.1,
    lossMeter: LossMeter = .authors
  ) {
    precondition(pullStrength >= 0 && pullStrength <= 1, "LSGD: pull strength must be in [0, 1]")
    self.communicationPeriod = communicationPeriod
    self.pullStrength = pullStrength
    self.proximity = ProximityPull(strength: proximityStrength, communicationPeriod: communicationPeriod)
    self.lossMeter = lossMeter
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

  /// The parameters and the running loss (``lossMeter``).
  public func contribution(_ worker: any WorkerContext, state: inout WorkerState) throws -> Contribution<Report> {
    let running = lossMeter.reading(of: state.recentLosses)
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
