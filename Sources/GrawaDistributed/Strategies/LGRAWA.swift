/// Layer-wise GRAWA (paper eqs. 5-7; docs/algorithms.md, "LGRAWA"): every parameter tensor has its own score per
/// worker (the Frobenius norm of its probe-batch gradient, with momentum across syncs) and its
/// own weights, so `center_l = sum_i weight_i,l * x_i,l`.
///
/// Defaults are the authors' sample settings (tau 32, c2 0.5, p2 0.01; docs/algorithms.md, "Hyperparameters the paper used").
public struct LGRAWA: GradientWeightedStrategy {
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

  /// LGRAWA with the given hyperparameters.
  /// - Precondition: values in range (`tau >= 1`, `c2` in `[0, 1]`, `p2` in `[0, tau]`, momenta in
  ///   `[0, 1)`).
  public init(
    communicationPeriod: Int = 32,
    pullStrength: Double = 0.5,
    proximityStrength: Double = 0.01,
    normMomentum: Double = 0.43046721
  ) {
    precondition(pullStrength >= 0 && pullStrength <= 1, "LGRAWA: pull strength must be in [0, 1]")
    precondition(normMomentum >= 0 && normMomentum < 1, "LGRAWA: norm momentum must be in [0, 1)")
    self.communicationPeriod = communicationPeriod
    self.pullStrength = pullStrength
    self.proximity = ProximityPull(strength: proximityStrength, communicationPeriod: communicationPeriod)
    self.normMomentum = normMomentum
  }

  /// `"lgrawa"`.
  public var name: String { "lgrawa" }
  /// perTensor.
  public var granularity: NormGranularity { .perTensor }
}
