import Foundation
import GrawaExperiments
import GrawaNN
import GrawaTensor
import XCTest

/// End-to-end tests of `evaluate` and `export` on the built binary: the figures agree with the
/// run's own last evaluation, and the exported file holds the model the run evaluates.
final class EvaluateExportCommandTests: XCTestCase {
  private var directories: [URL] = []

  override func tearDown() {
    for directory in directories { try? FileManager.default.removeItem(at: directory) }
    super.tearDown()
  }

  private func directory() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("grawa-evaluate-\(UUID())")
    directories.append(url)
    return url
  }

  /// A finished tiny MGRAWA run of 2 workers on synthetic data, evaluated at its end.
  private func tinyRun() throws -> URL {
    let output = directory()
    let outcome = try CommandLineTests.run([
      "train", "--strategy", "mgrawa", "--workers", "2", "--comm-period", "2", "--model", "tiny-cnn",
      "--dataset", "synthetic", "--train-limit", "256", "--test-limit", "80", "--batch-size", "16", "--steps", "8",
      "--output", output.path, "--quiet",
    ])
    XCTAssertEqual(outcome.status, 0, outcome.standardError)
    return output
  }

  /// The last row of the run's `metrics.jsonl`.
  private func lastRow(_ run: URL) throws -> [String: Any] {
    let text = try String(contentsOf: run.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    let line = try XCTUnwrap(text.split(separator: "\n").last)
    return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
  }

  func testEvaluate_reproducesTheRunsLastEvaluation_withPerClassFigures() throws {
    let run = try tinyRun()
    let outcome = try CommandLineTests.run(["evaluate", run.path, "--json"])
    XCTAssertEqual(outcome.status, 0, outcome.standardError)
    let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any])
    let row = try lastRow(run)
    XCTAssertEqual(report["error"] as? Double, row["testError"] as? Double, "the center the run evaluated")
    XCTAssertEqual(try XCTUnwrap(report["loss"] as? Double), try XCTUnwrap(row["testLoss"] as? Double), accuracy: 1e-9)
    XCTAssertEqual(report["count"] as? Int, 80)
    XCTAssertEqual(report["model"] as? String, "center")
    let confusion = try XCTUnwrap(report["confusion"] as? [[Int]])
    XCTAssertEqual(confusion.count, 10)
    XCTAssertEqual(confusion.joined().reduce(0, +), 80)
    let correct = (0..<10).reduce(0) { $0 + confusion[$1][$1] }
    XCTAssertEqual(try XCTUnwrap(report["accuracy"] as? Double), Double(correct) / 80, accuracy: 1e-12)
    let classes = try XCTUnwrap(report["classes"] as? [[String: Any]])
    XCTAssertEqual(classes.compactMap { $0["images"] as? Int }, confusion.map { $0.reduce(0, +) })

    let text = try CommandLineTests.run(["evaluate", run.path])
    XCTAssertEqual(text.status, 0, text.standardError)
    XCTAssertTrue(text.standardOutput.contains("confusion matrix (rows: true class"), text.standardOutput)
    XCTAssertTrue(text.standardOutput.contains("center of \(run.path) (tiny-cnn, mgrawa, 2 workers, step 8)"))

    let worker = try CommandLineTests.run(["evaluate", run.path, "--worker", "1", "--json"])
    XCTAssertEqual(worker.status, 0, worker.standardError)
    XCTAssertTrue(worker.standardOutput.contains("\"model\" : \"worker 1\""), worker.standardOutput)
  }

  func testEvaluate_refusesBadArgumentsNamingThem() throws {
    let run = try tinyRun()
    let noWorker = try CommandLineTests.run(["evaluate", run.path, "--worker", "2"])
    XCTAssertEqual(noWorker.status, 2)
    XCTAssertTrue(noWorker.standardError.contains("'--worker 2': the run has 2 workers"), noWorker.standardError)
    let nothing = try CommandLineTests.run(["evaluate"])
    XCTAssertEqual(nothing.status, 2)
    XCTAssertTrue(nothing.standardError.contains("give a run directory"), nothing.standardError)
    let empty = directory()
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    let notARun = try CommandLineTests.run(["evaluate", empty.path])
    XCTAssertEqual(notARun.status, 1)
    XCTAssertTrue(notARun.standardError.contains("checkpoint.grawa: no checkpoint"), notARun.standardError)
  }

  func testExport_writesTheEvaluatedCenterUnderItsNames() throws {
    let run = try tinyRun()
    let outcome = try CommandLineTests.run(["export", run.path])
    XCTAssertEqual(outcome.status, 0, outcome.standardError)
    let file = run.appendingPathComponent("center.safetensors")
    XCTAssertTrue(outcome.standardOutput.contains("wrote \(file.path)"), outcome.standardOutput)
    let tensors = try SafeTensors(decoding: Data(contentsOf: file))
    XCTAssertEqual(tensors.metadata["grawa.model"], "tiny-cnn")
    XCTAssertEqual(tensors.metadata["grawa.source"], "center")
    XCTAssertEqual(tensors.metadata["grawa.input_shape"], "[3,32,32]")
    XCTAssertEqual(tensors.metadata["format"], "pt")
    let transform = try XCTUnwrap(tensors.metadata["grawa.evaluation_transform"])
    XCTAssertTrue(transform.contains("\"normalize\""), transform)

    // The file holds the model `evaluate` tests: loaded into a fresh model, it scores the same.
    let opened = try TrainedRun(directory: run)
    let center = try opened.model(.center)
    XCTAssertEqual(tensors.names, center.namedParameters.map(\.name) + center.namedBuffers.map(\.name))
    var generator = RandomGenerator(seed: 99)
    let fresh = TinyCNN(inputChannels: 3, classes: 10, generator: &generator)
    try fresh.load(tensors)
    XCTAssertEqual(fresh.namedParameters.map(\.parameter.value.scalars), center.namedParameters.map(\.parameter.value.scalars))
    XCTAssertEqual(fresh.namedBuffers.map(\.buffer.value.scalars), center.namedBuffers.map(\.buffer.value.scalars))

    let workerFile = run.appendingPathComponent("w0.safetensors")
    let worker = try CommandLineTests.run(["export", run.path, "--worker", "0", "-o", workerFile.path, "--quiet"])
    XCTAssertEqual(worker.status, 0, worker.standardError)
    XCTAssertEqual(worker.standardOutput, "")
    let workerTensors = try SafeTensors(decoding: Data(contentsOf: workerFile))
    XCTAssertEqual(workerTensors.metadata["grawa.source"], "worker 0")
    XCTAssertEqual(workerTensors["conv1.weight"]?.values, try opened.model(.worker(0)).namedParameters[0].parameter.value.scalars)
  }

  func testExport_intoAMissingDirectory_failsNamingItAndLeavesNothing() throws {
    let run = try tinyRun()
    let target = run.appendingPathComponent("missing/model.safetensors")
    let outcome = try CommandLineTests.run(["export", run.path, "-o", target.path])
    XCTAssertEqual(outcome.status, 1)
    XCTAssertTrue(outcome.standardError.contains(target.path), outcome.standardError)
    XCTAssertFalse(FileManager.default.fileExists(atPath: run.appendingPathComponent("missing").path))
    let empty = try CommandLineTests.run(["export", run.path, "--output", ""])
    XCTAssertEqual(empty.status, 2)
    XCTAssertTrue(empty.standardError.contains("'--output' is empty"), empty.standardError)
  }
}
