import Foundation
import GrawaData
import GrawaDistributed
import GrawaNN
import GrawaOptim
import GrawaTensor

/// The datasets a ``TrainingConfiguration`` names, loaded and cut to its limits, with the
/// augmentation recipe and the model's input shape.
public struct ConfiguredData: Sendable {
  /// The training set (at most ``TrainingConfiguration/trainLimit`` images).
  public var train: Dataset
  /// The test set (at most ``TrainingConfiguration/testLimit`` images).
  public var test: Dataset
  /// The training augmentation and the evaluation transform, normalised by the training set.
  public var recipe: AugmentationRecipe
  /// The shape of the images the model sees.
  public var inputShape: ImageShape
  /// The fingerprint of ``train`` (count, shape, CRC-32 of images and labels).
  public var trainingSetFingerprint: DatasetFingerprint {
    DatasetFingerprint(of: train)
  }
}

extension TrainingConfiguration {
  /// The random stream (of the run's seed) the batch-norm estimation batches are drawn from.
  static let batchNormEstimationStream: UInt64 = 0x3000

  /// The configuration a checkpoint of `grawa-train` records.
  /// - Throws: ``CheckpointError`` naming `path` when the state holds no such configuration.
  public init(of state: RunState, path: String) throws {
    do {
      self = try state.configuration.decode(TrainingConfiguration.self)
    } catch {
      throw CheckpointError(
        path: path, message: "the checkpoint's configuration is not a grawa-train configuration (\(error))")
    }
  }

  /// The engine's settings of this configuration.
  public var runSettings: RunSettings {
    var settings = RunSettings()
    settings.workers = workers
    settings.syncMode = syncMode
    settings.seed = seed
    settings.threads = threads
    settings.steps = steps
    settings.epochs = epochs
    settings.minutes = minutes
    settings.evaluateEvery = evaluateEvery
    settings.checkpointMinutes = checkpointMinutes
    return settings
  }

  /// Loads the configuration's datasets from ``dataDirectory`` (or the dataset's default).
  /// - Throws: ``SettingError`` or ``ConfigurationError`` from ``validate()``, or a data error naming
  ///   the file.
  public func loadData() throws -> ConfiguredData {
    try validate()
    var (train, test) = try dataset.load(directory: dataDirectory)
    if let limit = trainLimit, limit < train.count {
      train = try train.subset(Array(0..<limit), name: train.name)
    }
    if let limit = testLimit, limit < test.count {
      test = try test.subset(Array(0..<limit), name: test.name)
    }
    let normalization = dataset.normalization(trainingSet: train)
    let recipe = augmentation.recipe(imageShape: train.imageShape, normalization: normalization)
    return ConfiguredData(
      train: train, test: test, recipe: recipe, inputShape: try recipe.training.outputShape(for: train.imageShape))
  }

  /// The engine's task for this configuration on `data`: its model, its dataset as a
  /// ``DatasetSource``, cross-entropy, SGD (with SAM around it for DP+SAM), its schedule, and an
  /// evaluation on the test set with batch-norm statistics re-estimated over a fixed sample of
  /// training batches (``BufferPolicy/recompute``) or averaged.
  /// - Throws: ``SettingError`` from ``validate()``, or ``ShardTooSmallError`` when a worker's
  ///   shard of the loaded training set holds no full batch.
  public func makeTask(data: ConfiguredData) throws -> TrainingTask {
    try validate()
    guard data.train.count / workers >= batchSize else {
      throw ShardTooSmallError(
        images: data.train.count, dataset: data.train.name, workers: workers, batchSize: batchSize,
        trainLimit: trainLimit)
    }
    let model = self.model
    let input = data.inputShape
    let classes = data.train.classCount
    let optimizer = self.optimizer
    let sam = strategy.usesSAM
    let rho = Float(strategySettings.samRho)
    let test = try BatchPlan(
      dataset: data.test, order: Array(0..<data.test.count), batchSize: 256, pipeline: data.recipe.evaluation)
    var estimation: BatchPlan?
    if bufferPolicy == .recompute, batchNormBatches > 0 {
      let count = min(self.batchNormBatches * batchSize, data.train.count)
      var generator = RandomGenerator(seed: seed, stream: TrainingConfiguration.batchNormEstimationStream)
      let order = try SubsetSampler(populationCount: data.train.count, sampleCount: count).sample(using: &generator)
      estimation = try BatchPlan(
        dataset: data.train, order: order, batchSize: batchSize, pipeline: data.recipe.training, seed: seed,
        epoch: 0, stream: TrainingConfiguration.batchNormEstimationStream)
    }
    return TrainingTask(
      makeModel: { generator in
        try model.make(inputChannels: input.channels, inputSize: input.height, classes: classes, generator: &generator)
      },
      data: try DatasetSource(dataset: data.train, batchSize: batchSize, recipe: data.recipe, seed: seed),
      loss: .crossEntropy,
      makeOptimizer: { parameters in
        let sgd = try SGD(parameters: parameters, configuration: optimizer)
        return sam ? try SAM(base: sgd, rho: rho) : sgd
      },
      schedule: schedule,
      evaluation: CenterEvaluation(test: test, batchNormBatches: estimation))
  }
}

extension DistributedTrainer {
  /// Loads the data and prepares a run of `configuration` with its built-in strategy (and, for
  /// DP+SAM, a SAM optimizer around SGD); checkpoints record the configuration.
  /// - Parameter processGroup: the processes of a multi-process run (an MPI job), or `nil`.
  /// - Throws: ``SettingError`` or ``ConfigurationError``, or a data or model error naming the file.
  public convenience init(configuration: TrainingConfiguration, processGroup: (any ProcessGroup)? = nil) throws {
    try configuration.validate()
    try self.init(
      configuration: configuration, strategy: try configuration.strategy.make(configuration.strategySettings),
      processGroup: processGroup)
  }

  /// Prepares a run of `configuration` with a custom `strategy` (the configuration's strategy
  /// fields are then only recorded, not used).
  /// - Throws: ``SettingError`` or ``ConfigurationError``, or a data or model error naming the file.
  public convenience init(
    configuration: TrainingConfiguration, strategy: any DistributedStrategy, processGroup: (any ProcessGroup)? = nil
  ) throws {
    try self.init(
      configuration: configuration, data: try configuration.loadData(), strategy: strategy, processGroup: processGroup)
  }

  /// Prepares a run of `configuration` on data already loaded by
  /// ``TrainingConfiguration/loadData()``, with its built-in strategy or `strategy`.
  /// - Parameter processGroup: the processes of a multi-process run (an MPI job), or `nil`.
  /// - Throws: ``SettingError`` or ``ConfigurationError``, or a model error.
  public convenience init(
    configuration: TrainingConfiguration, data: ConfiguredData, strategy: (any DistributedStrategy)? = nil,
    processGroup: (any ProcessGroup)? = nil
  ) throws {
    try configuration.validate()
    let task = try configuration.makeTask(data: data)
    try self.init(
      task: task, settings: configuration.runSettings,
      strategy: try strategy ?? configuration.strategy.make(configuration.strategySettings),
      description: try JSONValue(encoding: configuration), processGroup: processGroup)
  }
}
