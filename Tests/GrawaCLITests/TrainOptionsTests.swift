import GrawaDistributed
import GrawaExperiments
import GrawaOptim
import XCTest

@testable import GrawaCLI

/// `train`'s option declarations: their defaults are the library's, every one states whether a
/// resumed run takes it (and those that do are applied), and every setting a library error can
/// name maps to a flag.
final class TrainOptionsTests: XCTestCase {
  private func configuration(_ arguments: [String]) throws -> TrainingConfiguration {
    try TrainCommand.configuration(from: try TrainCommand.parse(arguments))
  }

  func testDefaults_areTheLibrarysDefaults() throws {
    var expected = TrainingConfiguration()
    expected.steps = 1
    // The command line's own: periodic checkpoints, and the data directory made absolute.
    expected.checkpointMinutes = TrainOptions.defaultCheckpointMinutes
    expected.resolveDataDirectory()
    XCTAssertEqual(try configuration(["--steps", "1"]), expected)
    // Each strategy keeps its own settings unless a flag overrides one.
    for kind in StrategyKind.allCases {
      XCTAssertEqual(
        try configuration(["--strategy", kind.rawValue, "--steps", "1"]).strategySettings,
        kind.defaultSettings,
        "\(kind)")
    }
    let sgd = SGD.Configuration.paper
    XCTAssertEqual(Float(TrainOptions.learningRate.defaultValue), sgd.learningRate)
    XCTAssertEqual(Float(TrainOptions.momentum.defaultValue), sgd.momentum)
    XCTAssertEqual(Float(TrainOptions.weightDecay.defaultValue), sgd.weightDecay)
  }

  func testStrategyDefaults_areShownPerStrategyFromTheLibrary() {
    XCTAssertEqual(
      TrainOptions.communicationPeriod.defaultText,
      "per strategy: 4 for easgd, lsgd; 32 for grawa, mgrawa, lgrawa, local-mgrawa, local-lgrawa")
    XCTAssertEqual(
      TrainOptions.proximity.defaultText,
      "per strategy: 0.1 for lsgd; 0.01 for grawa, mgrawa, lgrawa, local-mgrawa, local-lgrawa"
    )
    XCTAssertEqual(TrainOptions.normMomentum.defaultText, "0.43046721")
  }

  func testFlagsOverrideTheStrategysSettings() throws {
    let config = try configuration([
      "--strategy", "lgrawa", "--comm-period", "2", "--pull", "0.4", "--proximity", "0.02",
      "--norm-momentum", "0.5",
      "--steps", "1",
    ])
    XCTAssertEqual(config.strategySettings.communicationPeriod, 2)
    XCTAssertEqual(config.strategySettings.pullStrength, 0.4)
    XCTAssertEqual(config.strategySettings.proximityStrength, 0.02)
    XCTAssertEqual(config.strategySettings.normMomentum, 0.5)
  }

  func testEveryOption_statesWhetherAResumedRunTakesIt() {
    for option in TrainOptions.all {
      XCTAssertNotNil(option.resume, "\(option.flag) does not say whether --resume accepts it")
    }
    let resumable = TrainOptions.all.filter { $0.resume == .allowed }.map(\.flag)
    XCTAssertEqual(
      resumable,
      [
        "--data-dir", "--epochs", "--steps", "--minutes", "--eval-every", "--checkpoint-every",
        "--threads", "--resume",
        "--quiet", "--mpi-timeout", "--mpi-combination",
      ])
  }

  /// A value other than the default for every option a resumed run takes, and the configuration
  /// it must change.
  private let resumableSamples:
    [String: (argument: String, applied: (TrainingConfiguration) -> Bool)] = [
      "data-dir": ("/data/elsewhere", { $0.dataDirectory == "/data/elsewhere" }),
      "epochs": ("2.5", { $0.epochs == 2.5 }),
      "steps": ("30", { $0.steps == 30 }),
      "minutes": ("7", { $0.minutes == 7 }),
      "eval-every": ("0.5", { $0.evaluateEvery == 0.5 }),
      "checkpoint-every": ("3", { $0.checkpointMinutes == 3 }),
      "threads": ("2", { $0.threads == 2 }),
    ]

  func testResumableOptions_areAppliedToTheResumedConfiguration() throws {
    let resumable = TrainOptions.all.filter {
      // --quiet and the --mpi options set how this process runs, not the run's configuration.
      $0.resume == .allowed && $0 !== TrainOptions.resume && $0 !== TrainOptions.quiet
        && $0 !== TrainOptions.mpiTimeout && $0 !== TrainOptions.mpiCombination
    }
    for option in resumable {
      guard let sample = resumableSamples[option.name] else {
        XCTFail("\(option.flag) is resumable: add a sample value to this test")
        continue
      }
      var config = TrainingConfiguration()
      config.steps = 10
      let parsed = try TrainCommand.parse([option.flag, sample.argument])
      try TrainCommand.refuseNewRunOptions(parsed)
      try TrainCommand.applyResumable(parsed, to: &config)
      XCTAssertTrue(
        sample.applied(config), "\(option.flag) \(sample.argument) was not applied: \(config)")
    }
    // Options not given leave the checkpoint's values alone.
    var config = TrainingConfiguration()
    config.evaluateEvery = 0.25
    config.threads = 3
    try TrainCommand.applyResumable(try TrainCommand.parse(["--steps", "4"]), to: &config)
    XCTAssertEqual(config.evaluateEvery, 0.25)
    XCTAssertEqual(config.threads, 3)
  }

