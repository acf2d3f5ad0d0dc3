import Foundation
import GrawaTensor

/// How the GRAWA family turns a worker's per-tensor gradient norms into its score.
public enum NormGranularity: String, Sendable, Codable, CaseIterable {
  /// One score per worker: the norm of the whole flattened gradient, `sqrt(sum_l ||G_l||^2)`
  /// (vanilla GRAWA, paper eq. 2).
  case wholeVector
  /// One score per worker: the sum of per-tensor norms, `sum_l ||G_l||` (MGRAWA, paper eq. 3).
  case sumOfTensorNorms
  /// One score per worker and tensor (LGRAWA, paper eq. 5): every tensor is averaged with its own
  /// weights.
  case perTensor

  /// The score(s) for per-tensor norms `norms`.
  public func scores(from norms: [Double]) -> [Double] {
    switch self {
    case .wholeVector: [norms.reduce(0) { $0 + $1 * $1 }.squareRoot()]
    case .sumOfTensorNorms: [norms.reduce(0, +)]
    case .perTensor: norms
    }
  }
}

/// A GRAWA worker's state: its proximity target and, for the local variants, its running
/// per-tensor norm estimate.
public struct GRAWAWorkerState: Sendable, Codable, Equatable {
  /// The last center (the common initial parameters before the first sync); empty when the
  /// proximity pull is off, or while no target has been formed (``ProximityPull``).
  public var proximityTarget: [Float]
  /// Local-M/LGRAWA: the bias-corrected running estimate of per-tensor norms since the last sync.
  public var localNorms: NormMomentum?

  /// A state from its parts.
  public init(proximityTarget: [Float], localNorms: NormMomentum? = nil) {
    self.proximityTarget = proximityTarget
    self.localNorms = localNorms
  }

  private enum CodingKeys: String, CodingKey { case proximityTarget, localNorms }

  /// Reads a state written by ``encode(to:)``, or an older one (see
  /// ``KeyedDecodingContainer/decodeFloatVector(forKey:)``).
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    proximityTarget = try container.decodeFloatVector(forKey: .proximityTarget)
    localNorms = try container.decodeIfPresent(NormMomentum.self, forKey: .localNorms)
  }

  /// Writes the proximity target as one block of bytes
  /// (``KeyedEncodingContainer/encodeFloatVector(_:forKey:)``).
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encodeFloatVector(proximityTarget, forKey: .proximityTarget)
    try container.encodeIfPresent(localNorms, forKey: .localNorms)
  }
}

/// The GRAWA center's state: the norm momentum and what the last sync produced.
public struct GRAWACenterState: Sendable, Codable, Equatable {
  /// Momentum on the workers' scores (worker-major, tensor-minor for per-tensor scores); `nil`
  /// when momentum is off or the scores are already running estimates (local variants).
  public var momentum: NormMomentum?
  /// The weighted center formed at the last sync.
  public var lastCenter: [Float]?

  /// A state from its parts.
  public init(momentum: NormMomentum? = nil, lastCenter: [Float]? = nil) {
    self.momentum = momentum
    self.lastCenter = lastCenter
  }

  private enum CodingKeys: String, CodingKey { case momentum, lastCenter }

  /// Reads a state written by ``encode(to:)``, or an older one (see
  /// ``KeyedDecodingContainer/decodeFloatVector(forKey:)``).
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    momentum = try container.decodeIfPresent(NormMomentum.self, forKey: .momentum)
    lastCenter = try container.decodeFloatVectorIfPresent(forKey: .lastCenter)
  }

  /// Writes the last center as one block of bytes
  /// (``KeyedEncodingContainer/encodeFloatVector(_:forKey:)``).
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encodeIfPresent(momentum, forKey: .momentum)
    try container.encodeFloatVectorIfPresent(lastCenter, forKey: .lastCenter)
  }
}

/// What a GRAWA worker sends beside its parameters: its gradient-norm score(s).
public struct GRAWAReport: Sendable, Codable, Equatable {
  /// One score for a whole-model score, one per tensor for a per-tensor score.
  public var scores: [Double]

  /// A report of `scores`.
  public init(scores: [Double]) { self.scores = scores }
}

/// What every GRAWA worker receives: the weighted center, how far to move toward it, and the
/// weights that formed it.
public struct GRAWAOutcome: Sendable, Equatable {
  /// The weighted center.
  public var target: [Float]
  /// c2, the fraction of the way each worker moves toward ``target``.
  public var pullFraction: Float
  /// The averaging weights, `weights[worker][tensor]` (one column for whole-model weights).
  public var weights: [[Double]]

  /// An outcome from its parts.
  public init(target: [Float], pullFraction: Float, weights: [[Double]]) {
    self.target = target
    self.pullFraction = pullFraction
    self.weights = weights
  }
}

/// The GRAWA family (paper section 3): at each sync the center is the average of the workers
/// weighted by the inverse of their gradient-norm scores, and every worker moves
/// `x_i <- (1 - c2) x_i + c2 * center`; between syncs an optional proximity pull (p2) draws each
/// worker toward the last center.
///
/// Conforming types say where the norms come from (a probe batch at the sync, or running estimates
/// over the local steps: ``localNormMomentum``), how they become scores (``granularity``) and
/// whether scores carry momentum across syncs (``normMomentum``); this extension implements the
/// rest of ``DistributedStrategy`` once for all of them.
public protocol GradientWeightedStrategy: DistributedStrategy
where
  WorkerState == GRAWAWorkerState, CenterState == GRAWACenterState, Report == GRAWAReport,
  Outcome == GRAWAOutcome
{
  /// tau, local steps between syncs.
  var communicationPeriod: Int { get }
  /// c2, the pull toward the center at a sync.
  var pullStrength: Double { get }
  /// The proximity pull between syncs (p2).
  var proximity: ProximityPull { get }
  /// How per-tensor norms become scores.
  var granularity: NormGranularity { get }
  /// beta_n of the momentum on scores across syncs (0: off).
  var normMomentum: Double { get }
  /// Local-M/LGRAWA: beta of the running per-step estimate (reset after every sync); `nil` for the
  /// probe-batch variants.
  var localNormMomentum: Double? { get }
}

