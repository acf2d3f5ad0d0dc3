import Foundation
import XCTest
import _TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// Every output error is an error (issue 16, bugs 4 and 6), end to end on the built
/// `grawa-train`: a standard output that cannot be written (`> /dev/full`) and a file-size limit
/// (`ulimit -f`) each give a message on standard error and a non-zero exit, and leave a run
/// directory without temporary files or half-written lines, that a resume either continues or
/// refuses saying why.
final class OutputFailureTests: XCTestCase {
  private var directory = URL(fileURLWithPath: "/nonexistent")

  override func setUpWithError() throws {
    directory = try makeTemporaryDirectory("output-failure")
  }

  private var executable: URL { CommandLineTests.productsDirectory.appendingPathComponent("grawa-train") }

  private func tinyRun(_ output: URL, steps: Int, evaluateEvery: String = "100") -> [String] {
    [
      "train", "--model", "tiny-cnn", "--dataset", "synthetic", "--train-limit", "512", "--test-limit", "64",
      "--batch-size", "16", "--strategy", "easgd", "--workers", "2", "--steps", "\(steps)", "--eval-every",
      evaluateEvery, "--threads", "2", "--output", output.path,
    ]
  }

  /// Runs `command` (already quoted for the shell) under `/bin/sh` with standard output to
  /// `/dev/null` and standard error to a pipe; the exit status and standard error.
  private func runShell(_ command: String) throws -> (status: Int32, standardError: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    let err = Pipe()
    process.standardOutput = FileHandle.nullDevice
    process.standardError = err
    try process.run()
    let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
  }

