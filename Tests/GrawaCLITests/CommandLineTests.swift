import Foundation
import GrawaNN
import GrawaExperiments
import GrawaTensor
import XCTest

/// End-to-end tests of the built `grawa-train` binary: exit codes, standard error, JSON output.
final class CommandLineTests: XCTestCase {
  struct Outcome {
    var status: Int32
    var standardOutput: String
    var standardError: String
  }

  /// The directory holding the built products (the test bundle sits beside the executables).
  static var productsDirectory: URL {
    Bundle.main.bundleURL
  }

  func runTool(_ arguments: [String], environment: [String: String] = [:]) throws -> Outcome {
    try CommandLineTests.run(arguments, environment: environment)
  }

  /// Runs the built `grawa-train` with `arguments` (and `environment` added to this process's),
  /// in `workingDirectory` if given, and collects its exit status and output.
  static func run(
    _ arguments: [String], environment: [String: String] = [:], in workingDirectory: URL? = nil
  ) throws -> Outcome {
    let executable = Self.productsDirectory.appendingPathComponent("grawa-train")
    XCTAssertTrue(FileManager.default.isExecutableFile(atPath: executable.path), "missing \(executable.path)")
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let workingDirectory { process.currentDirectoryURL = workingDirectory }
    if !environment.isEmpty {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Outcome(
      status: process.terminationStatus,
      standardOutput: String(decoding: outData, as: UTF8.self),
      standardError: String(decoding: errData, as: UTF8.self))
  }

  func testHelp_listsSubcommandsAndExitsZero() throws {
    let outcome = try runTool(["--help"])
    XCTAssertEqual(outcome.status, 0)
    XCTAssertTrue(outcome.standardOutput.contains("USAGE: grawa-train <subcommand>"))
    XCTAssertTrue(outcome.standardOutput.contains("bench"))
  }

  func testVersion_printsSemanticVersion() throws {
    let outcome = try runTool(["--version"])
    XCTAssertEqual(outcome.status, 0)
    XCTAssertTrue(
      outcome.standardOutput.range(of: #"^grawa-train \d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil,
      outcome.standardOutput)
  }

  func testUnknownSubcommand_exitsTwoWithMessage() throws {
    let outcome = try runTool(["frobnicate"])
    XCTAssertEqual(outcome.status, 2)
    XCTAssertTrue(outcome.standardError.contains("unknown subcommand 'frobnicate'"), outcome.standardError)
  }

  func testBenchBadFlagValue_exitsTwoNamingTheFlag() throws {
    let outcome = try runTool(["bench", "--threads", "zero"])
    XCTAssertEqual(outcome.status, 2)
    XCTAssertTrue(outcome.standardError.contains("invalid value 'zero' for '--threads'"), outcome.standardError)
    let unknown = try runTool(["bench", "--gpu"])
    XCTAssertEqual(unknown.status, 2)
    XCTAssertTrue(unknown.standardError.contains("unknown option '--gpu'"), unknown.standardError)
    let sizes = try runTool(["bench", "--sizes", "64,,128"])
    XCTAssertEqual(sizes.status, 2)
    XCTAssertTrue(sizes.standardError.contains("'--sizes'"), sizes.standardError)
    let kernel = try runTool(["bench", "--conv", "64-64@8:0"])
    XCTAssertEqual(kernel.status, 2)
    XCTAssertTrue(kernel.standardError.contains("'--conv'"), kernel.standardError)
    XCTAssertTrue(kernel.standardError.contains("CIN-COUT@SIZE[/STRIDE][:KERNEL]"), kernel.standardError)
  }

  func testBenchHelp_documentsEveryOption() throws {
    let outcome = try runTool(["bench", "--help"])
    XCTAssertEqual(outcome.status, 0)
    for option in ["--sizes", "--threads", "--repetitions", "--json", "--skip-conv"] {
      XCTAssertTrue(outcome.standardOutput.contains(option), "help lacks \(option)")
    }
  }

  func testBenchJSON_isOneObjectWithTheFigures() throws {
    let outcome = try runTool(["bench", "--sizes", "64", "--repetitions", "1", "--skip-conv", "--json"])
    XCTAssertEqual(outcome.status, 0, outcome.standardError)
    let object = try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any]
    let gemm = try XCTUnwrap(object?["gemm"] as? [[String: Any]])
    XCTAssertFalse(gemm.isEmpty)
    XCTAssertEqual(gemm.first?["size"] as? Int, 64)
    let gflops = try XCTUnwrap(gemm.first?["medianGFLOPS"] as? Double)
    XCTAssertGreaterThan(gflops, 0)
    let peak = try XCTUnwrap(object?["peakResidentMegabytes"] as? Double)
    XCTAssertGreaterThan(peak, 1)
    // The kernel variant in use, this machine's FMA peak, and each figure as a share of it.
    let kernels = try XCTUnwrap(object?["kernels"] as? [String: Any])
    XCTAssertEqual(kernels["variant"] as? String, KernelConfiguration.current.variant.rawValue)
    XCTAssertNotNil(kernels["tiles"] as? [String: Any])
    let peaks = try XCTUnwrap(object?["fmaPeak"] as? [[String: Any]])
    let onePeak = try XCTUnwrap(peaks.first { $0["threads"] as? Int == 1 }?["gflops"] as? Double)
    XCTAssertGreaterThan(onePeak, 0)
    let share = try XCTUnwrap(gemm.first?["fractionOfPeak"] as? Double)
    XCTAssertEqual(share, gflops / onePeak, accuracy: 1e-9)
  }

  func testBench_forcedKernelVariant_isReported() throws {
    let outcome = try runTool(
      ["bench", "--sizes", "64", "--repetitions", "1", "--skip-conv", "--threads", "1"],
      environment: ["GRAWA_KERNELS": "neon"])
    XCTAssertEqual(outcome.status, 0, outcome.standardError)
    XCTAssertTrue(outcome.standardOutput.contains("kernels: neon (environment)"), outcome.standardOutput)
    let typo = try runTool(["bench", "--sizes", "64", "--skip-conv"], environment: ["GRAWA_KERNELS": "sse9"])
    XCTAssertEqual(typo.status, 2)
    XCTAssertEqual(
      typo.standardError,
      "error: GRAWA_KERNELS: 'sse9' is not a kernel variant; expected one of avx512, avx2, neon, generic\n")
  }

  func testKernelThreadEnvironment_badSpinTimeIsRefusedAtStart() throws {
    let outcome = try runTool(
      ["bench", "--sizes", "64", "--skip-conv"], environment: ["GRAWA_SPIN_MICROSECONDS": "fast"])
    XCTAssertEqual(outcome.status, 2)
    XCTAssertEqual(outcome.standardOutput, "")
    XCTAssertTrue(
      outcome.standardError.hasPrefix("error: GRAWA_SPIN_MICROSECONDS: 'fast' is not a spin time"),
      outcome.standardError)
    let quiet = try runTool(
      ["bench", "--sizes", "64", "--repetitions", "1", "--skip-conv", "--threads", "2"],
      environment: ["GRAWA_SPIN_MICROSECONDS": "0"])
    XCTAssertEqual(quiet.status, 0, quiet.standardError)
  }

  func testCoreCount_followsTheCPUMask() throws {
    // `taskset -c` leaves the process one CPU: the default thread count says so.
    let taskset = URL(fileURLWithPath: "/usr/bin/taskset")
    XCTAssertTrue(FileManager.default.isExecutableFile(atPath: taskset.path), "util-linux's taskset")
    let process = Process()
    process.executableURL = taskset
    process.arguments = [
      "-c", "0", Self.productsDirectory.appendingPathComponent("grawa-train").path, "bench", "--help",
    ]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0)
    XCTAssertTrue(text.contains("(default: all cores (1))"), text)
  }

