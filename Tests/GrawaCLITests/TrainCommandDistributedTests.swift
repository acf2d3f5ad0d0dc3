import Foundation
import GrawaDistributed
import XCTest

/// End-to-end tests of `grawa-train train` with distributed strategies: the built binary's exit
/// codes, standard error, the run files (metrics.csv, metrics.jsonl, config.json, summary.json,
/// checkpoint.grawa), resume, SIGINT and divergence.
///
/// Every run is tiny (tiny-cnn on 512 synthetic images, batch 16, a handful of steps).
final class TrainCommandDistributedTests: XCTestCase {
  typealias Outcome = CommandLineTests.Outcome

  /// Flags shared by every run: a tiny model on a tiny slice of the synthetic dataset.
  static let tiny = [
    "--model", "tiny-cnn", "--dataset", "synthetic", "--train-limit", "512", "--test-limit", "128",
    "--batch-size", "16",
  ]

  /// The columns whose values depend on the clock.
  static let timeColumns: Set<String> = [
    "seconds", "training_seconds", "local_seconds", "distributed_seconds", "distributed_fraction", "wait_seconds",
  ]

  /// Output directories made by the current test, removed in `tearDown`.
  private var directories: [URL] = []

  override func tearDown() {
    for directory in directories {
      try? FileManager.default.removeItem(at: directory)
    }
    directories = []
    super.tearDown()
  }

  // MARK: - Helpers

