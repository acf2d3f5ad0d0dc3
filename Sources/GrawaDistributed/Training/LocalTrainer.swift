import Foundation
import GrawaData
import GrawaNN
import GrawaOptim
import GrawaTensor

/// Where a running training is, reported after every step (for progress lines).
public struct TrainingProgressReport: Sendable {
  /// Epochs completed (fractional).
  public var epoch: Double
  /// Steps taken.
  public var step: Int
  /// Mean loss of the steps since the last evaluation.
  public var trainLoss: Double
  /// Training error of the steps since the last evaluation.
  public var trainError: Double
  /// Training seconds so far (evaluation excluded).
  public var trainingSeconds: Double
  /// Estimated seconds of training left, when the budget makes that knowable.
  public var secondsLeft: Double?
}

/// The outcome of a run; written to `summary.json`.
public struct TrainingSummary: Sendable, Codable, Equatable {
  /// Epochs completed.
  public var epochs: Double
  /// Steps taken.
  public var steps: Int
  /// Training seconds (evaluation excluded).
  public var trainingSeconds: Double
  /// Wall-clock seconds of the whole run, evaluation included.
  public var wallSeconds: Double
  /// Training images per second over the whole run.
  public var imagesPerSecond: Double
  /// The final evaluation on the test set.
  public var finalTest: EvaluationResult
  /// Why the run stopped.
  public var stopReason: String
}

/// A diverged run: a non-finite loss, naming the worker and step.
public struct DivergenceError: Error, CustomStringConvertible, Equatable {
  /// The worker whose loss diverged.
  public let worker: Int
  /// The step at which it happened (1-based).
  public let step: Int
  /// The offending value.
  public let value: Float

  /// A message naming the worker and step.
  public var description: String {
    "worker \(worker) diverged at step \(step): loss is \(value); no checkpoint was written from this state"
  }
}

/// Trains one model on one worker: the single-worker path (`--strategy none` with one worker)
/// and the loop the distributed workers build on.
///
/// Each step: a mini-batch from the worker's shard (reshuffled every epoch), forward in training
/// mode, mean cross-entropy, backward, an SGD step (REFERENCE.md section 2). The budget is epochs
/// and/or minutes of training; evaluation on the test set happens every
/// ``TrainingConfiguration/evaluateEvery`` epochs and at the end, and does not count against the
/// time budget.
public final class LocalTrainer {
  /// The run's settings.
  public let configuration: TrainingConfiguration
  /// The model being trained.
  public let model: any Layer
  /// The local optimizer.
  public let optimizer: SGD
  /// The training and test sets.
  public let train: Dataset, test: Dataset
  /// The training and evaluation transforms.
  public let recipe: AugmentationRecipe

  /// Loads the data and builds the model and optimizer for `configuration`.
  /// - Throws: a configuration, data or model error.
  public init(configuration: TrainingConfiguration) throws {
    try configuration.validate()
    self.configuration = configuration
    var (train, test) = try configuration.dataset.load(directory: configuration.dataDirectory)
    if let limit = configuration.trainLimit, limit < train.count {
      train = try train.subset(Array(0..<limit), name: train.name)
    }
    if let limit = configuration.testLimit, limit < test.count {
      test = try test.subset(Array(0..<limit), name: test.name)
    }
    self.train = train
    self.test = test
    let normalization = configuration.dataset.normalization(trainingSet: train)
    recipe = configuration.augmentation.recipe(imageShape: train.imageShape, normalization: normalization)
    let input = try recipe.training.outputShape(for: train.imageShape)
    var generator = RandomGenerator(seed: configuration.seed, stream: 0)
    model = try configuration.model.make(
      inputChannels: input.channels, inputSize: input.height, classes: train.classCount,
      generator: &generator)
    optimizer = try SGD(parameters: model.parameters, configuration: configuration.optimizer)
  }

  /// Runs to the end of the budget.
  /// - Parameters:
  ///   - log: where metric rows go (each evaluation), if anywhere.
  ///   - progress: called after every step.
  /// - Throws: ``DivergenceError`` on a non-finite loss; data, model or log errors.
  public func run(
    log: RunLog? = nil, progress: (TrainingProgressReport) -> Void = { _ in }
  ) throws -> TrainingSummary {
    let config = configuration
    let threads = config.threads > 0 ? config.threads : ComputeThreads.available
    return try ComputeThreads.withLimit(threads) {
      try runLoop(log: log, progress: progress)
    }
  }

