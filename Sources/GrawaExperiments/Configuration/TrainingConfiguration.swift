import Foundation
import GrawaData
import GrawaDistributed
import GrawaNN
import GrawaOptim
import GrawaTensor

/// Everything that defines a training run; written to `config.json` in the output directory.
///
/// Defaults follow the paper (docs/algorithms.md, "Hyperparameters the paper used"): SGD with learning rate 0.1, momentum 0.9,
/// Nesterov, weight decay 1e-4, batch 128 per worker.
public struct TrainingConfiguration: Sendable, Codable, Equatable {
  /// The distributed strategy. Choosing one while ``strategySettings`` still holds the previous
  /// strategy's defaults brings the new strategy's defaults (settings changed by hand are kept).
  public var strategy: StrategyKind = .none {
    didSet {
      if strategySettings == oldValue.defaultSettings {
        strategySettings = strategy.defaultSettings
      }
    }
  }
  /// The strategy's hyperparameters (tau, c2, p2, norm momentum, rho).
  public var strategySettings: StrategySettings = StrategyKind.none.defaultSettings
  /// The number of workers (W), each with its own replica and data shard.
  public var workers = 1
  /// Synchronous (reproducible) or asynchronous syncs.
  public var syncMode: SyncMode = .synchronous
  /// The network.
  public var model: ModelKind = .resnet20
  /// The dataset.
  public var dataset: DatasetKind = .fashionMNIST
  /// Where the dataset's files are (`nil`: the dataset's default directory).
  public var dataDirectory: String?
  /// The augmentation recipe.
  public var augmentation: AugmentationChoice = .padCropFlip
  /// Mini-batch size per worker.
  public var batchSize = 128
  /// The local optimizer's hyperparameters.
  public var optimizer = SGD.Configuration.paper
  /// How the learning rate changes during the run.
  public var schedule: LearningRateSchedule = .constant
  /// Stop after this many epochs (of one worker's shard), if set.
  public var epochs: Double?
  /// Stop after this many minutes of training (evaluation time not counted), if set.
  public var minutes: Double?
  /// Stop after this many local steps of each worker, if set.
  public var steps: Int?
  /// How the evaluated center's batch-norm statistics are obtained.
  public var bufferPolicy: BufferPolicy = .recompute
  /// Training batches the center's batch-norm statistics are re-estimated over
  /// (``BufferPolicy/recompute``).
  public var batchNormBatches = 20
  /// Write a checkpoint every this many minutes of training (and at the end), if set; `nil`
  /// writes one at the end only.
  public var checkpointMinutes: Double?
  /// Evaluate on the test set every this many epochs (and at the end).
  public var evaluateEvery: Double = 1
  /// The run's seed: initialisation, shuffling, augmentation and dropout all derive from it.
  public var seed: UInt64 = 0
  /// Threads for the compute kernels (`0`: all cores).
  public var threads = 0
  /// Train on only the first this many training images (quick runs), if set.
  public var trainLimit: Int?
  /// Evaluate on only the first this many test images, if set.
  public var testLimit: Int?

  /// The paper's defaults.
  public init() {}

  /// Checks the values; the error names the setting (not a command-line flag).
  /// - Throws: ``SettingError`` for a setting out of range, ``ConfigurationError`` when no budget
  ///   is set, ``ShardTooSmallError`` when the train limit cannot give every worker a full batch,
  ///   or the optimizer's or schedule's error.
  public func validate() throws {
    guard batchSize > 0 else { throw SettingError(.batchSize, "must be positive, got \(batchSize)") }
    if let epochs, !(epochs > 0) { throw SettingError(.epochs, "must be positive, got \(epochs)") }
    if let minutes, !(minutes > 0) { throw SettingError(.minutes, "must be positive, got \(minutes)") }
    if let steps, steps <= 0 { throw SettingError(.steps, "must be positive, got \(steps)") }
    guard epochs != nil || minutes != nil || steps != nil else {
      throw ConfigurationError("give a budget: epochs, steps, minutes or a combination")
    }
    guard workers >= 1 else { throw SettingError(.workers, "must be at least 1, got \(workers)") }
    guard batchNormBatches >= 0 else {
      throw SettingError(.batchNormBatches, "must be >= 0, got \(batchNormBatches)")
    }
    if let checkpointMinutes, !(checkpointMinutes > 0) {
      throw SettingError(.checkpointMinutes, "must be positive, got \(checkpointMinutes) minutes")
    }
    try strategySettings.validate(for: strategy)
    guard evaluateEvery > 0 else {
      throw SettingError(.evaluateEvery, "must be positive, got \(evaluateEvery) epochs")
    }
    guard threads >= 0 else { throw SettingError(.threads, "must be 0 (all cores) or positive, got \(threads)") }
    if let trainLimit, trainLimit < batchSize {
      throw SettingError(.trainLimit, "must be at least one batch (batch size \(batchSize)), got \(trainLimit)")
    }
    if let trainLimit, trainLimit / workers < batchSize {
      throw ShardTooSmallError(
        images: trainLimit, dataset: nil, workers: workers, batchSize: batchSize, trainLimit: trainLimit)
    }
    if let testLimit, testLimit <= 0 { throw SettingError(.testLimit, "must be positive, got \(testLimit)") }
    try optimizer.validate()
    try schedule.validate()
  }
}

/// How the batch-norm statistics of an averaged (center) model are obtained for evaluation
/// (docs/algorithms.md, "Evaluation of a run"). During training every worker keeps its own statistics.
public enum BufferPolicy: String, Sendable, Codable, CaseIterable {
  /// Re-estimated by forward passes in training mode over training batches, as a cumulative
  /// average (like `torch.optim.swa_utils.update_bn`).
  case recompute
  /// The plain average of the workers' running statistics.
  case average
}
