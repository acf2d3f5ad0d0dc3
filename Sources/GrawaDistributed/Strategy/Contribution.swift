/// One worker's message to the center at a sync: its vector (parameters or gradients, as the
/// strategy chose) and the strategy's small report (scores, a loss). Only flat `Sendable` values
/// cross between workers and the center.
public struct Contribution<Report: Sendable & Codable>: Sendable {
  /// The worker's index.
  public var worker: Int
  /// The flat vector the center combines.
  public var vector: [Float]
  /// What else the strategy sends.
  public var report: Report

  /// A contribution from its parts.
  public init(worker: Int, vector: [Float], report: Report) {
    self.worker = worker
    self.vector = vector
    self.report = report
  }
}

extension Contribution: Equatable where Report: Equatable {}
