/// Averaging weights inversely proportional to gradient-norm scores (GRAWA, paper eqs. 2, 4, 6).
///
/// `weight_i = (1 / score_i) / sum_j (1 / score_j)`, so the weights are positive and sum to 1 and a
/// worker in a flatter region (smaller gradient norm) counts for more. When some scores are
/// exactly 0, those workers share the whole weight equally: the limit of `1/score` as their
/// scores go to 0 together (docs/algorithms.md, "Where we differ from the authors' code", row 5; the authors' code divides by zero there).
public enum InverseNormWeights {
  /// The weights for `scores` (one per worker).
  /// - Throws: ``DistributedError/nonFiniteScore(worker:value:)`` for a NaN, infinite or negative
  ///   score: a diverged worker must stop the run, not be silently weighted.
  public static func weights(for scores: [Double]) throws -> [Double] {
    for (worker, score) in scores.enumerated() where !score.isFinite || score < 0 {
      throw DistributedError.nonFiniteScore(worker: worker, value: score)
    }
    let zeros = scores.indices.filter { scores[$0] == 0 }
    if !zeros.isEmpty {
      let share = 1 / Double(zeros.count)
      return scores.map { $0 == 0 ? share : 0 }
    }
    let inverses = scores.map { 1 / $0 }
    let total = inverses.reduce(0, +)
    return inverses.map { $0 / total }
  }
}
