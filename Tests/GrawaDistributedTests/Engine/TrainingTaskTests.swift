import Foundation
import GrawaData
import GrawaDistributed
import GrawaNN
import GrawaOptim
import GrawaTensor
import XCTest

/// The engine driven through its generic API alone: a model, data, loss and optimizer of the
/// test's own (no model or dataset registry), checkpoints and resume, metrics sinks.
final class TrainingTaskTests: XCTestCase {
  /// Two Gaussian blobs per class in 4 dimensions, 3 classes.
  private func blobs(count: Int, seed: UInt64) throws -> (Tensor, [Int]) {
    var generator = RandomGenerator(seed: seed)
    var values: [Float] = []
    var labels: [Int] = []
    for index in 0..<count {
      let label = index % 3
      for dimension in 0..<4 {
        values.append(Float((dimension == label ? 2.0 : 0.0) + 0.5 * generator.nextNormal()))
      }
      labels.append(label)
    }
    return (try Tensor(shape: [count, 4], scalars: values), labels)
  }

  private func task(loss: TrainingLoss = .crossEntropy) throws -> TrainingTask {
    let (inputs, labels) = try blobs(count: 384, seed: 3)
    let (testInputs, testLabels) = try blobs(count: 96, seed: 4)
    let test = try TensorSource(inputs: testInputs, labels: testLabels, batchSize: 32)
    return TrainingTask(
      makeModel: { generator in
        Sequential([Linear(inputFeatures: 4, outputFeatures: 3, generator: &generator)])
      },
      data: try TensorSource(inputs: inputs, labels: labels, batchSize: 16, seed: 9),
      loss: loss,
      makeOptimizer: { try SGD(parameters: $0, learningRate: 0.1, momentum: 0.9, weightDecay: 0, nesterov: true) },
      evaluation: CenterEvaluation(test: InOrder(source: test)))
  }

  /// A test set visited in order: the source's samples as full batches.
  private struct InOrder: BatchSequence {
    let source: TensorSource
    func forEachBatch(_ body: (Batch) throws -> Void) throws {
      let shard = try source.shard(worker: 0, of: 1)
      for index in 0..<shard.batchesPerEpoch {
        try body(try shard.batch(epoch: 0, index: index))
      }
    }
  }

  private final class Rows: MetricsSink {
    var rows: [MetricsRow] = []
    func append(_ row: MetricsRow) throws { rows.append(row) }
  }

  private func settings(steps: Int) -> RunSettings {
    var settings = RunSettings()
    settings.workers = 3
    settings.seed = 2
    settings.threads = 2
    settings.steps = steps
    settings.evaluateEvery = 0.5
    return settings
  }

  func testMGRAWAOnATaskOfOurOwn_learnsAndResumesBitForBit() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("task-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let strategy = MGRAWA(communicationPeriod: 4, pullStrength: 0.5, proximityStrength: 0.01)
    let checkpoint = directory.appendingPathComponent("half.grawa")
    // 384 samples / 3 workers / 16 = 8 steps per epoch: evaluations every 4 steps.
    let sink = Rows()
    _ = try DistributedTrainer(task: try task(), settings: settings(steps: 12), strategy: strategy)
      .run(metrics: [sink], checkpoint: checkpoint)
    XCTAssertEqual(sink.rows.map(\.step), [4, 8, 12])
    let saved = try CheckpointFile.read(from: checkpoint)
    XCTAssertEqual(saved.configuration, .null, "no description was given")
    let resumed = try DistributedTrainer(task: try task(), settings: settings(steps: 24), strategy: strategy)
      .run(checkpoint: checkpoint, resumeFrom: saved)
    let wholeCheckpoint = directory.appendingPathComponent("whole.grawa")
    let whole = try DistributedTrainer(task: try task(), settings: settings(steps: 24), strategy: strategy)
      .run(checkpoint: wholeCheckpoint)
    XCTAssertEqual(
      try CheckpointFile.read(from: checkpoint).workers.map(\.parameters),
      try CheckpointFile.read(from: wholeCheckpoint).workers.map(\.parameters))
    XCTAssertEqual(resumed.finalTest, whole.finalTest)
    XCTAssertEqual(whole.syncs, 6)
    XCTAssertLessThan(whole.finalTest.error, 0.2, "\(whole.finalTest)")
    XCTAssertEqual(whole.finalTest.count, 96)
  }