  func testNewRunOptions_areRefusedOnResume() throws {
    for option in TrainOptions.all where option.resume == .newRunOnly {
      let arguments =
        option.placeholder == nil ? [option.flag] : [option.flag, sampleArgument(option)]
      let parsed = try TrainCommand.parse(["--resume", "/tmp/run"] + arguments)
      XCTAssertThrowsError(try TrainCommand.refuseNewRunOptions(parsed), option.flag) {
        XCTAssertEqual(
          $0 as? CLIError,
          .usage(
            "'\(option.flag)' cannot be combined with '--resume': a resumed run keeps its checkpoint's settings"
          ))
      }
    }
  }

  /// A valid argument for `option`: its first choice, or one that every numeric range here takes.
  private func sampleArgument(_ option: any OptionDeclaration) -> String {
    if let first = option.choices?.first { return first }
    for candidate in ["1", "0.5", "constant", "text"] where (try? option.check(candidate)) != nil {
      return candidate
    }
    XCTFail("no sample argument for \(option.flag)")
    return ""
  }

  func testEverySetting_mapsToTheFlagThatSetsIt() throws {
    for setting in TrainingSetting.allCases {
      XCTAssertNotNil(TrainOptions.option(setting: setting), "no train option sets \(setting)")
    }
    let given = try TrainCommand.parse(["--strategy", "lsgd", "--proximity", "5", "--steps", "1"])
    let error = SettingError(
      .proximityStrength, "must be in [0, communication period = 4], got 5.0")
    XCTAssertEqual(
      TrainCommand.usageError(error, parsed: given),
      .usage(
        "invalid value '5' for '--proximity': proximity strength must be in [0, communication period = 4], got 5.0"
      ))
    XCTAssertThrowsError(
      try configuration(["--strategy", "lsgd", "--proximity", "5", "--steps", "1"])
    ) {
      XCTAssertEqual($0 as? CLIError, TrainCommand.usageError(error, parsed: given))
    }
    let absent = try TrainCommand.parse(["--steps", "1"])
    XCTAssertEqual(
      TrainCommand.usageError(
        SettingError(.communicationPeriod, "must be at least 1, got 0"), parsed: absent),
      .usage("'--comm-period': communication period must be at least 1, got 0"))
  }

  func testProgressWithoutMeasurements_printsADash() {
    XCTAssertEqual(TrainCommand.measured(.nan, "%.4f"), "-")
    XCTAssertEqual(TrainCommand.measured(nil, "%.4f"), "-")
    XCTAssertEqual(TrainCommand.measured(0.5, "%.2f"), "0.50")
    let row = MetricsRow(
      seconds: 1, trainingSeconds: 1, epoch: 0, step: 0, syncs: 0, learningRate: 0.1,
      trainLoss: nil, trainError: nil,
      testLoss: 2.3, testError: 0.9)
    let line = TrainCommand.evaluationLine(row)
    XCTAssertTrue(line.contains("train loss -  center test error 90.00%"), line)
    XCTAssertFalse(line.lowercased().contains("nan"), line)
  }

  func testHeader_isShortAndCountsProperly() {
    var config = TrainingConfiguration()
    config.strategy = .localMGRAWA
    config.strategySettings = StrategyKind.localMGRAWA.defaultSettings
    config.workers = 1
    config.model = .wideresnet28x10
    config.dataset = .cifar100
    let header = TrainCommand.header(
      config, parameterCount: 36_536_884, stepsPerEpoch: 1, resumedAfter: 12_345,
      output: URL(fileURLWithPath: "/tmp/r"))
    let lines = header.split(separator: "\n")
    XCTAssertEqual(lines.count, 4, header)
    for line in lines {
      XCTAssertLessThanOrEqual(line.count, 100, "too long: \(line)")
    }
    XCTAssertTrue(header.contains("1 worker,"), header)
    XCTAssertTrue(header.contains("1 step per epoch"), header)
    XCTAssertTrue(header.contains("36,536,884 parameters"), header)
    XCTAssertFalse(header.contains("(s)"), header)
    XCTAssertEqual(counted(1, "sync"), "1 sync")
    XCTAssertEqual(counted(2, "worker"), "2 workers")
    XCTAssertEqual(counted(20, "batch", "batches"), "20 batches")
  }
}
