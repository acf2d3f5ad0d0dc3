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

  /// Checks that the strategy states of `state` (the center's and every worker's) decode as
  /// `strategy`'s, so a checkpoint of another strategy, or a damaged state, is reported naming the
  /// file rather than as a bare decoding error from inside a worker.
  /// - Throws: ``CheckpointError`` naming `path`, the state that does not decode and the strategy.
  static func checkStrategyStates<S: DistributedStrategy>(_ state: RunState, of strategy: S, path: String) throws {
    func failure(_ what: String, _ error: any Error) -> CheckpointError {
      CheckpointError(
        path: path,
        message: "\(what) does not decode as the state of strategy '\(strategy.name)': the checkpoint was "
          + "written by another strategy or is damaged (\(describe(error)))")
    }
    do {
      _ = try StateCoding.decode(S.CenterState.self, from: state.centerState)
    } catch {
      throw failure("the center state", error)
    }
    for worker in state.workers {
      do {
        _ = try StateCoding.decode(S.WorkerState.self, from: worker.strategyState)
      } catch {
        throw failure("worker \(worker.worker)'s strategy state", error)
      }
    }
  }
}