  func testModelsJSON_listsEveryModelWithReferenceCounts() throws {
    let outcome = try runTool(["models", "--json"])
    XCTAssertEqual(outcome.status, 0, outcome.standardError)
    let rows = try XCTUnwrap(
      try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [[String: Any]])
    XCTAssertEqual(rows.count, ModelKind.allCases.count)
    let resnet20 = try XCTUnwrap(rows.first { $0["model"] as? String == "resnet20" })
    XCTAssertEqual(resnet20["parameters"] as? Int, 269_722)
    XCTAssertEqual(resnet20["parameterTensors"] as? Int, 59)
  }

  func testModelsBadClasses_exitsTwo() throws {
    let outcome = try runTool(["models", "--classes", "0"])
    XCTAssertEqual(outcome.status, 2)
    XCTAssertTrue(outcome.standardError.contains("'--classes'"), outcome.standardError)
  }

  func testTrainSyntheticRun_writesTheRunFiles() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("grawa-cli-\(UUID())")
    defer { try? FileManager.default.removeItem(at: directory) }
    let outcome = try runTool([
      "train", "--dataset", "synthetic", "--train-limit", "128", "--test-limit", "64", "--batch-size", "32",
      "--epochs", "1", "--threads", "1", "--output", directory.path,
    ])
    XCTAssertEqual(outcome.status, 0, outcome.standardError)
    XCTAssertTrue(outcome.standardOutput.contains("done (epochs): 1.00 epochs, 4 steps and 0 syncs"), outcome.standardOutput)
    // Counts in words, the final line in test error like the evaluation lines, short lines.
    XCTAssertTrue(outcome.standardOutput.contains("strategy none, 1 worker, sync\n"), outcome.standardOutput)
    XCTAssertTrue(outcome.standardOutput.contains("  center test loss "), outcome.standardOutput)
    XCTAssertNotNil(
      outcome.standardOutput.range(of: #"center test loss [0-9.]+, test error [0-9.]+%\n"#, options: .regularExpression),
      outcome.standardOutput)
    XCTAssertFalse(outcome.standardOutput.contains("accuracy"), outcome.standardOutput)
    XCTAssertFalse(outcome.standardOutput.contains("(s)"), outcome.standardOutput)
    XCTAssertFalse(outcome.standardOutput.contains("nan"), outcome.standardOutput)
    for line in outcome.standardOutput.split(separator: "\n") where !line.hasPrefix("eval") {
      let length = line.contains(directory.path) ? line.count - directory.path.count : line.count
      XCTAssertLessThanOrEqual(length, 100, String(line))
    }
    for name in ["metrics.csv", "metrics.jsonl", "config.json", "summary.json"] {
      XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path), name)
    }
    let summary = try JSONSerialization.jsonObject(
      with: Data(contentsOf: directory.appendingPathComponent("summary.json"))) as? [String: Any]
    XCTAssertEqual(summary?["steps"] as? Int, 4)
  }

  func testTrainBadFlags_exitTwoWithAClearMessage() throws {
    let noBudget = try runTool(["train", "--dataset", "synthetic"])
    XCTAssertEqual(noBudget.status, 2)
    XCTAssertTrue(noBudget.standardError.contains("give a budget"), noBudget.standardError)
    let badModel = try runTool(["train", "--model", "resnet21", "--epochs", "1"])
    XCTAssertEqual(badModel.status, 2)
    XCTAssertTrue(
      badModel.standardError.contains("invalid value 'resnet21' for '--model': choose one of resnet20, resnet56,"),
      badModel.standardError)
    let badSchedule = try runTool(["train", "--schedule", "cosine:x", "--epochs", "1"])
    XCTAssertEqual(badSchedule.status, 2)
    XCTAssertTrue(badSchedule.standardError.contains("'--schedule'"), badSchedule.standardError)
  }

  func testTrainMissingDataDirectory_failsNamingThePath() throws {
    let outcome = try runTool(["train", "--dataset", "cifar10", "--data-dir", "/nonexistent/cifar", "--epochs", "1"])
    XCTAssertEqual(outcome.status, 1)
    XCTAssertTrue(outcome.standardError.contains("/nonexistent/cifar"), outcome.standardError)
  }

  func testBenchModelProfile_reportsStepAndOperations() throws {
    let outcome = try runTool([
      "bench", "--skip-gemm", "--skip-conv", "--model", "resnet20", "--batch-size", "4", "--input", "1x28x28",
      "--steps", "1", "--threads", "1", "--profile", "--json",
    ])
    XCTAssertEqual(outcome.status, 0, outcome.standardError)
    let object = try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [String: Any]
    let models = try XCTUnwrap(object?["model"] as? [[String: Any]])
    XCTAssertEqual(models.count, 2)  // the plain step, then the profiled one
    XCTAssertGreaterThan(models[0]["imagesPerSecond"] as? Double ?? 0, 0)
    let profile = try XCTUnwrap(models[1]["profile"] as? [[String: Any]])
    let operations = Set(profile.compactMap { $0["operation"] as? String })
    XCTAssertTrue(
      operations.isSuperset(of: ["conv2d", "batchNormReLU2d", "batchNormAddReLU2d"]), "\(operations)")
    // The table never cuts an operation's name (DenseNet's are the longest).
    let table = try runTool([
      "bench", "--skip-gemm", "--skip-conv", "--model", "densenet121", "--batch-size", "2", "--input",
      "1x8x8", "--steps", "1", "--threads", "1", "--profile",
    ])
    XCTAssertEqual(table.status, 0, table.standardError)
    let text = table.standardOutput + table.standardError
    for name in ["concatenatedBatchNormReLU2d forward", "concatenatedBatchNormReLU2d backward"] {
      XCTAssertTrue(text.contains(name), text)
    }
    let badInput = try runTool(["bench", "--skip-gemm", "--skip-conv", "--model", "resnet20", "--input", "3x32"])
    XCTAssertEqual(badInput.status, 2)
    XCTAssertTrue(badInput.standardError.contains("'--input'"), badInput.standardError)
  }
}
