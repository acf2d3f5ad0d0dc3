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
  /// proximity pull is off.
  public var proximityTarget: [Float]
  /// Local-M/LGRAWA: the bias-corrected running estimate of per-tensor norms since the last sync.
  public var localNorms: NormMomentum?
}

/// The GRAWA center's state: the norm momentum and what the last sync produced.
public struct GRAWACenterState: Sendable, Codable, Equatable {
  /// Momentum on the workers' scores (worker-major, tensor-minor for per-tensor scores); `nil`
  /// when momentum is off or the scores are already running estimates (local variants).
  public var momentum: NormMomentum?
  /// The weighted center formed at the last sync.
  public var lastCenter: [Float]?
}

/// The GRAWA family (paper section 3): at each sync the center is the average of the workers
/// weighted by the inverse of their gradient-norm scores, and every worker moves
/// `x_i <- (1 - c2) x_i + c2 * center`; between syncs an optional proximity pull (p2) draws each
/// worker toward the last center.
///
/// Conforming types say where the norms come from (``DistributedStrategy/scoreSource``: a probe
/// batch at the sync, or running estimates over the local steps), how they become scores
/// (``granularity``) and whether scores carry momentum across syncs (``normMomentum``); this
/// extension implements the rest of ``DistributedStrategy`` once for all of them.
public protocol GradientWeightedStrategy: DistributedStrategy
where WorkerState == GRAWAWorkerState, CenterState == GRAWACenterState {
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
  /// A probe batch, or the local steps' gradients for the local variants.
  public var scoreSource: ScoreSource { localNormMomentum == nil ? .probeBatch : .localSteps }
  /// True when p2 > 0.
  public var changesParametersBetweenSyncs: Bool { proximity.isEnabled }

  /// The proximity target starts at the common initial parameters.
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

  /// Folds the step's per-tensor norms into the running estimate (local variants) and applies the
  /// proximity pull.
  public func afterLocalStep(
    _ parameters: inout [Float], report: LocalStepReport, state: inout GRAWAWorkerState
  ) throws {
    if state.localNorms != nil {
      guard let norms = report.tensorGradientNorms else {
        throw DistributedError.countMismatch("\(name): the engine did not measure the local step's gradient norms")
      }
      _ = state.localNorms?.update(with: norms)
    }
    try proximity.apply(&parameters, toward: state.proximityTarget)
  }

  /// The parameters and the worker's score(s): from the probe batch, or from the running
  /// estimate, which is then reset (REFERENCE.md section 5.6).
  public func contribution(
    worker: Int, vector: [Float], measurements: SyncMeasurements, state: inout GRAWAWorkerState
  ) throws -> Contribution {
    let norms: [Double]
    if let local = state.localNorms {
      norms = local.estimates
      state.localNorms?.reset()
    } else {
      guard let probe = measurements.probeTensorNorms else {
        throw DistributedError.countMismatch("\(name): the engine did not measure the probe-batch gradient norms")
      }
      norms = probe
    }
    return Contribution(worker: worker, vector: vector, scores: granularity.scores(from: norms))
  }

  /// Inverse-norm weights (after momentum, when on) and the weighted center, whole-model or per
  /// tensor.
  public func center(
    from contributions: [Contribution], state: inout GRAWACenterState, layout: ParameterLayout
  ) throws -> SyncOutcome {
    let workers = contributions.count
    let perWorker = granularity == .perTensor ? layout.tensorCount : 1
    for contribution in contributions where contribution.scores.count != perWorker {
      throw DistributedError.countMismatch(
        "\(name): worker \(contribution.worker) sent \(contribution.scores.count) scores, expected \(perWorker)")
    }
    for contribution in contributions {
      for score in contribution.scores where !score.isFinite || score < 0 {
        throw DistributedError.nonFiniteScore(worker: contribution.worker, value: score)
      }
    }
    var estimates = contributions.flatMap(\.scores)
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
    let vectors = contributions.map(\.vector)
    let center =
      granularity == .perTensor
      ? try WeightedAverage.combinePerTensor(vectors, weights: weights, layout: layout)
      : try WeightedAverage.combine(vectors, weights: weights.map { $0[0] })
    state.lastCenter = center
    return SyncOutcome(target: center, pullFraction: Float(pullStrength), weights: weights)
  }

  /// Moves toward the center and keeps it as the proximity target.
  public func pull(_ parameters: inout [Float], outcome: SyncOutcome, state: inout GRAWAWorkerState) throws {
    try WeightedAverage.interpolate(&parameters, toward: outcome.target, fraction: outcome.pullFraction)
    if proximity.isEnabled {
      state.proximityTarget = outcome.target
    }
  }

  /// The weighted center of the last sync.
  public func weightedCenter(state: GRAWACenterState) -> [Float]? { state.lastCenter }
}
