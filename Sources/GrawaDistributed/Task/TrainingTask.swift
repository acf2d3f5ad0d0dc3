import GrawaData
import GrawaNN
import GrawaOptim
import GrawaTensor

/// What a researcher brings to a distributed run: the model, the data, the loss, the optimizer,
/// the learning-rate schedule and how to evaluate the center. The engine (``DistributedTrainer``)
/// adds workers, a strategy, budgets, checkpoints and metrics; it knows no model or dataset by
/// name.
public struct TrainingTask: Sendable {
  /// Builds one replica of the model, drawing its initial parameters from `generator`. Every
  /// worker and the evaluator call it with identically seeded generators, so all replicas start
  /// from the same parameters (docs/algorithms.md, "The local step").
  public var makeModel: @Sendable (_ generator: inout RandomGenerator) throws -> any Layer
  /// The training batches (each worker gets its own shard) and the probe batches.
  public var data: any BatchSource
  /// The loss the workers minimise (mean-reduced for steps; sum-reduced for probe batches).
  public var loss: TrainingLoss
  /// Makes a worker's optimizer over its replica's parameters; its learning rate at creation is
  /// the base rate the ``schedule`` scales.
  public var makeOptimizer: @Sendable (_ parameters: [Parameter]) throws -> any Optimizer
  /// How the learning rate changes during the run.
  public var schedule: LearningRateSchedule
  /// How the run's center is evaluated; `nil`: no evaluation (metrics rows hold only training
  /// figures).
  public var evaluation: CenterEvaluation?

  /// A task from its parts.
  public init(
    makeModel: @escaping @Sendable (_ generator: inout RandomGenerator) throws -> any Layer,
    data: any BatchSource,
    loss: TrainingLoss = .crossEntropy,
    makeOptimizer: @escaping @Sendable (_ parameters: [Parameter]) throws -> any Optimizer,
    schedule: LearningRateSchedule = .constant,
    evaluation: CenterEvaluation? = nil
  ) {
    self.makeModel = makeModel
    self.data = data
    self.loss = loss
    self.makeOptimizer = makeOptimizer
    self.schedule = schedule
    self.evaluation = evaluation
  }
}

/// A loss a run minimises: a scalar tensor from the model's output and the batch, reduced over
/// the batch as asked.
public struct TrainingLoss: Sendable {
  /// A short name for logs.
  public let name: String
  private let body: @Sendable (_ output: Tensor, _ batch: Batch, _ reduction: LossReduction) throws -> Tensor

  /// A loss computed by `body`, which must return a scalar that gradients can flow through.
  public init(
    name: String, _ body: @escaping @Sendable (_ output: Tensor, _ batch: Batch, _ reduction: LossReduction) throws -> Tensor
  ) {
    self.name = name
    self.body = body
  }

  /// The loss of `output` on `batch`, reduced by `reduction`.
  /// - Throws: the body's errors.
  public func callAsFunction(_ output: Tensor, batch: Batch, reduction: LossReduction) throws -> Tensor {
    try body(output, batch, reduction)
  }

  /// Cross-entropy of `[N, C]` logits against the batch's labels (the paper's loss).
  public static let crossEntropy = TrainingLoss(name: "cross-entropy") { output, batch, reduction in
    try output.crossEntropy(labels: batch.labels, reduction: reduction)
  }
}

/// How a run evaluates its center (docs/algorithms.md, "Evaluation of a run"): the test batches, and how the
/// center's batch-norm statistics are obtained.
public struct CenterEvaluation: Sendable {
  /// The test batches, visited in order at every evaluation.
  public var test: any BatchSequence
  /// Training batches to re-estimate the center's batch-norm statistics over, by forward passes
  /// in training mode with a cumulative average (like `torch.optim.swa_utils.update_bn`); `nil`:
  /// the plain average of the workers' statistics.
  public var batchNormBatches: (any BatchSequence)?

  /// An evaluation on `test`, re-estimating batch-norm statistics over `batchNormBatches`.
  public init(test: any BatchSequence, batchNormBatches: (any BatchSequence)? = nil) {
    self.test = test
    self.batchNormBatches = batchNormBatches
  }
}