extension GradientWeightedStrategy {
  /// Every tau steps.
  public var schedule: SyncSchedule { .periodic(communicationPeriod: communicationPeriod) }
  /// `weights`: each worker's weight at the last sync (per-tensor weights: the mean over tensors).
  public var metricNames: [String] { ["weights"] }

  /// The proximity target starts at the common initial parameters (none when `initial` is empty:
  /// no pull until the first sync forms one).
  public func makeWorkerState(worker: Int, initial: [Float], layout: ParameterLayout) -> GRAWAWorkerState {
    GRAWAWorkerState(
      proximityTarget: proximity.isEnabled ? initial : [],
      localNorms: localNormMomentum.map { NormMomentum(beta: $0, count: layout.tensorCount) })
  }

  /// Momentum slots for every worker's score(s).
  public func makeCenterState(initial: [Float], layout: ParameterLayout, workerCount: Int) -> GRAWACenterState {
    let perWorker = granularity == .perTensor ? layout.tensorCount : 1
    let momentum = normMomentum > 0 ? NormMomentum(beta: normMomentum, count: workerCount * perWorker) : nil
    return GRAWACenterState(momentum: momentum, lastCenter: nil)
  }

  /// Local variants: folds the step's per-tensor gradient norms (before the update, without
  /// weight decay) into the running estimate.
  public func gradientsAreFinal(_ worker: any WorkerContext, state: inout GRAWAWorkerState) throws {
    guard state.localNorms != nil else { return }
    let norms = try worker.gradientNorms()
    _ = state.localNorms?.update(with: norms)
  }

  /// The proximity pull toward the last center.
  public func afterLocalStep(_ worker: any WorkerContext, state: inout GRAWAWorkerState) throws {
    try proximity.apply(to: worker, toward: state.proximityTarget)
  }

  /// The parameters and the worker's score(s): from a probe batch, or from the running estimate,
  /// which is then reset (docs/algorithms.md, "Where we differ from the authors' code", row 6).
  public func contribution(
    _ worker: any WorkerContext, state: inout GRAWAWorkerState
  ) throws -> Contribution<GRAWAReport> {
    let norms: [Double]
    if let local = state.localNorms {
      norms = local.estimates
      state.localNorms?.reset()
    } else {
      norms = try worker.probeGradientNorms()
    }
    return Contribution(
      worker: worker.worker, vector: try worker.parameters(), report: GRAWAReport(scores: granularity.scores(from: norms)))
  }

  /// Inverse-norm weights (after momentum, when on), whole-model or per tensor.
  public func combination(
    of reports: [Contribution<GRAWAReport>], state: inout GRAWACenterState, layout: ParameterLayout
  ) throws -> VectorCombination {
    let workers = reports.count
    let perWorker = granularity == .perTensor ? layout.tensorCount : 1
    for contribution in reports where contribution.report.scores.count != perWorker {
      throw DistributedError.countMismatch(
        "\(name): worker \(contribution.worker) sent \(contribution.report.scores.count) scores, expected \(perWorker)")
    }
    for contribution in reports {
      for score in contribution.report.scores where !score.isFinite || score < 0 {
        throw DistributedError.nonFiniteScore(worker: contribution.worker, value: score)
      }
    }
    var estimates = reports.flatMap(\.report.scores)
    if state.momentum != nil {
      estimates = state.momentum!.update(with: estimates)
    }
    // weights[worker][tensor]; one column for whole-model scores.
    var weights = [[Double]](repeating: [Double](repeating: 0, count: perWorker), count: workers)
    for column in 0..<perWorker {
      let scores = (0..<workers).map { estimates[$0 * perWorker + column] }
      let columnWeights = try InverseNormWeights.weights(for: scores)
      for worker in 0..<workers { weights[worker][column] = columnWeights[worker] }
    }
    return .weightedSum(weights: weights)
  }

  /// The weighted center, kept as the run's weighted center, with c2 and the weights.
  public func outcome(
    of reports: [Contribution<GRAWAReport>], combination: VectorCombination, combined: [Float],
    state: inout GRAWACenterState
  ) throws -> GRAWAOutcome {
    guard case .weightedSum(let weights) = combination else {
      throw DistributedError.countMismatch("\(name): the center was not formed as a weighted sum")
    }
    state.lastCenter = combined
    return GRAWAOutcome(target: combined, pullFraction: Float(pullStrength), weights: weights)
  }

  /// Moves toward the center and keeps it as the proximity target.
  public func finish(_ worker: any WorkerContext, outcome: GRAWAOutcome, state: inout GRAWAWorkerState) throws {
    var parameters = try worker.parameters()
    try WeightedAverage.interpolate(&parameters, toward: outcome.target, fraction: outcome.pullFraction)
    try worker.setParameters(parameters)
    if proximity.isEnabled {
      state.proximityTarget = outcome.target
    }
  }

  /// Each worker's weight (per-tensor weights: their mean over tensors).
  public func metrics(of outcome: GRAWAOutcome) -> [StrategyMetric] {
    [StrategyMetric("weights", .vector(outcome.weights.map { $0.reduce(0, +) / Double(max($0.count, 1)) }))]
  }

  /// The weighted center of the last sync.
  public func weightedCenter(state: GRAWACenterState) -> [Float]? { state.lastCenter }
}
