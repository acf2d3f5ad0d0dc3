import Foundation

/// Bias-corrected exponential moving average of gradient-norm scores (GRAWA paper section 5.3).
///
/// For each tracked score (one per worker for MGRAWA, one per worker and tensor for LGRAWA):
/// `m <- beta * m + (1 - beta) * score`, and the estimate used for weighting is
/// `m / (1 - beta^t)` where `t` counts the updates since the last reset, starting at 1
/// (docs/algorithms.md, "Norm momentum"). With `beta = 0` the estimate is the latest score (momentum off).
/// The paper's default is `beta = 0.9^8 = 0.43046721`; Local-M/LGRAWA use 0.85 per local step.
public struct NormMomentum: Sendable, Equatable, Codable {
  /// The decay factor `beta`, in `[0, 1)`.
  public let beta: Double
  /// The raw (uncorrected) averages.
  public private(set) var averages: [Double]
  /// Updates since the last reset (`t`).
  public private(set) var updates: Int

  /// A tracker for `count` scores, all starting at 0.
  public init(beta: Double, count: Int) {
    precondition(beta >= 0 && beta < 1, "NormMomentum: beta must be in [0, 1), got \(beta)")
    self.beta = beta
    self.averages = [Double](repeating: 0, count: count)
    self.updates = 0
  }

  /// Folds in new `scores` (same count) and returns the bias-corrected estimates.
  public mutating func update(with scores: [Double]) -> [Double] {
    precondition(scores.count == averages.count, "NormMomentum: \(scores.count) scores for \(averages.count) slots")
    updates += 1
    for i in averages.indices {
      averages[i] = beta * averages[i] + (1 - beta) * scores[i]
    }
    return estimates
  }

  /// The bias-corrected estimates `m / (1 - beta^t)` (the raw averages before any update).
  public var estimates: [Double] {
    guard updates > 0 else { return averages }
    let correction = 1 - pow(beta, Double(updates))
    return averages.map { $0 / correction }
  }

  /// Forgets all history (Local-M/LGRAWA reset after each sync, docs/algorithms.md, "Where we differ from the authors' code", row 6).
  public mutating func reset() {
    averages = [Double](repeating: 0, count: averages.count)
    updates = 0
  }
}
