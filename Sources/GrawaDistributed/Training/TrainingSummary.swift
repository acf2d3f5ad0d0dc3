import Foundation

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
  /// The metrics row, when this report follows an evaluation.
  public var evaluation: MetricsRow?

  /// A report from its figures.
  public init(
    epoch: Double, step: Int, trainLoss: Double, trainError: Double, trainingSeconds: Double,
    secondsLeft: Double? = nil, evaluation: MetricsRow? = nil
  ) {
    self.epoch = epoch
    self.step = step
    self.trainLoss = trainLoss
    self.trainError = trainError
    self.trainingSeconds = trainingSeconds
    self.secondsLeft = secondsLeft
    self.evaluation = evaluation
  }
}

/// The outcome of a run; written to `summary.json`.
public struct TrainingSummary: Sendable, Codable, Equatable {
  /// The strategy.
  public var strategy: String
  /// The number of workers.
  public var workers: Int
  /// Epochs completed by each worker.
  public var epochs: Double
  /// Local steps taken by each worker.
  public var steps: Int
  /// Syncs the center formed.
  public var syncs: Int
  /// Training seconds (evaluation excluded).
  public var trainingSeconds: Double
  /// Wall-clock seconds of the whole run, evaluation included.
  public var wallSeconds: Double
  /// Training images per second over the whole run, all workers together.
  public var imagesPerSecond: Double
  /// Mean seconds per worker in local steps.
  public var localSeconds: Double
  /// Mean seconds per worker in distributed updates (probe, forming the center, pull).
  public var distributedSeconds: Double
  /// Mean seconds per worker waiting at syncs for the other workers.
  public var waitSeconds: Double
  /// The final evaluation of the center on the test set.
  public var finalTest: EvaluationResult
  /// The final evaluation of the strategy's weighted center (GRAWA family).
  public var finalWeightedTest: EvaluationResult?
  /// Why the run stopped.
  public var stopReason: String
}

/// A diverged run: a non-finite loss or gradient norm, naming the worker and step
/// (docs/algorithms.md, "Where we differ from the authors' code", row 5). The run stops and writes no checkpoint from the bad state.
public struct DivergenceError: Error, CustomStringConvertible, Equatable {
  /// The worker that diverged.
  public let worker: Int
  /// The local step at which it happened (1-based).
  public let step: Int
  /// What was not finite ("loss", "probe-batch gradient norm", ...).
  public let quantity: String
  /// The offending value.
  public let value: Double

  /// An error naming the worker, the step and the quantity.
  public init(worker: Int, step: Int, quantity: String = "loss", value: Double) {
    self.worker = worker
    self.step = step
    self.quantity = quantity
    self.value = value
  }

  /// A message naming the worker and step.
  public var description: String {
    "worker \(worker) diverged at step \(step): \(quantity) is \(value); no checkpoint was written from this state"
  }
}