  private func runLoop(log: RunLog?, progress: (TrainingProgressReport) -> Void) throws -> TrainingSummary {
    let config = configuration
    let sampler = try ShardSampler(datasetCount: train.count, workerCount: 1, seed: config.seed)
    let stepsPerEpoch = sampler.shardSize / config.batchSize
    guard stepsPerEpoch > 0 else {
      throw ConfigurationError(
        "the training set (\(sampler.shardSize) images per worker) is smaller than one batch (\(config.batchSize))")
    }
    let maxSteps = config.epochs.map { Int(($0 * Double(stepsPerEpoch)).rounded(.up)) }
    let evaluationInterval = max(1, Int((config.evaluateEvery * Double(stepsPerEpoch)).rounded()))
    let baseRate = config.optimizer.learningRate
    let context = ForwardContext(mode: .training, random: RandomGenerator(seed: config.seed, stream: 1))
    let wallStart = Date()
    var trainingSeconds: Double = 0
    var step = 0
    var windowLoss: Double = 0
    var windowWrong = 0
    var windowCount = 0
    var lastTest = EvaluationResult(loss: .nan, error: .nan, count: 0)
    var stopReason = "epochs"

    func evaluateAndLog() throws {
      lastTest = try Evaluation.evaluate(model, on: test, pipeline: recipe.evaluation, batchSize: 256)
      let row = MetricsRow(
        seconds: Date().timeIntervalSince(wallStart), epoch: Double(step) / Double(stepsPerEpoch),
        step: step, learningRate: Double(String(optimizer.learningRate)) ?? Double(optimizer.learningRate),
        trainLoss: windowCount > 0 ? windowLoss / Double(windowCount) : .nan,
        trainError: windowCount > 0 ? Double(windowWrong) / Double(windowCount) : .nan,
        testLoss: lastTest.loss, testError: lastTest.error)
      try log?.append(row)
      windowLoss = 0
      windowWrong = 0
      windowCount = 0
    }

    var epoch = 0
    training: while true {
      let plan = try BatchPlan(
        dataset: train, order: sampler.shard(worker: 0, epoch: epoch), batchSize: config.batchSize,
        dropLast: true, pipeline: recipe.training, seed: config.seed, epoch: epoch, stream: 0)
      let loader = try BatchLoader(plan: plan)
      defer { loader.cancel() }
      for batch in loader {
        if let maxSteps, step >= maxSteps {
          stopReason = "epochs"
          break training
        }
        if let minutes = config.minutes, trainingSeconds >= minutes * 60 {
          stopReason = "minutes"
          break training
        }
        let stepStart = Date()
        optimizer.learningRate = config.schedule.learningRate(
          base: baseRate,
          at: TrainingProgress(
            epoch: Double(step) / Double(stepsPerEpoch), step: step, elapsedSeconds: trainingSeconds))
        let logits = try model(batch.images, context)
        let loss = try logits.crossEntropy(labels: batch.labels)
        guard loss.scalar.isFinite else {
          throw DivergenceError(worker: 0, step: step + 1, value: loss.scalar)
        }
        let predictions = logits.argmaxLastAxis()
        try loss.backward()
        try optimizer.step()
        optimizer.zeroGradients()
        step += 1
        trainingSeconds += Date().timeIntervalSince(stepStart)
        windowLoss += Double(loss.scalar) * Double(batch.count)
        windowWrong += zip(predictions, batch.labels).filter { $0 != $1 }.count
        windowCount += batch.count
        var left: Double?
        if let maxSteps { left = trainingSeconds / Double(step) * Double(maxSteps - step) }
        if let minutes = config.minutes { left = min(left ?? .infinity, max(0, minutes * 60 - trainingSeconds)) }
        progress(
          TrainingProgressReport(
            epoch: Double(step) / Double(stepsPerEpoch), step: step,
            trainLoss: windowLoss / Double(windowCount), trainError: Double(windowWrong) / Double(windowCount),
            trainingSeconds: trainingSeconds, secondsLeft: left))
        if step % evaluationInterval == 0 {
          try evaluateAndLog()
        }
      }
      epoch += 1
    }
    if step % evaluationInterval != 0 || step == 0 {
      try evaluateAndLog()
    }
    return TrainingSummary(
      epochs: Double(step) / Double(stepsPerEpoch), steps: step, trainingSeconds: trainingSeconds,
      wallSeconds: Date().timeIntervalSince(wallStart),
      imagesPerSecond: trainingSeconds > 0 ? Double(step * config.batchSize) / trainingSeconds : 0,
      finalTest: lastTest, stopReason: stopReason)
  }
}
