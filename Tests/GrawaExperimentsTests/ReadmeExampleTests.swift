import Foundation
import Grawa
import XCTest

/// The README's "Your own model, data, loss and strategy" program, compiled and run as written
/// (with a small `loadMyData` and a temporary directory in place of `runs/mine`).
final class ReadmeExampleTests: XCTestCase {
  func testReadmeTrainingProgram_runsAsWritten() throws {
    let runs = FileManager.default.temporaryDirectory.appendingPathComponent("readme-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: runs) }
    func loadMyData() throws -> (Tensor, [Int]) {
      var generator = RandomGenerator(seed: 1)
      let labels = (0..<512).map { $0 % 3 }
      let values = labels.flatMap { label in (0..<4).map { Float(($0 == label ? 2 : 0) + generator.nextNormal()) } }
      return (try Tensor(shape: [512, 4], scalars: values), labels)
    }
    let directory = runs.appendingPathComponent("mine")

    // From here on, the README's lines (paths aside).
    let (inputs, labels) = try loadMyData()
    let task = TrainingTask(
      makeModel: { generator in Sequential([Linear(inputFeatures: 4, outputFeatures: 3, generator: &generator)]) },
      data: try TensorSource(inputs: inputs, labels: labels, batchSize: 32, seed: 0),
      loss: .crossEntropy,
      makeOptimizer: { try SGD(parameters: $0, learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4, nesterov: true) })
    var settings = RunSettings()
    settings.workers = 4
    settings.epochs = 10
    let trainer = try DistributedTrainer(task: task, settings: settings, strategy: MGRAWA(communicationPeriod: 32))
    let summary = try trainer.run(
      metrics: [try RunLog(directory: directory, metricNames: ["weights"])],
      checkpoint: directory.appendingPathComponent("checkpoint.grawa"))
    let (center, model) = try trainer.centerModel(
      of: try CheckpointFile.read(from: directory.appendingPathComponent("checkpoint.grawa")))

    // 512 samples / 4 workers / 32 = 4 steps per epoch: 40 steps, a sync every 32.
    XCTAssertEqual(summary.steps, 40)
    XCTAssertEqual(summary.syncs, 1)
    XCTAssertEqual(center.count, 15, "a 4 -> 3 linear layer")
    XCTAssertTrue(model is Sequential)
    let header = try String(contentsOf: directory.appendingPathComponent("metrics.csv"), encoding: .utf8)
    XCTAssertTrue(header.contains(",weights,"))
  }
}
