/// How the workers' vectors are combined at a sync: the only part of a center rule that touches
/// the large vectors, stated as data so that every transport can carry it out its own way (in
/// one process, a loop in worker order; over MPI, an all-reduce of weighted vectors or a
/// broadcast from one rank).
public enum VectorCombination: Sendable {
  /// `sum_i weights[i][0] * x_i` (whole-vector weights, one column), or per tensor
  /// `sum_i weights[i][l] * x_i,l` (one column per tensor of the layout). Accumulated in `Double`
  /// in worker order in one process.
  case weightedSum(weights: [[Double]])
  /// One worker's vector as it is (LSGD's leader).
  case select(worker: Int)
  /// No vector is needed (the outcome is formed from the reports alone).
  case none

  /// The plain average of `workerCount` vectors.
  public static func mean(of workerCount: Int) -> VectorCombination {
    .weightedSum(weights: [[Double]](repeating: [1 / Double(workerCount)], count: workerCount))
  }
}
