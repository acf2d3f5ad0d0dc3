/// Model-level GRAWA (paper eqs. 3-4; docs/algorithms.md, "MGRAWA"): a worker's score is the sum of the Frobenius
/// norms of its per-tensor probe-batch gradients, with bias-corrected momentum across syncs
/// (beta_n = 0.9^8 by default); weights are the normalised inverse scores.
///
/// Defaults are the authors' sample settings (tau 32, c2 0.5, p2 0.01; docs/algorithms.md, "Hyperparameters the paper used").
public struct MGRAWA: GradientWeightedStrategy {
  /// tau, local steps between syncs.
  public let communicationPeriod: Int
  /// c2, the pull toward the center at a sync.
  public let pullStrength: Double
  /// The proximity pull between syncs (p2).
  public let proximity: ProximityPull
  /// beta_n, the momentum on scores across syncs (0 turns it off).
  public let normMomentum: Double
  /// `nil`: scores come from a probe batch at each sync.
  public var localNormMomentum: Double? { nil }

  /// MGRAWA with the given hyperparameters.
  /// - Precondition: values in range (`tau >= 1`, `c2` in `[0, 1]`, `p2` in `[0, tau]`, momenta in
  ///   `[0, 1)`).
  public init(
    communicationPeriod: Int = 32,
    pullStrength: Double = 0.5,
    proximityStrength: Double = 0.01,
    normMomentum: Double = 0.43046721
  ) {
    precondition(pullStrength >= 0 && pullStrength <= 1, "MGRAWA: pull strength must be in [0, 1]")
    precondition(normMomentum >= 0 && normMomentum < 1, "MGRAWA: norm momentum must be in [0, 1)")
    self.communicationPeriod = communicationPeriod
    self.pullStrength = pullStrength
    self.proximity = ProximityPull(strength: proximityStrength, communicationPeriod: communicationPeriod)
    self.normMomentum = normMomentum
  }

  /// `"mgrawa"`.
  public var name: String { "mgrawa" }
  /// sumOfTensorNorms.
  public var granularity: NormGranularity { .sumOfTensorNorms }
}
