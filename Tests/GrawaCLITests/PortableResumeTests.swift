import Foundation
import GrawaExperiments
import XCTest

@testable import GrawaCLI
@testable import GrawaDistributed
import _TestSupport

/// Portable, self-contained resume (issue 16, bug 2 and the weak points around it): the data
/// directory is recorded absolute and may be moved, the training set is checked by fingerprint,
/// a checkpoint names its run, and the checkpoint alone rebuilds the metrics files.
final class PortableResumeTests: XCTestCase {
  private var root = URL(fileURLWithPath: "/nonexistent")

  override func setUpWithError() throws {
    root = try makeTemporaryDirectory("portable")
  }

  // MARK: - Helpers

  /// Writes a tiny Fashion-MNIST-shaped dataset (plain IDX files) into `name` under the test's
  /// directory: 256 training and 64 test images of 28x28 pseudo-random pixels, labels `i % 10`
  /// (`labelShift` added to training label 0, to make a different training set).
  @discardableResult
  private func writeDataset(_ name: String, trainCount: Int = 256, labelShift: Int = 0) throws -> URL {
    let directory = root.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    func word(_ value: Int) -> [UInt8] {
      [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
    func write(_ prefix: String, count: Int, shift: Int) throws {
      var state: UInt32 = 12345
      let pixels = (0..<(count * 784)).map { _ -> UInt8 in
        state = state &* 1_664_525 &+ 1_013_904_223
        return UInt8(state >> 24)
      }
      let labels = (0..<count).map { UInt8(($0 + ($0 == 0 ? shift : 0)) % 10) }
      try Data(word(0x803) + word(count) + word(28) + word(28) + pixels)
        .write(to: directory.appendingPathComponent("\(prefix)-images-idx3-ubyte"))
      try Data(word(0x801) + word(count) + labels).write(to: directory.appendingPathComponent("\(prefix)-labels-idx1-ubyte"))
    }
    try write("train", count: trainCount, shift: labelShift)
    try write("t10k", count: 64, shift: 0)
    return directory
  }

  private func newRun(_ output: String, steps: Int = 4, extra: [String]) -> [String] {
    [
      "train", "--model", "tiny-cnn", "--batch-size", "16", "--strategy", "easgd", "--workers", "2",
      "--steps", "\(steps)", "--eval-every", "0.25", "--threads", "2", "--quiet", "--output", output,
    ] + extra
  }

  private func syntheticRun(_ output: URL, steps: Int = 4) throws {
    let outcome = try CommandLineTests.run(
      newRun(output.path, steps: steps, extra: ["--dataset", "synthetic", "--train-limit", "256", "--test-limit", "32"]))
    XCTAssertEqual(outcome.status, 0, outcome.standardError)
  }

  /// Changes the configuration recorded in `run`'s checkpoint (written back in checkpoint format
  /// `version`) and in its config.json; returns the checkpoint's URL.
  private func rewriteConfiguration(
    of run: URL, version: UInt32 = CheckpointFile.formatVersion,
    _ change: (inout TrainingConfiguration) -> Void
  ) throws -> URL {
    let url = run.appendingPathComponent("checkpoint.grawa")
    var state = try CheckpointFile.read(from: url)
    var config = try TrainingConfiguration(of: state, path: url.path)
    change(&config)
    state.configuration = try JSONValue(encoding: config)
    try CheckpointFile.write(state, to: url, version: version)
    try RunJSON.encoder().encode(config).write(to: run.appendingPathComponent("config.json"))
    return url
  }

  private func configuration(in directory: URL) throws -> TrainingConfiguration {
    try RunJSON.decoder().decode(
      TrainingConfiguration.self, from: Data(contentsOf: directory.appendingPathComponent("config.json")))
  }

  private func text(_ directory: URL, _ name: String) throws -> String {
    try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
  }

  // MARK: - Data directory

  /// Bug 2: a relative `--data-dir` was stored as typed, so a resume from another working
  /// directory failed "file not found".
  func testRelativeDataDirectory_isRecordedAbsolute_andTheRunResumesFromAnotherDirectory() throws {
    try writeDataset("data")
    let started = try CommandLineTests.run(
      newRun("run", extra: ["--dataset", "fashion-mnist", "--data-dir", "data"]), in: root)
    XCTAssertEqual(started.status, 0, started.standardError)
    let run = root.appendingPathComponent("run")
    let recorded = try configuration(in: run)
    XCTAssertEqual(recorded.dataDirectory, root.appendingPathComponent("data").standardizedFileURL.path)
    XCTAssertEqual(recorded.trainingSet?.count, 256)

    let resumed = try CommandLineTests.run(
      ["train", "--resume", run.path, "--steps", "6", "--quiet"], in: URL(fileURLWithPath: "/"))
    XCTAssertEqual(resumed.status, 0, resumed.standardError)
  }

  func testDataDirectoryOnResume_movedDataResumes_aDifferentTrainingSetIsRefusedNamingTheFlag() throws {
    let data = try writeDataset("data")
    let run = root.appendingPathComponent("run")
    let started = try CommandLineTests.run(
      newRun(run.path, extra: ["--dataset", "fashion-mnist", "--data-dir", data.path]))
    XCTAssertEqual(started.status, 0, started.standardError)

    // Moved but identical: resumes, and config.json records the new place.
    let moved = root.appendingPathComponent("moved")
    try FileManager.default.moveItem(at: data, to: moved)
    let resumed = try CommandLineTests.run(
      ["train", "--resume", run.path, "--steps", "6", "--quiet", "--data-dir", moved.path])
    XCTAssertEqual(resumed.status, 0, resumed.standardError)
    XCTAssertEqual(try configuration(in: run).dataDirectory, moved.path)

    // One label changed; then fewer images: refused with exit 2, naming --data-dir and the difference.
    let relabelled = try writeDataset("relabelled", labelShift: 1)
    let checkpoint = try Data(contentsOf: run.appendingPathComponent("checkpoint.grawa"))
    var refused = try CommandLineTests.run(
      ["train", "--resume", run.path, "--steps", "8", "--quiet", "--data-dir", relabelled.path])
    XCTAssertEqual(refused.status, 2, refused.standardError)
    XCTAssertTrue(refused.standardError.contains("'--data-dir \(relabelled.path)'"), refused.standardError)
    XCTAssertTrue(refused.standardError.contains("the labels differ"), refused.standardError)
    XCTAssertFalse(refused.standardError.contains("image bytes differ"), refused.standardError)
    let smaller = try writeDataset("smaller", trainCount: 192)
    refused = try CommandLineTests.run(
      ["train", "--resume", run.path, "--steps", "8", "--quiet", "--data-dir", smaller.path])
    XCTAssertEqual(refused.status, 2, refused.standardError)
    XCTAssertTrue(refused.standardError.contains("192 images, the run's 256"), refused.standardError)
    // Nothing was written by the refused resumes.
    XCTAssertEqual(try Data(contentsOf: run.appendingPathComponent("checkpoint.grawa")), checkpoint)
    XCTAssertEqual(try configuration(in: run).dataDirectory, moved.path)

    // `evaluate` and `export` check the training set the same way (their center's batch-norm
    // statistics are re-estimated on it).
    let evaluated = try CommandLineTests.run(["evaluate", run.path, "--data-dir", moved.path, "--json"])
    XCTAssertEqual(evaluated.status, 0, evaluated.standardError)
    let mixed = try CommandLineTests.run(["export", run.path, "--data-dir", relabelled.path])
    XCTAssertEqual(mixed.status, 2, mixed.standardError)
    XCTAssertTrue(
      mixed.standardError.contains("'--data-dir \(relabelled.path)': the training set in \(relabelled.path) is not"),
      mixed.standardError)
    XCTAssertFalse(FileManager.default.fileExists(atPath: run.appendingPathComponent("center.safetensors").path))
  }

  // MARK: - Run id

  func testCheckpointCopiedIntoAnotherRunsDirectory_isRefused() throws {
    let first = root.appendingPathComponent("first")
    let second = root.appendingPathComponent("second")
    try syntheticRun(first)
    try syntheticRun(second)
    let firstID = try XCTUnwrap(try configuration(in: first).runID)
    let secondID = try XCTUnwrap(try configuration(in: second).runID)
    XCTAssertNotEqual(firstID, secondID)
    // The checkpoint records the same id as its config.json.
    let state = try CheckpointFile.read(from: first.appendingPathComponent("checkpoint.grawa"))
    XCTAssertEqual(try TrainingConfiguration(of: state, path: "").runID, firstID)

    let target = second.appendingPathComponent("checkpoint.grawa")
    try FileManager.default.removeItem(at: target)
    try FileManager.default.copyItem(at: first.appendingPathComponent("checkpoint.grawa"), to: target)
    let metrics = try text(second, "metrics.csv")
    let refused = try CommandLineTests.run(["train", "--resume", second.path, "--steps", "6", "--quiet"])
    XCTAssertEqual(refused.status, 1, refused.standardError)
    XCTAssertTrue(refused.standardError.contains("copied from another run's directory"), refused.standardError)
    XCTAssertTrue(refused.standardError.contains(firstID) && refused.standardError.contains(secondID))
    XCTAssertEqual(try text(second, "metrics.csv"), metrics)
  }

  // MARK: - Metrics files and config.json

  func testDeletedOrShortenedMetricsFiles_areRebuiltFromTheCheckpoint() throws {
    let run = root.appendingPathComponent("run")
    try syntheticRun(run)
    let csv = try text(run, "metrics.csv")
    let jsonl = try text(run, "metrics.jsonl")
    let rows = csv.split(separator: "\n").count - 1
    XCTAssertGreaterThanOrEqual(rows, 2, csv)
    try FileManager.default.removeItem(at: run.appendingPathComponent("metrics.csv"))
    try String(jsonl.prefix(jsonl.count / 2)).write(
      to: run.appendingPathComponent("metrics.jsonl"), atomically: false, encoding: .utf8)

    let resumed = try CommandLineTests.run(["train", "--resume", run.path, "--steps", "6", "--quiet"])
    XCTAssertEqual(resumed.status, 0, resumed.standardError)
    XCTAssertTrue(try text(run, "metrics.csv").hasPrefix(csv))
    XCTAssertTrue(try text(run, "metrics.jsonl").hasPrefix(jsonl))
    XCTAssertEqual(try text(run, "metrics.csv").split(separator: "\n").count, 1 + rows + 1)
    // The resumed configuration, new budget included, is in config.json.
    XCTAssertEqual(try configuration(in: run).steps, 6)
  }

  /// A checkpoint of an older version (format 1, no run id, no fingerprint, no rows) still
  /// resumes, from the metrics files on disk; its next checkpoint records all three.
  func testOldCheckpointWithoutRunIDFingerprintOrRows_resumes() throws {
    let run = root.appendingPathComponent("run")
    try syntheticRun(run)
    let url = try rewriteConfiguration(of: run, version: 1) { config in
      config.runID = nil
      config.trainingSet = nil
    }
    let csv = try text(run, "metrics.csv")

    let resumed = try CommandLineTests.run(["train", "--resume", run.path, "--steps", "6", "--quiet"])
    XCTAssertEqual(resumed.status, 0, resumed.standardError)
    XCTAssertTrue(try text(run, "metrics.csv").hasPrefix(csv))
    let now = try CheckpointFile.read(from: url)
    XCTAssertEqual(now.rows.count, now.evaluations)
    let recorded = try TrainingConfiguration(of: now, path: url.path)
    XCTAssertNotNil(recorded.runID)
    XCTAssertEqual(recorded.trainingSet?.count, 256)
    XCTAssertEqual(try configuration(in: run).runID, recorded.runID)
  }

  // MARK: - A changed strategy

  func testCheckpointOfAnotherStrategy_isReportedNamingTheFile() throws {
    let run = root.appendingPathComponent("run")
    try syntheticRun(run)
    let url = try rewriteConfiguration(of: run) { $0.strategy = .lgrawa }

    let resumed = try CommandLineTests.run(["train", "--resume", run.path, "--steps", "6", "--quiet"])
    XCTAssertEqual(resumed.status, 1, resumed.standardError)
    XCTAssertTrue(resumed.standardError.contains(url.path), resumed.standardError)
    XCTAssertTrue(resumed.standardError.contains("does not decode as the state of strategy 'lgrawa'"), resumed.standardError)
  }

  // MARK: - Stray files

  func testStaleTemporaries_areRemovedWhenAResumeTakesTheLock() throws {
    let run = root.appendingPathComponent("run")
    try syntheticRun(run)
    let stale = [".checkpoint.grawa.partial-0123", "metrics.csv.tmp", "config.json.tmp"]
    for name in stale {
      try Data("x".utf8).write(to: run.appendingPathComponent(name))
    }
    try Data("mine".utf8).write(to: run.appendingPathComponent("notes.tmp"))
    let resumed = try CommandLineTests.run(["train", "--resume", run.path, "--steps", "6", "--quiet"])
    XCTAssertEqual(resumed.status, 0, resumed.standardError)
    let names = try FileManager.default.contentsOfDirectory(atPath: run.path)
    for name in stale { XCTAssertFalse(names.contains(name), name) }
    XCTAssertTrue(names.contains("notes.tmp"), "a file the run did not write is kept")
  }

  // MARK: - Periodic checkpoints

  func testPeriodicCheckpoints_areOnByDefault_zeroTurnsThemOff_aResumeKeepsItsOwn() throws {
    let parsed = try TrainCommand.configuration(from: try TrainCommand.parse(["--steps", "1"]))
    XCTAssertEqual(parsed.checkpointMinutes, 10)
    let off = try TrainCommand.configuration(from: try TrainCommand.parse(["--steps", "1", "--checkpoint-every", "0"]))
    XCTAssertNil(off.checkpointMinutes)
    var resumed = off
    try TrainCommand.applyResumable(try TrainCommand.parse(["--steps", "2"]), to: &resumed)
    XCTAssertNil(resumed.checkpointMinutes)
    XCTAssertTrue(TrainCommand.help.contains("0: at the end only; a resumed run keeps its own) (default: 10)"), TrainCommand.help)
  }
}
