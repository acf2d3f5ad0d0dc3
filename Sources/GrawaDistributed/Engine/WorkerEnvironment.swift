import GrawaData
import GrawaNN
import GrawaOptim
import GrawaTensor

/// What every worker of a run shares, read-only: the configuration, the data and its transforms,
/// and the shapes of the model's flat vectors.
struct WorkerEnvironment: Sendable {
  var configuration: TrainingConfiguration
  var train: Dataset
  var recipe: AugmentationRecipe
  var sampler: ShardSampler
  /// Local steps in one pass over a worker's shard.
  var stepsPerEpoch: Int
  var layout: ParameterLayout
  var bufferCount: Int
  var inputChannels: Int
  var inputSize: Int
  var classes: Int
  /// Compute threads each worker's kernels may use.
  var threadsPerWorker: Int
  /// Makes a worker's optimizer over its model's parameters.
  var makeOptimizer: @Sendable ([Parameter]) throws -> any Optimizer

  /// Builds the run's model from the common seed: every worker and the evaluator get identical
  /// initial parameters (stream 0 of the run's seed).
  func makeModel() throws -> any Layer {
    var generator = RandomGenerator(seed: configuration.seed, stream: 0)
    return try configuration.model.make(
      inputChannels: inputChannels, inputSize: inputSize, classes: classes, generator: &generator)
  }
}

/// Seeds of each worker's random streams, derived from the run's seed so runs reproduce.
enum WorkerStreams {
  /// Dropout masks of worker `worker`.
  static func dropout(_ worker: Int) -> UInt64 { 0x1000 + UInt64(worker) }
  /// Probe-batch draws of worker `worker`.
  static func probe(_ worker: Int) -> UInt64 { 0x2000 + UInt64(worker) }
  /// Augmentation of worker `worker`'s batches.
  static func augmentation(_ worker: Int) -> UInt64 { UInt64(worker) }
  /// The training batches batch-norm statistics are re-estimated over.
  static let batchNormEstimation: UInt64 = 0x3000
}
