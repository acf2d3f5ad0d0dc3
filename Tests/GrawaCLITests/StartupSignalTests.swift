import Foundation
import XCTest

#if canImport(Glibc)
  import Glibc
#endif

/// A scheduler may pre-empt a job at any moment, also while its data loads (issue 16's kill
/// loop): a SIGTERM then still ends in a checkpoint and the requeue exit code, not in the
/// default action's exit 143 with nothing to resume.
final class StartupSignalTests: XCTestCase {
  func testSIGTERMWhileTheDataLoads_stopsWithACheckpointAndTheRequeueCode() throws {
    guard FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") else {
      throw XCTSkip("needs the Fashion-MNIST package (dataset-fashion-mnist), which CI installs")
    }
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
