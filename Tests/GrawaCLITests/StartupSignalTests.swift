import Foundation
import XCTest
import _TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// A scheduler may pre-empt a job at any moment, also while its data loads (issue 16's kill
/// loop): a SIGTERM then still ends in a checkpoint and the requeue exit code, not in the
/// default action's exit 143 with nothing to resume.
final class StartupSignalTests: XCTestCase {
  func testSIGTERMWhileTheDataLoads_stopsWithACheckpointAndTheRequeueCode() throws {
    // The real dataset, whose loading takes long enough to be interrupted: required, like the
    // other tests on Fashion-MNIST (`.ci/run` installs it), so a machine without it fails here.
    let images = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
    XCTAssertTrue(
      FileManager.default.fileExists(atPath: images),
      "\(images) is missing: apt-get install dataset-fashion-mnist")
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("startup-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let process = Process()
    process.executableURL = CommandLineTests.productsDirectory.appendingPathComponent("grawa-train")
    process.arguments = [
      "train", "--model", "tiny-cnn", "--dataset", "fashion-mnist", "--train-limit", "512", "--test-limit", "64",
      "--batch-size", "16", "--workers", "2", "--steps", "1000000", "--threads", "2", "--quiet",
      "--output", directory.path,
    ]
    process.standardOutput = FileHandle.nullDevice
    let err = Pipe()
    process.standardError = err
    try process.run()
    // Loading the 60,000 gzip-compressed training images takes longer than this.
    usleep(150_000)
    kill(process.processIdentifier, SIGTERM)
    let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    XCTAssertEqual(process.terminationReason, .exit, errText)
    XCTAssertEqual(process.terminationStatus, 75, errText)
    XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("checkpoint.grawa").path))
    let resumed = try CommandLineTests.run(["train", "--resume", directory.path, "--steps", "4", "--quiet"])
    XCTAssertEqual(resumed.status, 0, resumed.standardError)
  }
}

/// A run killed before its first periodic checkpoint (issue 16's kill loop: SIGKILL at a random
/// moment) leaves a directory that can be continued: a new run writes a checkpoint before its
/// first step, and a directory whose metrics file holds only its header may be taken by a new run.
final class EarlyKillTests: XCTestCase {
  private var root = URL(fileURLWithPath: "/nonexistent")

  override func setUpWithError() throws {
    root = try makeTemporaryDirectory("early-kill")
  }

  private func arguments(_ output: URL, steps: Int) -> [String] {
    [
      "train", "--model", "tiny-cnn", "--dataset", "synthetic", "--train-limit", "256", "--test-limit", "32",
      "--batch-size", "16", "--workers", "2", "--steps", "\(steps)", "--threads", "2", "--quiet",
      "--output", output.path,
    ]
  }

  func testNewRun_writesACheckpointBeforeItsFirstStep_soAKillBeforeTheFirstIntervalCanResume() throws {
    let output = root.appendingPathComponent("run")
    let process = Process()
    process.executableURL = CommandLineTests.productsDirectory.appendingPathComponent("grawa-train")
    // The default cadence, 10 minutes: without the first checkpoint there would be none for 10 minutes.
    process.arguments = arguments(output, steps: 100_000_000)
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    let checkpoint = output.appendingPathComponent("checkpoint.grawa")
    let deadline = Date().addingTimeInterval(60)
    while !FileManager.default.fileExists(atPath: checkpoint.path), Date() < deadline, process.isRunning {
      usleep(20_000)
    }
    XCTAssertTrue(FileManager.default.fileExists(atPath: checkpoint.path), "no checkpoint before the first interval")
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    let resumed = try CommandLineTests.run(["train", "--resume", output.path, "--steps", "2", "--quiet"])
    XCTAssertEqual(resumed.status, 0, resumed.standardError)
  }

  func testDirectoryWithOnlyAMetricsHeader_isTakenByANewRun_oneWithRowsIsRefused() throws {
    let output = root.appendingPathComponent("run")
    try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
    let metrics = output.appendingPathComponent("metrics.csv")
    try Data("seconds,training_seconds,epoch,step\n".utf8).write(to: metrics)
    let started = try CommandLineTests.run(arguments(output, steps: 2))
    XCTAssertEqual(started.status, 0, started.standardError)

    let other = root.appendingPathComponent("other")
    try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
    try Data("seconds,training_seconds,epoch,step\n1,1,0.5,4\n".utf8).write(to: other.appendingPathComponent("metrics.csv"))
    let refused = try CommandLineTests.run(arguments(other, steps: 2))
    XCTAssertEqual(refused.status, 2, refused.standardError)
    XCTAssertTrue(refused.standardError.contains("holds the files of an earlier run"), refused.standardError)
  }
}