  /// A fresh path under the temporary directory (not created), removed in `tearDown`.
  func makeDirectoryURL() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "grawa-train-dist-\(UUID())")
    directories.append(url)
    return url
  }

  /// Collects a process's standard output and error on background threads, so neither pipe can
  /// fill up and block the process while the test waits.
  final class RunningTool: @unchecked Sendable {
    let process = Process()
    private let outputPipe = Pipe()
    private let errorPipe = Pipe()
    private let lock = NSLock()
    private let drained = DispatchGroup()
    private var output = Data()
    private var error = Data()

    init(_ arguments: [String]) throws {
      let executable = CommandLineTests.productsDirectory.appendingPathComponent("grawa-train")
      XCTAssertTrue(
        FileManager.default.isExecutableFile(atPath: executable.path), "missing \(executable.path)")
      process.executableURL = executable
      process.arguments = arguments
      process.standardOutput = outputPipe
      process.standardError = errorPipe
      try process.run()
      drained.enter()
      Thread.detachNewThread { [self] in
        let data = outputPipe.fileHandleForReading.readDataToEndOfFile()
        lock.lock()
        output = data
        lock.unlock()
        drained.leave()
      }
      drained.enter()
      Thread.detachNewThread { [self] in
        let data = errorPipe.fileHandleForReading.readDataToEndOfFile()
        lock.lock()
        error = data
        lock.unlock()
        drained.leave()
      }
    }

    /// Waits up to `timeout` seconds for the process to exit and returns its outcome, or `nil`
    /// after terminating it when it did not exit in time.
    func finish(timeout: TimeInterval) -> Outcome? {
      let deadline = Date(timeIntervalSinceNow: timeout)
      while process.isRunning && Date() < deadline {
        Thread.sleep(forTimeInterval: 0.05)
      }
      if process.isRunning {
        process.terminate()
        process.waitUntilExit()
        return nil
      }
      process.waitUntilExit()
      drained.wait()
      lock.lock()
      defer { lock.unlock() }
      return Outcome(
        status: process.terminationStatus, standardOutput: String(decoding: output, as: UTF8.self),
        standardError: String(decoding: error, as: UTF8.self))
    }
  }

  /// Runs `grawa-train` with `arguments` to completion (at most `timeout` seconds).
  func runTool(
    _ arguments: [String], timeout: TimeInterval = 120,
    file: StaticString = #filePath, line: UInt = #line
  ) throws -> Outcome {
    let running = try RunningTool(arguments)
    return try XCTUnwrap(
      running.finish(timeout: timeout),
      "grawa-train \(arguments.joined(separator: " ")) ran over \(timeout) s",
      file: file, line: line)
  }

  /// metrics.csv as its header and rows of fields.
  struct MetricsTable {
    var header: [String]
    var rows: [[String]]

    init(contentsOf url: URL) throws {
      let text = try String(contentsOf: url, encoding: .utf8)
      XCTAssertTrue(text.hasSuffix("\n"), "metrics.csv does not end with a newline")
      let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
      let fields = lines.map {
        $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      }
      header = fields.first ?? []
      rows = Array(fields.dropFirst())
    }

    /// The values of column `name` (empty when there is no such column).
    func column(_ name: String) -> [String] {
      guard let index = header.firstIndex(of: name) else {
        XCTFail("metrics.csv has no column '\(name)': \(header)")
        return []
      }
      return rows.map { index < $0.count ? $0[index] : "<missing>" }
    }

    /// Row `index` without the clock-dependent columns, keyed by column name.
    func timelessRow(_ index: Int) -> [String: String] {
      var result: [String: String] = [:]
      for (name, value) in zip(header, rows[index])
      where !TrainCommandDistributedTests.timeColumns.contains(name) {
        result[name] = value
      }
      return result
    }
  }

  /// A JSON file's top-level object.
  func jsonObject(
    _ url: URL, file: StaticString = #filePath, line: UInt = #line
  ) throws -> [String: Any] {
    let data = try Data(contentsOf: url)
    return try XCTUnwrap(
      try JSONSerialization.jsonObject(with: data) as? [String: Any],
      "\(url.path) is not a JSON object",
      file: file, line: line)
  }

  /// Runs a short synthetic training of 8 steps that evaluates at steps 4 and 8, and checks the
  /// run files against the flags.
  /// - Parameters:
  ///   - strategy: the strategy flags (`--strategy ... --workers ...`).
  ///   - workers: the worker count those flags give.
  ///   - evalEvery: `--eval-every` giving an evaluation every 4 steps (4 / steps per epoch).
  ///   - expectedSyncs: the center's syncs at steps 4 and 8 (step / tau; step for dp-sgd).
  /// - Returns: the metrics table, config.json and the output directory, for further checks.
  @discardableResult
  func checkShortRun(
    _ strategy: [String], workers: Int, evalEvery: String, syncs expectedSyncs: [Int],
    file: StaticString = #filePath, line: UInt = #line
  ) throws -> (table: MetricsTable, config: [String: Any], directory: URL) {
    let directory = makeDirectoryURL()
    let outcome = try runTool(
      ["train"] + strategy + Self.tiny + [
        "--steps", "8", "--eval-every", evalEvery, "--output", directory.path,
      ])
    XCTAssertEqual(outcome.status, 0, outcome.standardError, file: file, line: line)

    let table = try MetricsTable(contentsOf: directory.appendingPathComponent("metrics.csv"))
    XCTAssertEqual(
      table.header.joined(separator: ","),
      "seconds,training_seconds,epoch,step,syncs,learning_rate,train_loss,train_error,test_loss,test_error,"
        + "weighted_test_loss,weighted_test_error,weights,leader,local_seconds,distributed_seconds,distributed_fraction,wait_seconds",
      file: file, line: line)
    XCTAssertEqual(
      table.rows.count, 2, "one row per evaluation (steps 4 and 8): \(table.rows)", file: file,
      line: line)
    for row in table.rows {
      XCTAssertEqual(row.count, table.header.count, "row \(row)", file: file, line: line)
    }
    XCTAssertEqual(table.column("step"), ["4", "8"], file: file, line: line)
    XCTAssertEqual(table.column("syncs"), expectedSyncs.map(String.init), file: file, line: line)

    let jsonl = try String(
      contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    let jsonLines = jsonl.split(separator: "\n")
    XCTAssertEqual(jsonLines.count, table.rows.count, jsonl, file: file, line: line)
    for (index, jsonLine) in jsonLines.enumerated() {
      let object = try XCTUnwrap(
        try JSONSerialization.jsonObject(with: Data(jsonLine.utf8)) as? [String: Any],
        String(jsonLine),
        file: file, line: line)
      XCTAssertEqual(
        object["step"] as? Int, [4, 8][min(index, 1)], String(jsonLine), file: file, line: line)
      XCTAssertEqual(
        object["syncs"] as? Int, expectedSyncs[min(index, 1)], String(jsonLine), file: file,
        line: line)
    }

    let config = try jsonObject(
      directory.appendingPathComponent("config.json"), file: file, line: line)
    XCTAssertEqual(config["workers"] as? Int, workers, file: file, line: line)

    let summary = try jsonObject(
      directory.appendingPathComponent("summary.json"), file: file, line: line)
    XCTAssertEqual(summary["steps"] as? Int, 8, file: file, line: line)
    XCTAssertEqual(summary["syncs"] as? Int, expectedSyncs.last, file: file, line: line)
    XCTAssertEqual(summary["workers"] as? Int, workers, file: file, line: line)
    XCTAssertEqual(summary["stopReason"] as? String, "steps", file: file, line: line)

    let checkpoint = directory.appendingPathComponent("checkpoint.grawa")
    let size = try FileManager.default.attributesOfItem(atPath: checkpoint.path)[.size] as? Int
    XCTAssertGreaterThan(
      size ?? 0, 0, "checkpoint.grawa is missing or empty", file: file, line: line)
    return (table, config, directory)
  }

  // MARK: - Help and flag validation

  func testTrainHelp_listsDistributedFlagsAndEveryStrategy() throws {
    let outcome = try runTool(["train", "--help"])
    XCTAssertEqual(outcome.status, 0, outcome.standardError)
    let help = outcome.standardOutput
    for flag in [
      "--strategy", "--workers", "--comm-period", "--pull", "--proximity", "--norm-momentum",
      "--resume",
    ] {
      XCTAssertTrue(help.contains(flag), "help lacks \(flag)")
    }
    let strategyLine = try XCTUnwrap(
      help.split(separator: "\n").first {
        $0.trimmingCharacters(in: .whitespaces).hasPrefix("--strategy")
      },
      help)
    // Whole words, so "grawa" is not found inside "mgrawa".
    let separators = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-")).inverted
    let words = Set(strategyLine.components(separatedBy: separators))
    let strategies = [
      "none", "dp-sgd", "dp-sam", "easgd", "lsgd", "grawa", "mgrawa", "lgrawa", "local-mgrawa",
      "local-lgrawa",
    ]
    for strategy in strategies {
      XCTAssertTrue(words.contains(strategy), "--strategy help lacks \(strategy): \(strategyLine)")
    }
  }

  func testTrainBadDistributedValues_exitTwoNamingTheFlag() throws {
    let output = makeDirectoryURL()
    let budget = Self.tiny + ["--steps", "8", "--output", output.path]
    let cases: [(arguments: [String], expected: [String])] = [
      (["--strategy", "foo"] + budget, ["'--strategy'"]),
      (["--workers", "0"] + budget, ["'--workers'"]),
      (["--strategy", "lsgd", "--comm-period", "0"] + budget, ["'--comm-period'"]),
      (["--strategy", "easgd", "--pull", "1.5"] + budget, ["'--pull'"]),
      (["--strategy", "lsgd", "--proximity", "-1"] + budget, ["'--proximity'"]),
      (["--strategy", "mgrawa", "--norm-momentum", "1"] + budget, ["'--norm-momentum'"]),
      (["--sync-mode", "sometimes"] + budget, ["'--sync-mode'"]),
      (
        Self.tiny + ["--strategy", "lgrawa", "--output", output.path], ["give a budget", "--steps"]
      ),
      (
        ["--resume", output.path, "--strategy", "lgrawa", "--steps", "8"],
        ["'--strategy'", "'--resume'"]
      ),
    ]
    for (arguments, expected) in cases {
      let outcome = try runTool(["train"] + arguments)
      let command = "train " + arguments.joined(separator: " ")
      XCTAssertEqual(outcome.status, 2, "\(command): \(outcome.standardError)")
      for text in expected {
        XCTAssertTrue(
          outcome.standardError.contains(text),
          "\(command): stderr lacks \(text): \(outcome.standardError)")
      }
    }
    XCTAssertFalse(
      FileManager.default.fileExists(atPath: output.path),
      "a rejected command created \(output.path)")
  }

  // MARK: - Short runs

  func testTrainLGRAWAThreeWorkers_writesRunFilesWithWeights() throws {
    // 512 / 3 = 170 images per shard, 10 steps per epoch: --eval-every 0.4 evaluates every 4
    // steps; tau 2 makes 2 syncs per evaluation.
    let (table, config, _) = try checkShortRun(
      [
        "--strategy", "lgrawa", "--workers", "3", "--comm-period", "2", "--pull", "0.4",
        "--proximity", "0.02",
        "--norm-momentum", "0.5",
      ],
      workers: 3, evalEvery: "0.4", syncs: [2, 4])
    XCTAssertEqual(config["strategy"] as? String, "lgrawa")
    let settings = try XCTUnwrap(config["strategySettings"] as? [String: Any], "\(config)")
    XCTAssertEqual(settings["communicationPeriod"] as? Int, 2)
    XCTAssertEqual(settings["pullStrength"] as? Double, 0.4)
    XCTAssertEqual(settings["proximityStrength"] as? Double, 0.02)
    XCTAssertEqual(settings["normMomentum"] as? Double, 0.5)
    for weights in table.column("weights") {
      let values = weights.split(separator: ";").compactMap { Double($0) }
      XCTAssertEqual(values.count, 3, "weights '\(weights)'")
      XCTAssertEqual(values.reduce(0, +), 1, accuracy: 1e-5, "weights '\(weights)'")
      XCTAssertTrue(values.allSatisfy { $0 > 0 && $0 < 1 }, "weights '\(weights)'")
    }
    XCTAssertTrue(table.column("weighted_test_error").allSatisfy { !$0.isEmpty }, "\(table.rows)")
  }

  func testTrainDataParallelSGD_syncsEveryStep() throws {
    // 512 / 2 = 256 images per shard, 16 steps per epoch: --eval-every 0.25 is every 4 steps.
    let (table, config, _) = try checkShortRun(
      ["--strategy", "dp-sgd", "--workers", "2"], workers: 2, evalEvery: "0.25", syncs: [4, 8])
    XCTAssertEqual(config["strategy"] as? String, "dp-sgd")
    XCTAssertNotNil(config["strategySettings"] as? [String: Any], "\(config)")
    XCTAssertEqual(table.column("weights"), ["", ""])
    XCTAssertEqual(table.column("leader"), ["", ""])
  }

  func testTrainLSGD_writesRunFilesWithLeader() throws {
    let (table, config, _) = try checkShortRun(
      ["--strategy", "lsgd", "--workers", "2", "--comm-period", "2"], workers: 2, evalEvery: "0.25",
      syncs: [2, 4])
    XCTAssertEqual(config["strategy"] as? String, "lsgd")
    let settings = try XCTUnwrap(config["strategySettings"] as? [String: Any], "\(config)")
    XCTAssertEqual(settings["communicationPeriod"] as? Int, 2)
    // The help's per-strategy defaults: LSGD pull 0.1, proximity 0.1.
    XCTAssertEqual(settings["pullStrength"] as? Double, 0.1)
    XCTAssertEqual(settings["proximityStrength"] as? Double, 0.1)
    for leader in table.column("leader") {
      XCTAssertTrue(["0", "1"].contains(leader), "leader '\(leader)'")
    }
  }

  // MARK: - Existing output, resume

  func testTrainIntoAnExistingRun_exitsTwoAndLeavesItsMetricsAlone() throws {
    let directory = makeDirectoryURL()
    let arguments =
      ["train", "--strategy", "easgd", "--workers", "2", "--comm-period", "2"] + Self.tiny
      + ["--steps", "8", "--output", directory.path]
    let first = try runTool(arguments)
    XCTAssertEqual(first.status, 0, first.standardError)
    let metrics = directory.appendingPathComponent("metrics.csv")
    let before = try Data(contentsOf: metrics)

    let second = try runTool(arguments)
    XCTAssertEqual(second.status, 2, second.standardError)
    XCTAssertTrue(second.standardError.contains("--resume"), second.standardError)
    XCTAssertEqual(try Data(contentsOf: metrics), before, "metrics.csv changed")
  }

  func testResume_continuesTheRunExactlyLikeAStraightRun() throws {
    // 2 workers: 16 steps per epoch; --eval-every 0.5 evaluates at steps 8 and 16.
    let flags =
      ["--strategy", "mgrawa", "--workers", "2", "--comm-period", "2"] + Self.tiny + [
        "--eval-every", "0.5",
      ]
    let resumed = makeDirectoryURL()
    let first = try runTool(["train"] + flags + ["--steps", "8", "--output", resumed.path])
    XCTAssertEqual(first.status, 0, first.standardError)
    let second = try runTool(["train", "--resume", resumed.path, "--steps", "16"])
    XCTAssertEqual(second.status, 0, second.standardError)
    XCTAssertTrue(second.standardOutput.contains("resuming"), second.standardOutput)
    let files = (try? FileManager.default.contentsOfDirectory(atPath: resumed.path).sorted()) ?? []
    for name in ["metrics.csv", "metrics.jsonl", "config.json", "summary.json", "checkpoint.grawa"]
    {
      XCTAssertTrue(
        files.contains(name), "after the resume the run directory lacks \(name): \(files)")
    }

    let straight = makeDirectoryURL()
    let whole = try runTool(["train"] + flags + ["--steps", "16", "--output", straight.path])
    XCTAssertEqual(whole.status, 0, whole.standardError)

    let parts = try MetricsTable(contentsOf: resumed.appendingPathComponent("metrics.csv"))
    let reference = try MetricsTable(contentsOf: straight.appendingPathComponent("metrics.csv"))
    let steps = parts.column("step")
    XCTAssertEqual(steps, ["8", "16"])
    XCTAssertEqual(Set(steps).count, steps.count, "duplicate steps: \(steps)")
    XCTAssertEqual(steps.last, "16")
    XCTAssertEqual(reference.column("step"), ["8", "16"])
    let jsonl = try String(
      contentsOf: resumed.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
    XCTAssertEqual(jsonl.split(separator: "\n").count, parts.rows.count, jsonl)
    guard parts.rows.count == 2, reference.rows.count == 2 else { return }
    XCTAssertEqual(
      parts.timelessRow(1), reference.timelessRow(1),
      "resumed final row differs from a straight run's")
    XCTAssertEqual(
      parts.timelessRow(0), reference.timelessRow(0),
      "first part's row differs from a straight run's")

    let summary = try jsonObject(resumed.appendingPathComponent("summary.json"))
    XCTAssertEqual(summary["steps"] as? Int, 16)
    XCTAssertEqual(summary["syncs"] as? Int, 8)
  }

  func testResume_refusesNewRunFlagsAndTakesBudgetFlags() throws {
    let directory = makeDirectoryURL()
    let first = try runTool(
      ["train", "--strategy", "easgd", "--workers", "2", "--comm-period", "2"] + Self.tiny
        + ["--steps", "4", "--eval-every", "0.25", "--output", directory.path])
    XCTAssertEqual(first.status, 0, first.standardError)
    let metrics = directory.appendingPathComponent("metrics.csv")
    let before = try Data(contentsOf: metrics)

    for (flag, value) in [("--model", "vgg16"), ("--lr", "0.5"), ("--seed", "3"), ("--output", "/tmp/elsewhere")] {
      let refused = try runTool(["train", "--resume", directory.path, "--steps", "8", flag, value])
      XCTAssertEqual(refused.status, 2, "\(flag): \(refused.standardError)")
      XCTAssertTrue(
        refused.standardError.contains(
          "'\(flag)' cannot be combined with '--resume': a resumed run keeps its checkpoint's settings"),
        refused.standardError)
      XCTAssertEqual(try Data(contentsOf: metrics), before, "a refused resume changed metrics.csv")
    }

    let resumed = try runTool([
      "train", "--resume", directory.path, "--steps", "8", "--eval-every", "0.5", "--threads", "1", "--quiet",
    ])
    XCTAssertEqual(resumed.status, 0, resumed.standardError)
    let summary = try jsonObject(directory.appendingPathComponent("summary.json"))
    XCTAssertEqual(summary["steps"] as? Int, 8)
  }

  func testResumeWithoutCheckpoint_failsNamingTheCheckpoint() throws {
    let directory = makeDirectoryURL()
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let outcome = try runTool(["train", "--resume", directory.path, "--steps", "16"])
    XCTAssertEqual(outcome.status, 1, outcome.standardError)
    let checkpoint = directory.appendingPathComponent("checkpoint.grawa").path
    XCTAssertTrue(outcome.standardError.contains(checkpoint), outcome.standardError)
  }

  func testResumeOfCorruptedCheckpoint_failsNamingTheCheckpoint() throws {
    let directory = makeDirectoryURL()
    let first = try runTool(
      ["train", "--strategy", "lsgd", "--workers", "2", "--comm-period", "2"] + Self.tiny
        + ["--steps", "8", "--output", directory.path])
    XCTAssertEqual(first.status, 0, first.standardError)
    let checkpoint = directory.appendingPathComponent("checkpoint.grawa")
    var bytes = try Data(contentsOf: checkpoint)
    let middle = bytes.count / 2
    for index in middle..<(middle + 16) {
      bytes[index] ^= 0xA5
    }
    try bytes.write(to: checkpoint)
    let metrics = try Data(contentsOf: directory.appendingPathComponent("metrics.csv"))

    let outcome = try runTool(["train", "--resume", directory.path, "--steps", "16"])
    XCTAssertEqual(outcome.status, 1, outcome.standardError)
    XCTAssertTrue(outcome.standardError.contains(checkpoint.path), outcome.standardError)
    XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("metrics.csv")), metrics)
  }

  // MARK: - Interrupt and divergence

  func testSIGINT_stopsWithACheckpointAndExits130() throws {
    let directory = makeDirectoryURL()
    let running = try RunningTool(
      ["train", "--strategy", "easgd", "--workers", "2", "--comm-period", "2"] + Self.tiny
        + ["--steps", "100000", "--output", directory.path])
    // config.json is written once the run (and its SIGINT handler) has started.
    let config = directory.appendingPathComponent("config.json")
    let deadline = Date(timeIntervalSinceNow: 30)
    while !FileManager.default.fileExists(atPath: config.path) && running.process.isRunning
      && Date() < deadline
    {
      Thread.sleep(forTimeInterval: 0.05)
    }
    XCTAssertTrue(FileManager.default.fileExists(atPath: config.path), "the run did not start")
    Thread.sleep(forTimeInterval: 1.5)
    XCTAssertTrue(running.process.isRunning, "the run ended before the interrupt")
    running.process.interrupt()
    let outcome = try XCTUnwrap(running.finish(timeout: 30), "no exit within 30 s of SIGINT")
    XCTAssertEqual(outcome.status, 130, outcome.standardError)
    XCTAssertEqual(
      running.process.terminationReason, .exit, "killed by the signal instead of a clean stop")
    XCTAssertTrue(outcome.standardOutput.contains("--resume"), outcome.standardOutput)
    let checkpoint = directory.appendingPathComponent("checkpoint.grawa")
    XCTAssertTrue(
      FileManager.default.fileExists(atPath: checkpoint.path), "no checkpoint after SIGINT")
    let summary = try jsonObject(directory.appendingPathComponent("summary.json"))
    XCTAssertEqual(summary["stopReason"] as? String, "interrupted")
    let steps = try XCTUnwrap(summary["steps"] as? Int)
    XCTAssertGreaterThan(steps, 0)
    XCTAssertLessThan(steps, 100_000)
    // The interrupted run continues from its checkpoint (it may have stopped between syncs).
    let resumed = try runTool(["train", "--resume", directory.path, "--steps", String(steps + 3)])
    XCTAssertEqual(resumed.status, 0, resumed.standardError)
    let after = try jsonObject(directory.appendingPathComponent("summary.json"))
    XCTAssertEqual(after["steps"] as? Int, steps + 3)
  }

  func testDivergence_exitsOneNamingWorkerAndStepWithoutCheckpoint() throws {
    let directory = makeDirectoryURL()
    // Weight decay 1 at learning rate 100 multiplies every weight by about -99 per step: the loss
    // overflows within a few steps.
    let outcome = try runTool(
      ["train", "--strategy", "easgd", "--workers", "2", "--comm-period", "2"] + Self.tiny
        + ["--lr", "100", "--weight-decay", "1", "--steps", "400", "--output", directory.path])
    XCTAssertEqual(outcome.status, 1, outcome.standardError)
    XCTAssertNotNil(
      outcome.standardError.range(
        of: #"worker [0-9]+ diverged at step [0-9]+"#, options: .regularExpression),
      outcome.standardError)
    // No checkpoint from the bad state: only the one a new run writes before its first step
    // (periodic checkpoints are on by default), which stays as the last healthy one.
    let contents = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    XCTAssertFalse(contents.contains { $0.contains("partial") }, "\(contents)")
    let state = try CheckpointFile.read(from: directory.appendingPathComponent("checkpoint.grawa"))
    XCTAssertEqual(state.boundary, 0)
    XCTAssertTrue(state.workers.allSatisfy { $0.parameters.allSatisfy(\.isFinite) })
  }
}
