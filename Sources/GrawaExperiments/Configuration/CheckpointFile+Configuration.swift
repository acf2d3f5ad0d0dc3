import Foundation
import GrawaData
import GrawaDistributed
import GrawaNN
import GrawaOptim
import GrawaTensor

extension CheckpointFile {
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
