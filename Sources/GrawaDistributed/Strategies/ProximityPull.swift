/// The proximity pull between syncs (docs/algorithms.md, "Proximity pull"):
/// `x <- (1 - p2 / tau) * x + (p2 / tau) * target` after every local step, where the target is
/// the last center (GRAWA family) or the last leader (LSGD), and the common initial parameters
/// before the first sync.
///
/// An empty target means that no target exists yet, and the pull does nothing until a sync forms
/// one. Only a driver whose workers have no common initial point passes an empty `initial` to
/// `makeWorkerState` (the toy simulation, `ToySimulation.PreSyncTarget.none`); the engine never
/// does. This rule is here, once, so that no strategy special-cases it.
public struct ProximityPull: Sendable, Equatable, Codable {
  /// p2, the proximity strength; 0 turns the pull off.
  public let strength: Double
  /// tau, the communication period the strength is divided by.
  public let communicationPeriod: Int

  /// A pull of strength `strength` spread over `communicationPeriod` steps.
  /// - Precondition: `strength` in `[0, tau]` and `communicationPeriod >= 1`.
  public init(strength: Double, communicationPeriod: Int) {
    precondition(communicationPeriod >= 1, "ProximityPull: communication period must be >= 1")
    precondition(
      strength >= 0 && strength <= Double(communicationPeriod),
      "ProximityPull: strength must be in [0, tau], got \(strength)")
    self.strength = strength
    self.communicationPeriod = communicationPeriod
  }

  /// Whether the pull does anything.
  public var isEnabled: Bool { strength > 0 }

  /// The fraction moved per step, `p2 / tau`.
  public var fraction: Float { Float(strength / Double(communicationPeriod)) }

  /// Moves `parameters` toward `target` by ``fraction`` (nothing when disabled or when `target`
  /// is empty: no target yet).
  /// - Throws: ``DistributedError`` when a non-empty `target` does not fit `parameters`.
  public func apply(_ parameters: inout [Float], toward target: [Float]) throws {
    guard isEnabled, !target.isEmpty else { return }
    try WeightedAverage.interpolate(&parameters, toward: target, fraction: fraction)
  }

  /// Moves `worker`'s parameters toward `target` by ``fraction``. When disabled or when `target`
  /// is empty (no target yet) it neither reads nor writes the parameters.
  /// - Throws: the context's errors, or ``DistributedError`` when `target` does not fit.
  public func apply(to worker: any WorkerContext, toward target: [Float]) throws {
    guard isEnabled, !target.isEmpty else { return }
    var parameters = try worker.parameters()
    try WeightedAverage.interpolate(&parameters, toward: target, fraction: fraction)
    try worker.setParameters(parameters)
  }
}
