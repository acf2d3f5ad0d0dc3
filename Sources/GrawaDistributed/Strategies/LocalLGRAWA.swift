/// Local-LGRAWA (paper appendix G; docs/algorithms.md, "Local-MGRAWA and Local-LGRAWA"): LGRAWA without a probe batch. Each local step
/// folds its per-tensor gradient norms into a running bias-corrected estimate (beta = 0.85); at a
/// sync the estimates are the worker's per-tensor scores, and the estimate is reset (section 5.6).
///
/// Defaults are the authors' sample settings (tau 32, c2 0.5, p2 0.01; docs/algorithms.md, "Hyperparameters the paper used").
public struct LocalLGRAWA: GradientWeightedStrategy {
  /// tau, local steps between syncs.
  public let communicationPeriod: Int
  /// c2, the pull toward the center at a sync.
  public let pullStrength: Double
  /// The proximity pull between syncs (p2).
  public let proximity: ProximityPull
  /// No momentum across syncs (the running estimate already smooths the norms).
  public var normMomentum: Double { 0 }
  /// beta of the running per-step norm estimate.
  public let localNormMomentum: Double?

  /// LocalLGRAWA with the given hyperparameters.
  /// - Precondition: values in range (`tau >= 1`, `c2` in `[0, 1]`, `p2` in `[0, tau]`, momenta in
  ///   `[0, 1)`).
  public init(
    communicationPeriod: Int = 32,
    pullStrength: Double = 0.5,
    proximityStrength: Double = 0.01,
    localNormMomentum: Double = 0.85
  ) {
    precondition(pullStrength >= 0 && pullStrength <= 1, "LocalLGRAWA: pull strength must be in [0, 1]")
    precondition(localNormMomentum >= 0 && localNormMomentum < 1, "LocalLGRAWA: local norm momentum must be in [0, 1)")
    self.communicationPeriod = communicationPeriod
    self.pullStrength = pullStrength
    self.proximity = ProximityPull(strength: proximityStrength, communicationPeriod: communicationPeriod)
    self.localNormMomentum = localNormMomentum
  }

  /// `"local-lgrawa"`.
  public var name: String { "local-lgrawa" }
  /// perTensor.
  public var granularity: NormGranularity { .perTensor }
}
