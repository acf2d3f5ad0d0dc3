/// A run whose state is no longer healthy: a non-finite center test loss, or non-finite values in
/// a worker's parameters or buffers (docs/algorithms.md, "Where we differ from the authors' code", row 5). The run stops before anything is
/// written from that state; the last checkpoint stays as it was.
public struct UnhealthyStateError: Error, CustomStringConvertible, Equatable {
  /// The local step every worker had reached.
  public let step: Int
  /// What is not finite, e.g. "the center's test loss is nan" or "worker 1's buffers hold 32
  /// non-finite values".
  public let problem: String

  /// An error for `problem` at `step`.
  public init(step: Int, problem: String) {
    self.step = step
    self.problem = problem
  }

  /// A message naming the step and the problem.
  public var description: String {
    "the run diverged by step \(step): \(problem); nothing was written from this state (the last checkpoint is kept)"
  }
}

/// The checks the engine makes before it reports or saves a state.
enum HealthCheck {
  /// The center's (and the weighted center's) test loss must be finite when anything was tested.
  static func evaluation(_ test: EvaluationResult, weighted: EvaluationResult?, step: Int) throws {
    if test.count > 0, !test.loss.isFinite {
      throw UnhealthyStateError(step: step, problem: "the center's test loss is \(test.loss)")
    }
    if let weighted, weighted.count > 0, !weighted.loss.isFinite {
      throw UnhealthyStateError(step: step, problem: "the weighted center's test loss is \(weighted.loss)")
    }
  }

  /// Every worker's parameters and buffers must be finite.
  static func snapshots(_ snapshots: [WorkerSnapshot]) throws {
    for snapshot in snapshots {
      for (name, values) in [("parameters", snapshot.parameters), ("buffers", snapshot.buffers)] {
        let bad = values.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        if bad > 0 {
          throw UnhealthyStateError(
            step: snapshot.steps, problem: "worker \(snapshot.worker)'s \(name) hold \(bad) non-finite values")
        }
      }
    }
  }
}
