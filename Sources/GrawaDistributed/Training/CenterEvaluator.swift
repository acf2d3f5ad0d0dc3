import GrawaData
import GrawaNN
import GrawaTensor

/// Evaluates center models (docs/algorithms.md, "Evaluation of a run"): loads a flat parameter vector into a model of
/// its own, obtains batch-norm statistics as the task's ``CenterEvaluation`` says, and measures
/// test loss and error.
final class CenterEvaluator {
  private let model: any Layer
  private let environment: WorkerEnvironment

  init(environment: WorkerEnvironment) throws {
    self.environment = environment
    model = try environment.makeModel()
  }

  /// The common initial parameters (the model is built from the run's seed like every worker's).
  var initialParameters: [Float] { model.flatParameters() }

  /// Test loss and error of `parameters`, with batch-norm statistics re-estimated, or averaged
  /// from `workerBuffers`; NaN figures over 0 samples when the task has no evaluation.
  func evaluate(parameters: [Float], workerBuffers: [[Float]]) throws -> EvaluationResult {
    guard let evaluation = environment.task.evaluation else {
      return EvaluationResult(loss: .nan, error: .nan, count: 0)
    }
    try prepare(parameters: parameters, workerBuffers: workerBuffers)
    return try Evaluation.evaluate(model, on: evaluation.test, loss: environment.task.loss)
  }

  /// Loads `parameters` into the evaluator's model and sets its batch-norm statistics as the
  /// task says; returns the model.
  @discardableResult
  func prepare(parameters: [Float], workerBuffers: [[Float]]) throws -> any Layer {
    try model.setFlatParameters(parameters)
    if let batches = environment.task.evaluation?.batchNormBatches {
      try reestimateBatchNorm(over: batches)
    } else if !workerBuffers.isEmpty {
      let equal = [Double](repeating: 1 / Double(workerBuffers.count), count: workerBuffers.count)
      try model.setFlatBuffers(try WeightedAverage.combine(workerBuffers, weights: equal))
    }
    return model
  }

  /// Forward passes in training mode over `batches` with momentum `1/k` for the k-th batch, so
  /// the running statistics become the cumulative average over the batches (like
  /// `torch.optim.swa_utils.update_bn`).
  private func reestimateBatchNorm(over batches: any BatchSequence) throws {
    let context = ForwardContext(mode: .training, random: RandomGenerator(seed: 0))
    try GradientRecording.withoutGradients {
      var k = 0
      try batches.forEachBatch { batch in
        context.batchNormMomentum = 1 / Float(k + 1)
        _ = try model(batch.images, context)
        k += 1
      }
    }
  }
}
