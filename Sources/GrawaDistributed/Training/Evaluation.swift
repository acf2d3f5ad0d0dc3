import GrawaData
import GrawaNN
import GrawaTensor

/// Loss and error of a model on a labelled set, measured in inference mode without gradients.
public struct EvaluationResult: Sendable, Equatable, Codable {
  /// Mean cross-entropy per sample.
  public var loss: Double
  /// Fraction of samples misclassified, in `[0, 1]`.
  public var error: Double
  /// Number of samples evaluated.
  public var count: Int

  /// A result from its figures.
  public init(loss: Double, error: Double, count: Int) {
    self.loss = loss
    self.error = error
    self.count = count
  }
}

/// Evaluates models on datasets (test error, train loss of a center model, ...).
public enum Evaluation {
  /// Runs `model` over `batches` in inference mode with recording off: the mean of `loss` per
  /// sample, and the fraction misclassified (the arg-max of `[N, C]` outputs against the labels).
  /// - Throws: a model, loss or data error.
  public static func evaluate(
    _ model: any Layer, on batches: any BatchSequence, loss: TrainingLoss = .crossEntropy
  ) throws -> EvaluationResult {
    let context = ForwardContext(mode: .inference)
    var totalLoss: Double = 0
    var wrong = 0
    var count = 0
    try GradientRecording.withoutGradients {
      try batches.forEachBatch { batch in
        let output = try model(batch.images, context)
        totalLoss += Double(try loss(output, batch: batch, reduction: .sum).scalar)
        wrong += misclassified(output, labels: batch.labels)
        count += batch.count
      }
    }
    let n = Double(max(count, 1))
    return EvaluationResult(loss: totalLoss / n, error: Double(wrong) / n, count: count)
  }

  /// Runs `model` over `batches` like ``evaluate(_:on:loss:)`` and also counts, for every sample,
  /// its true and predicted class (the arg-max of the `[N, C]` output).
  /// - Parameter classes: the number of classes (`C`); every label must be below it.
  /// - Throws: ``ConfigurationError`` for an output that is not `[N, classes]` or a label out of
  ///   range; a model, loss or data error.
  public static func classify(
    _ model: any Layer, on batches: any BatchSequence, classes: Int, loss: TrainingLoss = .crossEntropy
  ) throws -> ClassificationReport {
    let context = ForwardContext(mode: .inference)
    var totalLoss: Double = 0
    var count = 0
    var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
    try GradientRecording.withoutGradients {
      try batches.forEachBatch { batch in
        let output = try model(batch.images, context)
        guard output.shape == [batch.count, classes] else {
          throw ConfigurationError("the model's output has shape \(output.shape), expected [\(batch.count), \(classes)]")
        }
        totalLoss += Double(try loss(output, batch: batch, reduction: .sum).scalar)
        for (predicted, label) in zip(output.argmaxLastAxis(), batch.labels) {
          guard (0..<classes).contains(label) else {
            throw ConfigurationError("label \(label) is outside the \(classes) classes")
          }
          confusion[label][predicted] += 1
        }
        count += batch.count
      }
    }
    return ClassificationReport(loss: totalLoss / Double(max(count, 1)), count: count, confusion: confusion)
  }

  /// How many rows of `[N, C]` `output` have their arg-max away from `labels` (0 for outputs of
  /// another shape).
  static func misclassified(_ output: Tensor, labels: [Int]) -> Int {
    guard output.rank == 2, output.shape[0] == labels.count else { return 0 }
    return zip(output.argmaxLastAxis(), labels).filter { $0 != $1 }.count
  }

  /// Runs `model` over `dataset` (all samples, in order) in inference mode with recording off.
  /// - Parameters:
  ///   - pipeline: the deterministic evaluation transform (crop and normalisation).
  ///   - limit: evaluate only the first `limit` samples (for quick checks); `nil` for all.
  /// - Throws: a model or data error.
  public static func evaluate(
    _ model: any Layer, on dataset: Dataset, pipeline: AugmentationPipeline, batchSize: Int,
    limit: Int? = nil
  ) throws -> EvaluationResult {
    let count = min(dataset.count, limit ?? dataset.count)
    let plan = try BatchPlan(
      dataset: dataset, order: Array(0..<count), batchSize: batchSize, pipeline: pipeline)
    let context = ForwardContext(mode: .inference)
    var totalLoss: Double = 0
    var wrong = 0
    try GradientRecording.withoutGradients {
      for batch in plan {
        let logits = try model(batch.images, context)
        let loss = try logits.crossEntropy(labels: batch.labels, reduction: .sum)
        totalLoss += Double(loss.scalar)
        let predictions = logits.argmaxLastAxis()
        wrong += zip(predictions, batch.labels).filter { $0 != $1 }.count
      }
    }
    let n = Double(max(count, 1))
    return EvaluationResult(loss: totalLoss / n, error: Double(wrong) / n, count: count)
  }
}