  func testTheTasksLossIsTheOneMinimised() throws {
    // A loss that is cross-entropy scaled by 0: no gradient, so the parameters never move.
    let frozen = TrainingLoss(name: "zero") { output, batch, reduction in
      try output.crossEntropy(labels: batch.labels, reduction: reduction) * Float(0)
    }
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("task-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let checkpoint = directory.appendingPathComponent("frozen.grawa")
    let trainer = try DistributedTrainer(task: try task(loss: frozen), settings: settings(steps: 4), strategy: Independent())
    _ = try trainer.run(checkpoint: checkpoint)
    var generator = RandomGenerator(seed: 2, stream: 0)
    let initial = try task().makeModel(&generator).flatParameters()
    for worker in try CheckpointFile.read(from: checkpoint).workers {
      XCTAssertEqual(worker.parameters, initial)
    }
  }

  func testWithoutEvaluation_rowsHoldTrainingFiguresOnly() throws {
    var bare = try task()
    bare.evaluation = nil
    let sink = Rows()
    let summary = try DistributedTrainer(task: bare, settings: settings(steps: 4), strategy: Independent())
      .run(metrics: [sink])
    XCTAssertEqual(summary.finalTest.count, 0)
    XCTAssertTrue(summary.finalTest.error.isNaN)
    XCTAssertNotNil(sink.rows.last?.trainLoss)
  }

  func testSettings_areValidatedNamingTheSetting() throws {
    var settings = settings(steps: 4)
    settings.workers = 0
    XCTAssertThrowsError(try DistributedTrainer(task: try task(), settings: settings, strategy: Independent())) {
      XCTAssertEqual("\($0)", "workers must be at least 1, got 0")
    }
    settings.workers = 30
    XCTAssertThrowsError(try DistributedTrainer(task: try task(), settings: settings, strategy: Independent())) {
      XCTAssertTrue("\($0)".contains("each of the 30 workers gets 12 of the 384 samples, fewer than one batch (16)"), "\($0)")
    }
  }

  // MARK: - Unhealthy states (issue 16, bug 3)

  /// A linear layer with a statistic that overflows during training: the training loss stays
  /// finite, but the buffer becomes infinite after three steps, and in inference mode the output
  /// adds `buffer * 0` (NaN once the buffer is infinite).
  private final class Overflowing: Layer {
    let linear: Linear
    let statistic = Buffer(Tensor([0]))
    init(generator: inout RandomGenerator) {
      linear = Linear(inputFeatures: 4, outputFeatures: 3, generator: &generator)
    }
    func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
      let output = try linear(input, context)
      if context.mode == .training {
        statistic.value = Tensor(statistic.value.scalars.map { $0 * 1e30 + 1 })
        return output
      }
      return output.adding(statistic.value.scalars[0] * 0)
    }
    var namedParameters: [(name: String, parameter: Parameter)] { prefixed("linear", linear.namedParameters) }
    var namedBuffers: [(name: String, buffer: Buffer)] { [("statistic", statistic)] }
  }

  private func overflowingTask(evaluate: Bool) throws -> TrainingTask {
    var overflowing = try task()
    overflowing.makeModel = { generator in Overflowing(generator: &generator) }
    if !evaluate { overflowing.evaluation = nil }
    return overflowing
  }

  func testNonFiniteBuffers_stopTheRunBeforeACheckpointIsWritten() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("task-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let checkpoint = directory.appendingPathComponent("run.grawa")
    let trainer = try DistributedTrainer(
      task: try overflowingTask(evaluate: false), settings: settings(steps: 8), strategy: Independent())
    XCTAssertThrowsError(try trainer.run(checkpoint: checkpoint)) { error in
      XCTAssertEqual(
        "\(error)",
        "the run diverged by step 8: worker 0's buffers hold 1 non-finite values; nothing was written from this "
          + "state (the last checkpoint is kept)")
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: checkpoint.path))
  }

  func testNonFiniteCenterTestLoss_stopsTheRunAtThatEvaluation() throws {
    let sink = Rows()
    let trainer = try DistributedTrainer(
      task: try overflowingTask(evaluate: true), settings: settings(steps: 24), strategy: Independent())
    XCTAssertThrowsError(try trainer.run(metrics: [sink])) { error in
      XCTAssertEqual((error as? UnhealthyStateError)?.step, 4, "the first evaluation, at step 4")
      XCTAssertTrue("\(error)".contains("the center's test loss is") && "\(error)".contains("nan"), "\(error)")
    }
    XCTAssertEqual(sink.rows.count, 0, "no row is written from the diverged state")
  }
}
