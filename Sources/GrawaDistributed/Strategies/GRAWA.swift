/// Vanilla GRAWA (paper eq. 2; docs/algorithms.md, "GRAWA"): weights proportional to the inverse of the norm of the
/// whole flattened probe-batch gradient, no momentum on the norms.
///
/// Defaults are the authors' sample settings (tau 32, c2 0.5, p2 0.01; docs/algorithms.md, "Hyperparameters the paper used").
public struct GRAWA: GradientWeightedStrategy {
  /// tau, local steps between syncs.
  public let communicationPeriod: Int
  /// c2, the pull toward the center at a sync.
  public let pullStrength: Double
  /// The proximity pull between syncs (p2).
  public let proximity: ProximityPull
  /// No momentum across syncs (the paper's eq. 2).
  public var normMomentum: Double { 0 }
  /// `nil`: scores come from a probe batch at each sync.
  public var localNormMomentum: Double? { nil }

  /// GRAWA with the given hyperparameters.
  /// - Precondition: values in range (`tau >= 1`, `c2` in `[0, 1]`, `p2` in `[0, tau]`, momenta in
  ///   `[0, 1)`).
  public init(
    communicationPeriod: Int = 32,
    pullStrength: Double = 0.5,
    proximityStrength: Double = 0.01
  ) {
    precondition(pullStrength >= 0 && pullStrength <= 1, "GRAWA: pull strength must be in [0, 1]")
    self.communicationPeriod = communicationPeriod
    self.pullStrength = pullStrength
    self.proximity = ProximityPull(strength: proximityStrength, communicationPeriod: communicationPeriod)
  }

  /// `"grawa"`.
  public var name: String { "grawa" }
  /// wholeVector.
  public var granularity: NormGranularity { .wholeVector }
}
