import Foundation
import GrawaData
import GrawaDistributed
import GrawaNN
import GrawaTensor

/// A `grawa-train` run opened from its directory: its configuration and checkpoint, its data
/// loaded, and a trainer to form its models. What `grawa-train evaluate` and `export` stand on,
/// and the way a script gets a trained model out of a run directory.
///
/// ```swift
/// let run = try TrainedRun(directory: URL(fileURLWithPath: "runs/lgrawa-fashion"))
/// let report = try run.evaluate(.center)          // test loss, error, confusion matrix
/// try run.exportSafeTensors(.center, to: URL(fileURLWithPath: "resnet20.safetensors"))
/// ```
public struct TrainedRun {
  /// The checkpoint's file name in a run directory.
  public static let checkpointName = "checkpoint.grawa"

  /// Which model of a run.
  public enum ModelChoice: Sendable, Equatable, CustomStringConvertible {
    /// The center the run evaluates: EASGD's master, otherwise the plain average of the workers,
    /// with batch-norm statistics obtained as the run obtains them.
    case center
    /// One worker's own parameters and batch-norm statistics.
    case worker(Int)

    /// "center" or "worker 3".
    public var description: String {
      switch self {
      case .center: "center"
      case .worker(let index): "worker \(index)"
      }
    }
  }

  /// The run directory.
  public let directory: URL
  /// The run's configuration as its checkpoint records it (with any data directory given).
  public let configuration: TrainingConfiguration
  /// The checkpoint's state.
  public let state: RunState
  /// The run's datasets, loaded.
  public let data: ConfiguredData
  /// A trainer of the run (not run: it forms models from ``state``).
  public let trainer: DistributedTrainer

  /// Opens the run in `directory`.
  /// - Parameters:
  ///   - dataDirectory: where the dataset's files are now, when not where the run read them.
  ///   - threads: compute threads for forming and evaluating models (0: all cores).
  /// - Throws: ``CheckpointError`` for a missing or damaged checkpoint, a data error naming the
  ///   file, ``TrainingSetMismatch`` when the data is not the run's training set, or
  ///   ``SettingError``.
  public init(directory: URL, dataDirectory: String? = nil, threads: Int = 0) throws {
    let checkpoint = directory.appendingPathComponent(Self.checkpointName)
    guard FileManager.default.fileExists(atPath: checkpoint.path) else {
      throw CheckpointError(path: checkpoint.path, message: "no checkpoint: is \(directory.path) a run directory?")
    }
    let state = try CheckpointFile.read(from: checkpoint)
    var configuration = try TrainingConfiguration(of: state, path: checkpoint.path)
    if let dataDirectory { configuration.dataDirectory = dataDirectory }
    configuration.threads = threads
    let data = try configuration.loadData()
    try configuration.checkTrainingSet(of: data)
    self.directory = directory
    self.configuration = configuration
    self.state = state
    self.data = data
    trainer = try DistributedTrainer(configuration: configuration, data: data)
  }

  /// The model `choice` names, with its parameters and buffers.
  /// - Throws: ``CheckpointError`` for a worker the run does not have; model errors.
  public func model(_ choice: ModelChoice) throws -> any Layer {
    switch choice {
    case .center: try trainer.centerModel(of: state).model
    case .worker(let index): try trainer.workerModel(index, of: state)
    }
  }

  /// Test loss, error and confusion matrix of the model `choice` names, on the run's test set
  /// (its evaluation transform, all of ``configuration``'s test images).
  public func evaluate(_ choice: ModelChoice) throws -> ClassificationReport {
    let model = try self.model(choice)
    let test = try BatchPlan(
      dataset: data.test, order: Array(0..<data.test.count), batchSize: 256, pipeline: data.recipe.evaluation)
    return try ComputeThreads.withLimit(configuration.threads > 0 ? configuration.threads : ComputeThreads.available) {
      try Evaluation.classify(model, on: test, classes: data.train.classCount)
    }
  }

  /// The names of the dataset's classes, in label order.
  public var classNames: [String] { configuration.dataset.classNames(count: data.train.classCount) }

  /// What an exported file records about its model, for the script that loads it: the model's
  /// name and input, the classes, the evaluation transform, and where in which run it came from.
  public func exportMetadata(_ choice: ModelChoice) throws -> [String: String] {
    let input = data.inputShape
    let transform: [[String: Any]] = data.recipe.evaluation.steps.compactMap { step in
      switch step {
      case .centerCrop(let size): ["center_crop": size]
      case .normalize(let normalization):
        ["normalize": ["mean": normalization.mean.map(Double.init), "std": normalization.std.map(Double.init)]]
      case .randomCrop, .horizontalFlip: nil
      }
    }
    func json(_ value: Any) throws -> String {
      String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
    }
    return [
      "format": "pt",
      "grawa.model": configuration.model.rawValue,
      "grawa.input_shape": try json([input.channels, input.height, input.width]),
      "grawa.classes": try json(classNames),
      "grawa.dataset": configuration.dataset.rawValue,
      "grawa.evaluation_transform": try json(transform),
      "grawa.strategy": configuration.strategy.rawValue,
      "grawa.workers": String(configuration.workers),
      "grawa.source": choice.description,
      "grawa.step": String(state.boundary),
    ]
  }

  /// Writes the model `choice` names as a `safetensors` file at `url` (atomically: a failed
  /// write leaves no file and an existing one untouched), with ``exportMetadata(_:)``.
  public func exportSafeTensors(_ choice: ModelChoice, to url: URL) throws {
    let tensors = try model(choice).safeTensors(metadata: try exportMetadata(choice))
    try AtomicFile.write(try tensors.encoded(), to: url)
  }
}
