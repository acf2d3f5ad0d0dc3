import Foundation

extension CheckpointFile {
  // MARK: - Checking a state against a run

  /// Checks that `state` fits a run of `workers` workers on a model with `parameterCount`
  /// parameters and `bufferCount` buffer values: one state per worker, in worker order, each with
  /// exactly those lengths.
  /// - Parameters:
  ///   - state: a state read from a checkpoint.
  ///   - workers: the run's number of workers.
  ///   - parameterCount: the model's number of parameter values.
  ///   - bufferCount: the model's number of buffer values (batch-norm running statistics).
  ///   - path: the checkpoint's path, for the message.
  /// - Throws: ``CheckpointError`` naming `path` and the first mismatch.
  public static func validate(
    _ state: RunState, workers: Int, parameterCount: Int, bufferCount: Int, path: String
  ) throws {
    guard state.workers.count == workers else {
      throw CheckpointError(
        path: path,
        message: "checkpoint has \(state.workers.count) worker states, but the run has \(workers) workers")
    }
    for (index, worker) in state.workers.enumerated() {
      guard worker.worker == index else {
        throw CheckpointError(
          path: path, message: "worker state \(index) belongs to worker \(worker.worker)")
      }
      guard worker.parameters.count == parameterCount else {
        throw CheckpointError(
          path: path,
          message: "worker \(index) has \(worker.parameters.count) parameter values, the model "
            + "has \(parameterCount)")
      }
      guard worker.buffers.count == bufferCount else {
        throw CheckpointError(
          path: path,
          message: "worker \(index) has \(worker.buffers.count) buffer values, the model has "
            + "\(bufferCount)")
      }
    }
  }
}
