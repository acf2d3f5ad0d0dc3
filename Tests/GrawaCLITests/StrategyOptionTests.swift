import Foundation
import GrawaExperiments
import XCTest

@testable import GrawaCLI

/// Options that cannot do what was asked (issue 16, weak points): a strategy-specific option the
/// chosen strategy does not use, and more workers than the training set has full batches for.
/// Both are refused with exit code 2 naming the flags and the numbers, before anything is written.
final class StrategyOptionTests: XCTestCase {
  private var directory = URL(fileURLWithPath: "/nonexistent")

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("strategy-options-\(UUID().uuidString)")
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: directory)
  }

  private func configuration(_ arguments: [String]) throws -> TrainingConfiguration {
    try TrainCommand.configuration(from: try TrainCommand.parse(arguments))
  }

  /// A value every strategy that uses `option` accepts.
  private func sample(_ option: any OptionDeclaration) -> String {
    for candidate in ["2", "1", "0.5"] where (try? option.check(candidate)) != nil { return candidate }
    XCTFail("no sample value for \(option.flag)")
    return ""
  }

  /// The strategy-specific options of `train`.
  private var strategyOptions: [any OptionDeclaration] { TrainOptions.all.filter { $0.strategies != nil } }

  // MARK: - Options a strategy does not use

  func testStrategySpecificOptions_areTheStrategySettingsFlags() {
    XCTAssertEqual(
      strategyOptions.map(\.flag),
      ["--comm-period", "--pull", "--proximity", "--norm-momentum", "--local-norm-momentum", "--sam-rho"])
  }

  func testEveryStrategySpecificOption_isAcceptedExactlyByTheStrategiesThatUseIt() throws {
    for option in strategyOptions {
      let setting = try XCTUnwrap(option.setting)
      for strategy in StrategyKind.allCases {
        let arguments = ["--strategy", strategy.rawValue, option.flag, sample(option), "--steps", "1"]
        if strategy.settingsUsed.contains(setting) {
          XCTAssertNoThrow(try configuration(arguments), arguments.joined(separator: " "))
        } else {
          XCTAssertThrowsError(try configuration(arguments), arguments.joined(separator: " ")) {
            guard case .usage(let message) = $0 as? CLIError else { return XCTFail("\($0)") }
            XCTAssertTrue(message.contains("'\(option.flag)' does nothing for strategy \(strategy.rawValue)"), message)
            let users = StrategyKind.allCases.filter { $0.settingsUsed.contains(setting) }.map(\.rawValue)
            XCTAssertTrue(message.hasSuffix("it applies only to " + users.joined(separator: ", ")), message)
          }
        }
      }
    }
  }

  func testTheEnginesOwnSettings_matchTheTable() {
    // What each strategy's constructor takes (StrategyKind.make): EASGD has no proximity pull,
    // vanilla GRAWA no norm momentum, DP+SAM only its radius.
    XCTAssertEqual(StrategyKind.strategies(using: .samRho), [.dataParallelSAM])
    XCTAssertEqual(StrategyKind.strategies(using: .normMomentum), [.mgrawa, .lgrawa])
    XCTAssertEqual(StrategyKind.strategies(using: .localNormMomentum), [.localMGRAWA, .localLGRAWA])
    XCTAssertEqual(
      StrategyKind.strategies(using: .proximityStrength), [.lsgd, .grawa, .mgrawa, .lgrawa, .localMGRAWA, .localLGRAWA])
    XCTAssertEqual(
      StrategyKind.strategies(using: .communicationPeriod),
      StrategyKind.allCases.filter(\.usesPeriodicSync))
    XCTAssertNil(StrategyKind.strategies(using: .workers))
  }

  func testUnusedOption_exitsTwoNamingFlagStrategyAndUsers_beforeWritingAnything() throws {
    let cases: [(arguments: [String], expected: String)] = [
      (["--strategy", "mgrawa", "--sam-rho", "0.1"], "'--sam-rho' does nothing for strategy mgrawa: it applies only to dp-sam"),
      (["--strategy", "dp-sgd", "--pull", "0.2"], "'--pull' does nothing for strategy dp-sgd: it applies only to easgd,"),
      (["--strategy", "none", "--comm-period", "2"], "'--comm-period' does nothing for strategy none: it applies only to easgd,"),
      (["--strategy", "easgd", "--norm-momentum", "0.5"], "'--norm-momentum' does nothing for strategy easgd: it applies only to mgrawa, lgrawa"),
      (["--strategy", "easgd", "--proximity", "0.1"], "'--proximity' does nothing for strategy easgd: it applies only to lsgd,"),
      (["--sam-rho", "0.1"], "'--sam-rho' does nothing for strategy \(TrainOptions.strategy.defaultValue.rawValue) (the default)"),
    ]
    let output = directory.appendingPathComponent("run")
    for (arguments, expected) in cases {
      let outcome = try CommandLineTests.run(
        ["train", "--model", "tiny-cnn", "--dataset", "synthetic", "--steps", "1", "--output", output.path] + arguments)
      XCTAssertEqual(outcome.status, 2, outcome.standardError)
      XCTAssertTrue(outcome.standardError.contains("error: " + expected), outcome.standardError)
      XCTAssertFalse(FileManager.default.fileExists(atPath: output.path), "a refused run created \(output.path)")
    }
  }

  func testTrainHelp_namesTheStrategiesOfEachStrategySpecificOption() throws {
    let outcome = try CommandLineTests.run(["help", "train"])
    XCTAssertEqual(outcome.status, 0, outcome.standardError)
    let lines = outcome.standardOutput.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    for option in strategyOptions {
      let line = try XCTUnwrap(lines.first { $0.hasPrefix(option.flag + " ") }, option.flag)
      let users = try XCTUnwrap(option.strategies).map(\.rawValue).joined(separator: ", ")
      XCTAssertTrue(line.contains("(strategies: \(users);"), line)
    }
    let samLine = try XCTUnwrap(lines.first { $0.hasPrefix("--sam-rho ") })
    XCTAssertTrue(samLine.contains("(strategies: dp-sam;"), samLine)
  }

  func testRunHeader_showsOnlyTheSettingsTheStrategyUses() throws {
    func strategyLine(_ strategy: String) throws -> String {
      let config = try configuration(["--strategy", strategy, "--workers", "2", "--steps", "1"])
      let header = TrainCommand.header(
        config, parameterCount: 10, stepsPerEpoch: 4, resumedAfter: nil, output: URL(fileURLWithPath: "/tmp/run"))
      return String(header.split(separator: "\n")[1])
    }
    XCTAssertEqual(try strategyLine("easgd"), "  strategy easgd, 2 workers, sync, tau 4, pull 0.1")
    XCTAssertEqual(try strategyLine("lsgd"), "  strategy lsgd, 2 workers, sync, tau 4, pull 0.1, proximity 0.1")
    XCTAssertEqual(try strategyLine("dp-sgd"), "  strategy dp-sgd, 2 workers, sync")
  }

  func testCompare_passesAStrategySpecificOptionOnlyToTheStrategiesThatUseIt() throws {
    let parsed = try CompareCommand.parse([
      "--strategies", "dp-sgd,easgd,lsgd", "--comm-period", "2", "--proximity", "0.05", "--steps", "3",
    ])
    try CompareCommand.refuseOptionsUnused(by: [.dataParallelSGD, .easgd, .lsgd], parsed)
    let common = ["--steps", "3"]
    XCTAssertEqual(
      CompareCommand.trainArguments(parsed, strategy: .dataParallelSGD, seed: 1),
      common + ["--strategy", "dp-sgd", "--seed", "1"])
    XCTAssertEqual(
      CompareCommand.trainArguments(parsed, strategy: .easgd, seed: 1),
      ["--comm-period", "2"] + common + ["--strategy", "easgd", "--seed", "1"])
    XCTAssertEqual(
      CompareCommand.trainArguments(parsed, strategy: .lsgd, seed: 1),
      ["--comm-period", "2", "--proximity", "0.05"] + common + ["--strategy", "lsgd", "--seed", "1"])
    // Every run's configuration is accepted by train.
    for strategy in [StrategyKind.dataParallelSGD, .easgd, .lsgd] {
      XCTAssertNoThrow(
        try configuration(CompareCommand.trainArguments(parsed, strategy: strategy, seed: 0)), strategy.rawValue)
    }
  }

  func testCompare_refusesAStrategySpecificOptionNoComparedStrategyUses() throws {
    let output = directory.appendingPathComponent("compare")
    let outcome = try CommandLineTests.run([
      "compare", "--strategies", "dp-sgd,easgd", "--sam-rho", "0.1", "--model", "tiny-cnn", "--dataset", "synthetic",
      "--steps", "1", "--output", output.path,
    ])
    XCTAssertEqual(outcome.status, 2, outcome.standardError)
    XCTAssertTrue(
      outcome.standardError.contains(
        "error: '--sam-rho' does nothing for any compared strategy (dp-sgd, easgd): it applies only to dp-sam"),
      outcome.standardError)
    XCTAssertFalse(FileManager.default.fileExists(atPath: output.path))
  }

  // MARK: - More workers than the data has full batches for

  private func tinyRun(_ extra: [String]) -> [String] {
    ["train", "--model", "tiny-cnn", "--dataset", "synthetic", "--steps", "1", "--output",
     directory.appendingPathComponent("run").path] + extra
  }

  private func assertRefused(_ arguments: [String], mentions fragments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
    let outcome = try CommandLineTests.run(arguments)
    XCTAssertEqual(outcome.status, 2, outcome.standardError, file: file, line: line)
    for fragment in fragments {
      XCTAssertTrue(outcome.standardError.contains(fragment), "lacks \(fragment): \(outcome.standardError)", file: file, line: line)
    }
    XCTAssertFalse(
      FileManager.default.fileExists(atPath: directory.path), "a refused run created \(directory.path)", file: file,
      line: line)
  }

  func testTooManyWorkersForTheTrainLimit_exitsTwoNamingTheFlagsAndNumbers() throws {
    try assertRefused(
      tinyRun(["--workers", "1024", "--train-limit", "1000", "--batch-size", "16"]),
      mentions: [
        "error: '--workers 1024' with '--batch-size 16' needs at least 16384 training images",
        "'--train-limit 1000' allows 1000, 0 per worker", "at most 62 workers",
      ])
  }

  func testTooManyWorkersForTheLoadedTrainingSet_exitsTwoNamingTheFlagsAndNumbers() throws {
    // The synthetic training set holds 5,000 images; the limit allows more than that, so only
    // the loaded data shows that 1024 workers cannot get a batch of 16 each.
    try assertRefused(
      tinyRun(["--workers", "1024", "--train-limit", "100000", "--batch-size", "16"]),
      mentions: [
        "error: '--workers 1024' with '--batch-size 16' needs at least 16384 training images",
        "the training set synthetic/train holds 5000, 4 per worker",
        "at most 312 workers, or a batch size of at most 4",
      ])
    try assertRefused(
      tinyRun(["--workers", "100"]),
      mentions: [
        "error: '--workers 100' with '--batch-size \(TrainOptions.batchSize.defaultValue)' needs at least",
        "the training set synthetic/train holds 5000, 50 per worker",
      ])
  }

  func testShardTooSmallError_countsWhatIsNeeded() {
    let error = ShardTooSmallError(images: 1000, dataset: "x/train", workers: 1024, batchSize: 16, trainLimit: nil)
    XCTAssertEqual(error.imagesNeeded, 16_384)
    XCTAssertEqual(error.shardSize, 0)
    XCTAssertEqual(error.maximumWorkers, 62)
    XCTAssertEqual(
      "\(error)",
      "worker count 1024 with batch size 16 needs at least 16384 training images (a full batch per worker), "
        + "but the training set x/train (1000 images) gives each worker 0")
  }
}
