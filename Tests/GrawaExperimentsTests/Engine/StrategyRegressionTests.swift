import Foundation
import GrawaDistributed
import GrawaNN
import GrawaTensor
import GrawaExperiments
import XCTest

/// Pins every built-in strategy's behaviour in the whole engine, bit for bit, across refactors.
///
/// Each case is a small fixed-seed synchronous run (tiny CNN, 384 synthetic images, 3 workers,
/// batches of 16, 16 local steps, a sync every 4 steps for the periodic strategies, an evaluation
/// every 4 steps). The pinned values are fingerprints of its final worker parameters and buffers
/// and of the timing-free fields of its metrics rows.
///
/// The fingerprints are not hand-derived: they are what the engine produced at commit d252926
/// (before the toolkit redesign of issue 13), recorded by running this test with
/// `GRAWA_RECORD_BASELINE=1`, which prints the table instead of asserting. A change here is a
/// behaviour change and must be explained where it is made.
///
/// Issue 15 made LSGD read its running loss with the authors' meter (a zero-filled window of 4
/// that always divides by 4) instead of the mean of the losses recorded so far. The LSGD pin did
/// not change: with tau 4 every sync sees 4 recorded losses, where the two meters agree.
final class StrategyRegressionTests: XCTestCase {
  /// strategy: (parameters and buffers fingerprint, metrics fingerprint).
  private let pinned: [StrategyKind: (state: String, metrics: String)] = [
    .none: (state: "45a9559b5f58499c", metrics: "52237d9a89954afe"),
    .dataParallelSGD: (state: "46d150c2e2ee744f", metrics: "6852a147fce3dc31"),
    .dataParallelSAM: (state: "626ec7c7bcb64706", metrics: "863316f11604b56a"),
    .easgd: (state: "727327c868916c9f", metrics: "a372887cb5b4391d"),
    .lsgd: (state: "cb5885974af8d774", metrics: "2aa264d51ec31381"),
    .grawa: (state: "b97f7cbbb3c56080", metrics: "2d28d9ecb3f41f1d"),
    .mgrawa: (state: "f66eb7d99ab1b6a9", metrics: "541c0ad49dfe261d"),
    .lgrawa: (state: "e6f9c51a35211cd6", metrics: "7c6c81337bef1010"),
    .localMGRAWA: (state: "71245302f1cd2d78", metrics: "ba04be349a32f39e"),
    .localLGRAWA: (state: "9f36636b1cac9e5f", metrics: "db82c2f59c7139a8"),
  ]

  private func configuration(_ strategy: StrategyKind) -> TrainingConfiguration {
    tinyConfiguration(
      strategy, workers: 3, trainLimit: 384, testLimit: 96, steps: 16, period: strategy.usesPeriodicSync ? 4 : nil,
      batchNormBatches: 2, threads: 2, seed: 5)
  }

  /// FNV-1a over 64 bits: enough to tell two runs apart, written here so the test needs nothing.
  private struct Fingerprint {
    var value: UInt64 = 0xcbf2_9ce4_8422_2325
    mutating func add(_ bytes: some Sequence<UInt8>) {
      for byte in bytes {
        value ^= UInt64(byte)
        value &*= 0x0000_0100_0000_01b3
      }
    }
    mutating func add(_ floats: [Float]) {
      for float in floats {
        withUnsafeBytes(of: float.bitPattern.littleEndian) { add($0) }
      }
    }
    var hex: String { String(value, radix: 16) }
  }

  private func run(_ strategy: StrategyKind) throws -> (state: String, metrics: String, rows: Int) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("grawa-regression-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let checkpoint = directory.appendingPathComponent("checkpoint.grawa")
    let log = try RunLog(directory: directory)
    _ = try DistributedTrainer(configuration: configuration(strategy)).run(metrics: [log], checkpoint: checkpoint)
    let state = try CheckpointFile.read(from: checkpoint)
    var parameters = Fingerprint()
    for worker in state.workers {
      parameters.add(worker.parameters)
      parameters.add(worker.buffers)
    }
    let lines = try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
      .split(separator: "\n")
    var metrics = Fingerprint()
    for line in lines {
      let row = try JSONDecoder().decode(MetricsRow.self, from: Data(line.utf8))
      let fields: [String] = [
        "\(row.epoch)", "\(row.step)", "\(row.syncs)", "\(row.learningRate)",
        "\(String(describing: row.trainLoss))", "\(String(describing: row.trainError))", "\(row.testLoss)",
        "\(row.testError)", "\(String(describing: row.weightedTestLoss))",
        "\(String(describing: row.weightedTestError))", "\(String(describing: row.metric("weights")?.values))",
        "\(String(describing: row.metric("leader").map { Int($0.values[0]) }))",
      ]
      metrics.add(Array(fields.joined(separator: "|").utf8))
    }
    return (parameters.hex, metrics.hex, lines.count)
  }

  func testEveryStrategy_matchesItsPinnedRun() throws {
    let record = ProcessInfo.processInfo.environment["GRAWA_RECORD_BASELINE"] == "1"
    for strategy in StrategyKind.allCases {
      let result = try run(strategy)
      if record {
        print("    .\(strategy): (state: \"\(result.state)\", metrics: \"\(result.metrics)\"),  // \(result.rows) rows")
        continue
      }
      XCTAssertEqual(result.rows, 4, "\(strategy.rawValue): evaluations at steps 4, 8, 12, 16")
      guard let expected = pinned[strategy] else {
        XCTFail("\(strategy.rawValue): no pinned run")
        continue
      }
      XCTAssertEqual(result.state, expected.state, "\(strategy.rawValue): final parameters or buffers changed")
      XCTAssertEqual(result.metrics, expected.metrics, "\(strategy.rawValue): metrics rows changed")
    }
  }
}
