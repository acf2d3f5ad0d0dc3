import GrawaData
import GrawaNN
import GrawaTensor

/// Evaluates center models (REFERENCE.md section 4): loads a flat parameter vector into a model of
/// its own, obtains batch-norm statistics by the run's ``BufferPolicy``, and measures test loss
/// and error.
final class CenterEvaluator {
  private let model: any Layer
  private let environment: WorkerEnvironment
  private let test: Dataset
  /// The fixed training batches the statistics are re-estimated over (the same at every
  /// evaluation, so evaluations are reproducible).
  private let estimationPlan: BatchPlan?

  init(environment: WorkerEnvironment, test: Dataset) throws {
    self.environment = environment
    self.test = test
    model = try environment.makeModel()
    let configuration = environment.configuration
    if configuration.bufferPolicy == .recompute, configuration.batchNormBatches > 0 {
      let train = environment.train
      let count = min(configuration.batchNormBatches * configuration.batchSize, train.count)
      var generator = RandomGenerator(seed: configuration.seed, stream: WorkerStreams.batchNormEstimation)
      let order = try SubsetSampler(populationCount: train.count, sampleCount: count).sample(using: &generator)
      estimationPlan = try BatchPlan(
        dataset: train, order: order, batchSize: configuration.batchSize, pipeline: environment.recipe.training,
        seed: configuration.seed, epoch: 0, stream: WorkerStreams.batchNormEstimation)
    } else {
      estimationPlan = nil
    }
  }

  /// The common initial parameters (the model is built from the run's seed like every worker's).
  var initialParameters: [Float] { model.flatParameters() }

  /// Test loss and error of `parameters`, with batch-norm statistics re-estimated, or averaged
  /// from `workerBuffers`.
  func evaluate(parameters: [Float], workerBuffers: [[Float]]) throws -> EvaluationResult {
    try prepare(parameters: parameters, workerBuffers: workerBuffers)
    let configuration = environment.configuration
    return try Evaluation.evaluate(
      model, on: test, pipeline: environment.recipe.evaluation, batchSize: 256, limit: configuration.testLimit)
  }

  /// Loads `parameters` into the evaluator's model and sets its batch-norm statistics by the
  /// run's policy; returns the model.
  @discardableResult
  func prepare(parameters: [Float], workerBuffers: [[Float]]) throws -> any Layer {
    try model.setFlatParameters(parameters)
    if let estimationPlan {
      try reestimateBatchNorm(over: estimationPlan)
    } else {
      let equal = [Double](repeating: 1 / Double(workerBuffers.count), count: workerBuffers.count)
      try model.setFlatBuffers(try WeightedAverage.combine(workerBuffers, weights: equal))
    }
    return model
  }

  /// Forward passes in training mode over `plan` with momentum `1/k` for the k-th batch, so the
  /// running statistics become the cumulative average over the batches (like
  /// `torch.optim.swa_utils.update_bn`).
  private func reestimateBatchNorm(over plan: BatchPlan) throws {
    let context = ForwardContext(mode: .training, random: RandomGenerator(seed: 0))
    try GradientRecording.withoutGradients {
      for (k, batch) in plan.enumerated() {
        context.batchNormMomentum = 1 / Float(k + 1)
        _ = try model(batch.images, context)
      }
    }
  }
}
