import Foundation
import GrawaDistributed
import GrawaExperiments
import XCTest
import _TestSupport

/// The metrics files of a run: rebuilt from a checkpoint's rows on resume, and no temporary file
/// left when writing them fails (issue 16: a disk-full resume left an empty `metrics.csv.tmp`).
final class RunLogTests: XCTestCase {
  private var directory = URL(fileURLWithPath: "/nonexistent")

  override func setUpWithError() throws {
    directory = try makeTemporaryDirectory("runlog")
  }

  private func row(_ step: Int) -> MetricsRow {
    MetricsRow(
      seconds: Double(step), trainingSeconds: Double(step), epoch: Double(step) / 10, step: step, syncs: step / 2,
      learningRate: 0.1, trainLoss: step == 1 ? .nan : 1.5, trainError: 0.5, testLoss: 2, testError: 0.75,
      strategyMetrics: [StrategyMetric("weights", .vector([0.5, 0.5]))])
  }

  func testRestoring_rebuildsBothFilesFromTheRows_whateverIsOnDisk() throws {
    try Data("garbage\nmore garbage\n".utf8).write(to: directory.appendingPathComponent("metrics.csv"))
    let rows = [row(1), row(2)]
    let log = try RunLog(directory: directory, restoring: rows, metricNames: ["weights"])
    try log.append(row(3))
    let csv = try String(contentsOf: directory.appendingPathComponent("metrics.csv"), encoding: .utf8)
    let expected =
      ([MetricsRow.csvHeader(metricNames: ["weights"])] + (rows + [row(3)]).map { $0.csvLine(metricNames: ["weights"]) })
      .map { $0 + "\n" }.joined()
    XCTAssertEqual(csv, expected)
    let lines = try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
      .split(separator: "\n")
    XCTAssertEqual(lines.count, 3)
    XCTAssertEqual(try RunJSON.decoder().decode(MetricsRow.self, from: Data(lines[1].utf8)), row(2))
    XCTAssertEqual(log.keptRows.count, 2)
  }

  func testAFailedRewrite_leavesNoTemporaryFile() throws {
    // metrics.csv is a directory: the temporary file is written, the rename over it fails.
    try FileManager.default.createDirectory(
      at: directory.appendingPathComponent("metrics.csv"), withIntermediateDirectories: false)
    XCTAssertThrowsError(try RunLog(directory: directory, restoring: [row(1)])) { error in
      XCTAssertTrue("\(error)".contains("metrics.csv: cannot rename the temporary file over it"), "\(error)")
    }
    XCTAssertThrowsError(try RunLog(directory: directory, keepingRows: 0)) { error in
      XCTAssertTrue("\(error)".contains("metrics.csv"), "\(error)")
    }
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    XCTAssertFalse(names.contains { $0.hasSuffix(".tmp") || $0.contains(".partial-") }, "\(names)")
  }
}
