import GrawaDistributed
import GrawaExperiments
import XCTest

/// `TrainingConfiguration.validate()`: out-of-range values are rejected with a ``SettingError``
/// naming the setting (never a command-line flag), in words a reader of `config.json` follows.
final class TrainingConfigurationTests: XCTestCase {
  /// The paper's defaults with a step budget: valid.
  private func valid() -> TrainingConfiguration {
    var configuration = TrainingConfiguration()
    configuration.steps = 10
    return configuration
  }

  private func assertRejected(
    _ setting: TrainingSetting, _ message: String, _ change: (inout TrainingConfiguration) -> Void,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    var configuration = valid()
    change(&configuration)
    XCTAssertThrowsError(try configuration.validate(), file: file, line: line) { error in
      XCTAssertEqual(
        error as? SettingError, SettingError(setting, message), "\(error)", file: file, line: line)
    }
  }

  func testValidDefaults_pass() {
    XCTAssertNoThrow(try valid().validate())
  }

  func testValidate_namesTheSettingThatIsOutOfRange() {
    assertRejected(.batchSize, "must be positive, got 0") { $0.batchSize = 0 }
    assertRejected(.steps, "must be positive, got -1") { $0.steps = -1 }
    assertRejected(.workers, "must be at least 1, got 0") { $0.workers = 0 }
    assertRejected(.evaluateEvery, "must be positive, got 0.0 epochs") { $0.evaluateEvery = 0 }
    assertRejected(.threads, "must be 0 (all cores) or positive, got -2") { $0.threads = -2 }
    assertRejected(.trainLimit, "must be at least one batch (batch size 128), got 10") {
      $0.trainLimit = 10
    }
    assertRejected(.communicationPeriod, "must be at least 1, got 0") {
      $0.strategy = .lsgd
      $0.strategySettings = StrategyKind.lsgd.defaultSettings
      $0.strategySettings.communicationPeriod = 0
    }
  }

  func testSettingError_describesTheSettingInWords() {
    XCTAssertEqual(
      "\(SettingError(.proximityStrength, "must be in [0, 1], got 2"))",
      "proximity strength must be in [0, 1], got 2")
    // The raw values are the configuration's property names, as config.json spells them.
    XCTAssertEqual(TrainingSetting.communicationPeriod.rawValue, "communicationPeriod")
    XCTAssertEqual(TrainingSetting.evaluateEvery.rawValue, "evaluateEvery")
  }

  func testMissingBudget_isAConfigurationError() {
    XCTAssertThrowsError(try TrainingConfiguration().validate()) {
      XCTAssertEqual(
        $0 as? ConfigurationError,
        ConfigurationError("give a budget: epochs, steps, minutes or a combination"))
    }
  }
}
