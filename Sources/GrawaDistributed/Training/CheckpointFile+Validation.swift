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

  /// Checks that `state` can resume a run configured as `configuration`: the same model,
  /// dataset, strategy and number of workers. Budgets, hyperparameters and the like may differ.
  /// - Parameters:
  ///   - state: a state read from a checkpoint.
  ///   - configuration: the run about to resume from it.
  ///   - path: the checkpoint's path, for the message.
  /// - Throws: ``CheckpointError`` such as "<path>: checkpoint is for model resnet56, this run is
  ///   resnet20".
  public static func checkCompatible(
    _ state: RunState, with configuration: TrainingConfiguration, path: String
  ) throws {
    let saved = try TrainingConfiguration(of: state, path: path)
    func mismatch(_ what: String, _ old: String, _ new: String) -> CheckpointError {
      CheckpointError(path: path, message: "checkpoint is for \(what) \(old), this run is \(new)")
    }
    guard saved.model == configuration.model else {
      throw mismatch("model", saved.model.rawValue, configuration.model.rawValue)
    }
    guard saved.dataset == configuration.dataset else {
      throw mismatch("dataset", saved.dataset.rawValue, configuration.dataset.rawValue)
    }
    guard saved.strategy == configuration.strategy else {
      throw mismatch("strategy", saved.strategy.rawValue, configuration.strategy.rawValue)
    }
    guard saved.workers == configuration.workers else {
      throw CheckpointError(
        path: path,
        message: "checkpoint is for \(saved.workers) workers, this run has "
          + "\(configuration.workers)")
    }
  }
}