  /// The names in `output` that a finished or failed run must not leave: temporary files of
  /// atomic writes (`.partial-`, `.tmp`).
  private func strayFiles(in output: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: output.path).filter {
      $0.contains(".partial") || $0.hasSuffix(".tmp")
    }
  }

  /// Checks that `metrics.csv` and `metrics.jsonl` hold the same number of whole rows.
  private func assertWholeMetricsRows(in output: URL, file: StaticString = #filePath, line: UInt = #line) throws {
    let csv = try String(contentsOf: output.appendingPathComponent("metrics.csv"), encoding: .utf8)
    let jsonl = try String(contentsOf: output.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    XCTAssertTrue(csv.hasSuffix("\n"), "metrics.csv ends in half a line", file: file, line: line)
    XCTAssertTrue(jsonl.isEmpty || jsonl.hasSuffix("\n"), "metrics.jsonl ends in half a line", file: file, line: line)
    let rows = jsonl.split(separator: "\n")
    for row in rows {
      XCTAssertNoThrow(
        try JSONSerialization.jsonObject(with: Data(row.utf8)), "not a whole JSON row: \(row)", file: file, line: line)
    }
    let csvRows = csv.split(separator: "\n")
    XCTAssertEqual(csvRows.count - 1, rows.count, "metrics.csv and metrics.jsonl disagree", file: file, line: line)
    let width = csvRows.first.map { $0.split(separator: ",", omittingEmptySubsequences: false).count }
    for row in csvRows {
      XCTAssertEqual(row.split(separator: ",", omittingEmptySubsequences: false).count, width, "\(row)", file: file, line: line)
    }
  }

  // MARK: - Bug 4: standard output that cannot be written

  func testStandardOutputToDevFull_exitsOneSayingWhy_andTheRunResumes() throws {
    let devFull = try XCTUnwrap(FileHandle(forWritingAtPath: "/dev/full"))
    for quiet in [false, true] {
      let output = directory.appendingPathComponent(quiet ? "quiet" : "verbose")
      let process = Process()
      process.executableURL = executable
      process.arguments = tinyRun(output, steps: 6) + (quiet ? ["--quiet"] : [])
      let err = Pipe()
      process.standardOutput = devFull
      process.standardError = err
      try process.run()
      let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      process.waitUntilExit()
      XCTAssertEqual(process.terminationReason, .exit, "quiet \(quiet): killed by a signal: \(errText)")
      XCTAssertEqual(process.terminationStatus, 1, "quiet \(quiet): \(errText)")
      XCTAssertTrue(
        errText.contains("standard output could not be written (No space left on device)"), "quiet \(quiet): \(errText)")
      // The run trained to its end and left a valid directory: the checkpoint resumes.
      XCTAssertEqual(try strayFiles(in: output), [])
      try assertWholeMetricsRows(in: output)
      let resumed = try CommandLineTests.run(["train", "--resume", output.path, "--steps", "8", "--quiet"])
      XCTAssertEqual(resumed.status, 0, "quiet \(quiet): \(resumed.standardError)")
      XCTAssertTrue(resumed.standardOutput.contains("8 steps"), resumed.standardOutput)
    }
  }

  // MARK: - Bug 6: a file-size limit

  func testFileSizeLimitAtTheCheckpoint_isReportedNamingTheFile_andLeavesNoTemporaryFile() throws {
    // 40 blocks of 512 bytes: the run files fit, the checkpoint (about 40 KB) does not. Periodic
    // checkpoints off, so the first checkpoint is the final one, after rows were written.
    let output = directory.appendingPathComponent("limit40")
    let command =
      "ulimit -f 40; exec '\(executable.path)' "
      + (tinyRun(output, steps: 6) + ["--checkpoint-every", "0"]).map { "'\($0)'" }.joined(separator: " ")
    let outcome = try runShell(command)
    XCTAssertEqual(outcome.status, 1, "killed by SIGXFSZ (153) or another signal? \(outcome.standardError)")
    let checkpoint = output.appendingPathComponent("checkpoint.grawa").path
    XCTAssertTrue(
      outcome.standardError.contains(
        "error: \(checkpoint): cannot write (File too large); the temporary file was removed, an existing file is untouched"),
      outcome.standardError)
    XCTAssertEqual(try strayFiles(in: output), [])
    XCTAssertFalse(FileManager.default.fileExists(atPath: checkpoint))
    try assertWholeMetricsRows(in: output)
    // Without a checkpoint the directory is refused, saying why, both as a resume and as a new run.
    let resumed = try CommandLineTests.run(["train", "--resume", output.path, "--steps", "8", "--quiet"])
    XCTAssertNotEqual(resumed.status, 0)
    XCTAssertTrue(resumed.standardError.contains(checkpoint), resumed.standardError)
    let again = try CommandLineTests.run(tinyRun(output, steps: 6) + ["--quiet"])
    XCTAssertEqual(again.status, 2, again.standardError)
    XCTAssertTrue(again.standardError.contains("'--output \(output.path)'"), again.standardError)
  }

  func testFileSizeLimitWhileAppendingMetrics_leavesWholeRowsOnly() throws {
    // 8 blocks: 4 KiB. With an evaluation every step, metrics.jsonl (about 200 bytes a row) is
    // the first file to reach it, in the middle of a row (periodic checkpoints off: the first
    // would be written, and fail, before the first step).
    let output = directory.appendingPathComponent("limit8")
    let command =
      "ulimit -f 8; exec '\(executable.path)' "
      + (tinyRun(output, steps: 64, evaluateEvery: "0.0625") + ["--quiet", "--checkpoint-every", "0"])
      .map { "'\($0)'" }.joined(separator: " ")
    let outcome = try runShell(command)
    XCTAssertEqual(outcome.status, 1, outcome.standardError)
    XCTAssertTrue(
      outcome.standardError.contains("error: \(output.appendingPathComponent("metrics.jsonl").path): cannot append")
        && outcome.standardError.contains("(File too large)"),
      outcome.standardError)
    XCTAssertEqual(try strayFiles(in: output), [])
    try assertWholeMetricsRows(in: output)
    let rows = try String(contentsOf: output.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
      .split(separator: "\n").count
    XCTAssertGreaterThan(rows, 3, "the limit was reached before the test's point")
  }
}
