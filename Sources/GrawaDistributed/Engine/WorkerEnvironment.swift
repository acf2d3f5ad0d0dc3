import GrawaData
import GrawaNN
import GrawaOptim
import GrawaTensor

/// What every worker of a run shares, read-only: the task, the run's settings, and the shapes of
/// the model's flat vectors.
struct WorkerEnvironment: Sendable {
  var task: TrainingTask
  var settings: RunSettings
  /// Local steps in one pass over a worker's shard.
  var stepsPerEpoch: Int
  /// Samples in one training batch of a worker.
  var samplesPerBatch: Int
  /// The optimizer's learning rate at creation: what the schedule scales.
  var baseLearningRate: Float
  var layout: ParameterLayout
  var bufferCount: Int
  /// Compute threads each worker's kernels may use.
  var threadsPerWorker: Int

  /// Builds the run's model from the common seed: every worker and the evaluator get identical
  /// initial parameters (stream 0 of the run's seed).
  func makeModel() throws -> any Layer {
    var generator = RandomGenerator(seed: settings.seed, stream: 0)
    return try task.makeModel(&generator)
  }
}

/// Seeds of each worker's random streams, derived from the run's seed so runs reproduce.
enum WorkerStreams {
  /// Dropout masks of worker `worker`.
  static func dropout(_ worker: Int) -> UInt64 { 0x1000 + UInt64(worker) }
  /// Probe-batch draws of worker `worker`.
  static func probe(_ worker: Int) -> UInt64 { 0x2000 + UInt64(worker) }
}
