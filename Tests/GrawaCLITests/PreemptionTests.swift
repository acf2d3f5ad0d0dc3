import Foundation
import XCTest
import _TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// What a cluster scheduler and a shell do to a run (issue 16): pre-emption signals stop it
/// cleanly with a checkpoint and a requeue exit code, an unwritable standard output does not kill
/// training, and an empty path is refused before anything is written.
final class PreemptionTests: XCTestCase {
  private var directory = URL(fileURLWithPath: "/nonexistent")

  override func setUpWithError() throws {
    directory = try makeTemporaryDirectory("preemption")
  }

  private var executable: URL { CommandLineTests.productsDirectory.appendingPathComponent("grawa-train") }

  private func tinyRun(_ output: URL, steps: Int) -> [String] {
    [
      "train", "--model", "tiny-cnn", "--dataset", "synthetic", "--train-limit", "512", "--test-limit", "64",
      "--batch-size", "16", "--strategy", "easgd", "--workers", "2", "--steps", "\(steps)", "--eval-every", "100",
      "--threads", "2", "--output", output.path,
    ]
  }

  func testSIGTERMandSIGUSR1_stopWithACheckpointAndTheRequeueCode_thenTheRunResumes() throws {
    for (index, signalNumber) in [SIGTERM, SIGUSR1].enumerated() {
      let output = directory.appendingPathComponent("run\(index)")
      let process = Process()
      process.executableURL = executable
      process.arguments = tinyRun(output, steps: 1_000_000)
      let err = Pipe()
      process.standardOutput = FileHandle.nullDevice
      process.standardError = err
      try process.run()
      // Training has started once the run's config.json is written (before the first step).
      let deadline = Date().addingTimeInterval(60)
      while !FileManager.default.fileExists(atPath: output.appendingPathComponent("config.json").path),
        Date() < deadline
      {
        usleep(20_000)
      }
      usleep(300_000)
      kill(process.processIdentifier, signalNumber)
      let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      process.waitUntilExit()
      XCTAssertEqual(process.terminationStatus, 75, "signal \(signalNumber): \(errText)")
      XCTAssertTrue(errText.contains("stopping after the current step and writing a checkpoint"), errText)
      let checkpoint = output.appendingPathComponent("checkpoint.grawa")
      XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint.path))
      let summary = try String(contentsOf: output.appendingPathComponent("summary.json"), encoding: .utf8)
      XCTAssertTrue(summary.contains("\"interrupted\""), summary)
      let steps = try XCTUnwrap(
        summary.split(separator: "\n").first { $0.contains("\"steps\"") }
          .flatMap { Int($0.filter(\.isNumber)) })
      let resumed = try CommandLineTests.run(["train", "--resume", output.path, "--steps", "\(steps + 2)", "--quiet"])
      XCTAssertEqual(resumed.status, 0, resumed.standardError)
    }
  }

  func testClosedStandardOutput_doesNotKillTraining_andTheRunExitsNonZeroSayingWhy() throws {
    let output = directory.appendingPathComponent("pipe")
    let process = Process()
    process.executableURL = executable
    process.arguments = tinyRun(output, steps: 6)
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    // Like `| head -0`: nobody reads standard output.
    try out.fileHandleForReading.close()
    try process.run()
    let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 1, errText)
    XCTAssertTrue(errText.contains("standard output could not be written"), errText)
    let summary = try String(contentsOf: output.appendingPathComponent("summary.json"), encoding: .utf8)
    XCTAssertTrue(summary.contains("\"steps\" : 6"), "the run finished: \(summary)")
  }

  func testEmptyOutputOrResumePath_isRefusedNamingTheFlag() throws {
    for flag in ["--output", "--resume"] {
      let outcome = try CommandLineTests.run(["train", "--model", "tiny-cnn", "--dataset", "synthetic", "--steps", "1", flag, ""])
      XCTAssertEqual(outcome.status, 2)
      XCTAssertTrue(outcome.standardError.contains("'\(flag)' is empty"), outcome.standardError)
    }
  }
}

/// One writer per run directory, end to end (issue 16, bug 1): a second `--resume` of a running
/// run is refused before it writes anything, naming the first one's pid.
final class RunDirectoryLockCommandTests: XCTestCase {
  func testSecondResumeOfARunningRun_isRefusedNamingThePid() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lock-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let output = directory.appendingPathComponent("run")
    let arguments = [
      "train", "--model", "tiny-cnn", "--dataset", "synthetic", "--train-limit", "512", "--test-limit", "64",
      "--batch-size", "16", "--workers", "2", "--steps", "2", "--threads", "2", "--quiet", "--output", output.path,
    ]
    let first = try CommandLineTests.run(arguments)
    XCTAssertEqual(first.status, 0, first.standardError)
    let metricsBefore = try Data(contentsOf: output.appendingPathComponent("metrics.csv"))

    let running = Process()
    running.executableURL = CommandLineTests.productsDirectory.appendingPathComponent("grawa-train")
    running.arguments = ["train", "--resume", output.path, "--steps", "1000000", "--quiet"]
    running.standardOutput = FileHandle.nullDevice
    running.standardError = FileHandle.nullDevice
    try running.run()
    defer {
      if running.isRunning { kill(running.processIdentifier, SIGKILL) }
    }
    // The lock file names the running process once it holds the lock.
    let lockFile = output.appendingPathComponent(".grawa-lock")
    let deadline = Date().addingTimeInterval(60)
    while (try? String(contentsOf: lockFile, encoding: .utf8))?.hasPrefix("\(running.processIdentifier)") != true,
      Date() < deadline
    {
      usleep(20_000)
    }
    let second = try CommandLineTests.run(["train", "--resume", output.path, "--steps", "100", "--quiet"])
    XCTAssertEqual(second.status, 1, second.standardError)
    XCTAssertTrue(
      second.standardError.contains("in use by another process (pid \(running.processIdentifier))"),
      second.standardError)
    XCTAssertEqual(
      try Data(contentsOf: output.appendingPathComponent("metrics.csv")).prefix(metricsBefore.count), metricsBefore,
      "the refused run wrote nothing")
    kill(running.processIdentifier, SIGTERM)
    running.waitUntilExit()
    XCTAssertEqual(running.terminationStatus, 75)
  }
}
