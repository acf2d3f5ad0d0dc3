import Foundation
import GrawaData
import GrawaDistributed
import GrawaNN
import XCTest

final class LocalTrainerTests: XCTestCase {
  /// A run small enough for a unit test: ResNet-20 on 256 synthetic images, batches of 32.
  func smallConfiguration(seed: UInt64 = 3) -> TrainingConfiguration {
    var config = TrainingConfiguration()
    config.model = .resnet20
    config.dataset = .synthetic
    config.batchSize = 32
    config.epochs = 1
    config.trainLimit = 256
    config.testLimit = 64
    config.seed = seed
    config.threads = 1
    return config
  }

  func testSameSeed_givesBitIdenticalRuns() throws {
    let first = try LocalTrainer(configuration: smallConfiguration()).run()
    let second = try LocalTrainer(configuration: smallConfiguration()).run()
    XCTAssertEqual(first.steps, 8)
    XCTAssertEqual(first.finalTest, second.finalTest)
    let other = try LocalTrainer(configuration: smallConfiguration(seed: 4)).run()
    XCTAssertNotEqual(first.finalTest.loss, other.finalTest.loss)
  }

  func testRun_writesOneMetricsRowPerEvaluation() throws {
    var config = smallConfiguration()
    config.evaluateEvery = 0.5
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("grawa-trainer-\(UUID())")
    defer { try? FileManager.default.removeItem(at: directory) }
    let log = try RunLog(directory: directory)
    var reports = 0
    let summary = try LocalTrainer(configuration: config).run(log: log) { _ in reports += 1 }
    XCTAssertEqual(reports, 8)
    let csv = try String(contentsOf: directory.appendingPathComponent("metrics.csv"), encoding: .utf8)
    let lines = csv.split(separator: "\n")
    XCTAssertEqual(lines.first.map(String.init), MetricsRow.csvHeader)
    XCTAssertEqual(lines.count, 3)  // header + evaluations at steps 4 and 8
    let jsonl = try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    let rows = try jsonl.split(separator: "\n").map {
      try JSONDecoder().decode(MetricsRow.self, from: Data($0.utf8))
    }
    XCTAssertEqual(rows.map(\.step), [4, 8])
    XCTAssertEqual(rows.last?.testError, summary.finalTest.error)
  }

  func testTraining_lowersTheLossOnLearnableData() throws {
    // Mean training loss (batch statistics, before each step) of the first and the last epoch.
    var config = smallConfiguration()
    config.trainLimit = 128
    config.epochs = 6
    config.evaluateEvery = 1
    config.optimizer.learningRate = 0.05
    var epochMeans: [Double] = []
    _ = try LocalTrainer(configuration: config).run { report in
      if report.step % 4 == 0 { epochMeans.append(report.trainLoss) }
    }
    XCTAssertEqual(epochMeans.count, 6)
    let first = try XCTUnwrap(epochMeans.first)
    let last = try XCTUnwrap(epochMeans.last)
    XCTAssertLessThan(last, first * 0.7, "epoch mean training losses: \(epochMeans)")
  }

  func testInvalidConfiguration_namesTheSetting() {
    var config = smallConfiguration()
    config.epochs = nil
    XCTAssertThrowsError(try LocalTrainer(configuration: config)) { error in
      XCTAssertEqual("\(error)", "give a budget: epochs, minutes or both")
    }
    config = smallConfiguration()
    config.batchSize = 512
    XCTAssertThrowsError(try LocalTrainer(configuration: config)) { error in
      XCTAssertEqual("\(error)", "train limit 256 is smaller than one batch (512)")
    }
  }
}
