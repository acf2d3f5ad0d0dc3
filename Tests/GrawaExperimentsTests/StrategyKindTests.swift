import Foundation
import GrawaDistributed
import GrawaExperiments
import XCTest
import _TestSupport

/// `StrategyKind`, the registry of built-in strategies, and `StrategySettings` (docs/algorithms.md,
/// "Hyperparameters the paper used"): every kind makes its strategy from its defaults, the defaults are the paper's, and
/// out-of-range settings are rejected with an error naming the setting.
final class StrategyKindTests: XCTestCase {
  func testRawValues_areTheCLINames() {
    XCTAssertEqual(
      StrategyKind.allCases.map(\.rawValue),
      ["none", "dp-sgd", "dp-sam", "easgd", "lsgd", "grawa", "mgrawa", "lgrawa", "local-mgrawa", "local-lgrawa"])
  }

  func testEveryCase_makesAStrategyNamedByItsRawValue() throws {
    for kind in StrategyKind.allCases {
      let strategy = try kind.make(kind.defaultSettings)
      XCTAssertEqual(strategy.name, kind.rawValue)
      XCTAssertFalse(kind.summary.isEmpty, "\(kind)")
    }
  }

  func testEveryCase_scheduleFollowsItsSettings() throws {
    for kind in StrategyKind.allCases {
      let settings = kind.defaultSettings
      let schedule = try kind.make(settings).schedule
      switch kind {
      case .none:
        XCTAssertEqual(schedule, .never)
      case .dataParallelSGD, .dataParallelSAM:
        XCTAssertEqual(schedule, .everyStep)
      default:
        XCTAssertEqual(schedule, .periodic(communicationPeriod: settings.communicationPeriod), "\(kind)")
      }
    }
  }

  func testDefaults_matchReferenceSection6() {
    // EASGD tau 4 c2 0.1; LSGD tau 4 c2 0.1 p2 0.1; the GRAWA family tau 32 c2 0.5 p2 0.01.
    let easgd = StrategyKind.easgd.defaultSettings
    XCTAssertEqual(easgd.communicationPeriod, 4)
    XCTAssertEqual(easgd.pullStrength, 0.1)
    XCTAssertEqual(easgd.proximityStrength, 0)
    let lsgd = StrategyKind.lsgd.defaultSettings
    XCTAssertEqual(lsgd.communicationPeriod, 4)
    XCTAssertEqual(lsgd.pullStrength, 0.1)
    XCTAssertEqual(lsgd.proximityStrength, 0.1)
    for kind in [StrategyKind.grawa, .mgrawa, .lgrawa, .localMGRAWA, .localLGRAWA] {
      let settings = kind.defaultSettings
      XCTAssertEqual(settings.communicationPeriod, 32, "\(kind)")
      XCTAssertEqual(settings.pullStrength, 0.5, "\(kind)")
      XCTAssertEqual(settings.proximityStrength, 0.01, "\(kind)")
    }
    // beta_n = 0.9^8 = 0.43046721; Local-M/LGRAWA's per-step beta 0.85; SAM's rho 0.05.
    for kind in StrategyKind.allCases {
      XCTAssertEqual(kind.defaultSettings.normMomentum, 0.43046721, "\(kind)")
      XCTAssertEqual(kind.defaultSettings.normMomentum, pow(0.9, 8), accuracy: 1e-15)
      XCTAssertEqual(kind.defaultSettings.localNormMomentum, 0.85, "\(kind)")
      XCTAssertEqual(kind.defaultSettings.samRho, 0.05, "\(kind)")
    }
  }

  func testMake_passesTheSettingsToTheStrategy() throws {
    let easgd = try XCTUnwrap(StrategyKind.easgd.make(StrategyKind.easgd.defaultSettings) as? EASGD)
    XCTAssertEqual(easgd.communicationPeriod, 4)
    XCTAssertEqual(easgd.movingRate, 0.1)
    let lsgd = try XCTUnwrap(StrategyKind.lsgd.make(StrategyKind.lsgd.defaultSettings) as? LSGD)
    XCTAssertEqual(lsgd.communicationPeriod, 4)
    XCTAssertEqual(lsgd.pullStrength, 0.1)
    XCTAssertEqual(lsgd.proximity, ProximityPull(strength: 0.1, communicationPeriod: 4))
    XCTAssertEqual(lsgd.lossMeter, .authors, "the registry builds LSGD with the authors' meter")
    let grawa = try XCTUnwrap(StrategyKind.grawa.make(StrategyKind.grawa.defaultSettings) as? GRAWA)
    XCTAssertEqual(grawa.pullStrength, 0.5)
    XCTAssertEqual(grawa.proximity, ProximityPull(strength: 0.01, communicationPeriod: 32))

    var settings = StrategyKind.mgrawa.defaultSettings
    settings.normMomentum = 0.25
    settings.pullStrength = 0.7
    let mgrawa = try XCTUnwrap(StrategyKind.mgrawa.make(settings) as? MGRAWA)
    XCTAssertEqual(mgrawa.normMomentum, 0.25)
    XCTAssertEqual(mgrawa.pullStrength, 0.7)
    let lgrawa = try XCTUnwrap(StrategyKind.lgrawa.make(settings) as? LGRAWA)
    XCTAssertEqual(lgrawa.normMomentum, 0.25)
    XCTAssertEqual(lgrawa.communicationPeriod, 32)

    settings.localNormMomentum = 0.5
    let localM = try XCTUnwrap(StrategyKind.localMGRAWA.make(settings) as? LocalMGRAWA)
    XCTAssertEqual(localM.localNormMomentum, 0.5)
    let localL = try XCTUnwrap(StrategyKind.localLGRAWA.make(settings) as? LocalLGRAWA)
    XCTAssertEqual(localL.localNormMomentum, 0.5)
    XCTAssertEqual(localL.proximity, ProximityPull(strength: 0.01, communicationPeriod: 32))
  }

  /// Asserts that `change` applied to `kind`'s defaults fails validation (and `make`) with a
  /// ``SettingError`` naming `setting`, and a message that starts with the setting's label and
  /// names no command-line flag.
  private func assertRejected(
    _ kind: StrategyKind, setting: TrainingSetting, _ change: (inout StrategySettings) -> Void,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    var settings = kind.defaultSettings
    change(&settings)
    do {
      try settings.validate(for: kind)
      // Stop here: making a strategy from out-of-range settings would trap on its precondition.
      return XCTFail("\(kind): settings accepted, expected an error naming \(setting)", file: file, line: line)
    } catch let error as SettingError {
      XCTAssertEqual(error.setting, setting, "\(error)", file: file, line: line)
      let message = "\(error)"
      XCTAssertTrue(message.hasPrefix(setting.label + " must be"), "'\(message)'", file: file, line: line)
      XCTAssertFalse(message.contains("--"), "'\(message)' names a flag", file: file, line: line)
    } catch {
      XCTFail("\(kind): expected a SettingError, got \(error)", file: file, line: line)
    }
    XCTAssertThrowsError(try kind.make(settings), "make must validate", file: file, line: line)
  }

  func testValidate_rejectsOutOfRangeValuesNamingTheSetting() {
    assertRejected(.easgd, setting: .communicationPeriod) { $0.communicationPeriod = 0 }
    assertRejected(.mgrawa, setting: .communicationPeriod) { $0.communicationPeriod = -3 }
    assertRejected(.easgd, setting: .pullStrength) { $0.pullStrength = 1.5 }
    assertRejected(.lgrawa, setting: .pullStrength) { $0.pullStrength = -0.1 }
    assertRejected(.lsgd, setting: .proximityStrength) { $0.proximityStrength = -0.1 }
    // p2 must not exceed tau (p2/tau is a fraction): tau 4, p2 5.
    assertRejected(.lsgd, setting: .proximityStrength) { $0.proximityStrength = 5 }
    assertRejected(.mgrawa, setting: .normMomentum) { $0.normMomentum = 1 }
    assertRejected(.lgrawa, setting: .normMomentum) { $0.normMomentum = -0.5 }
    assertRejected(.localMGRAWA, setting: .localNormMomentum) { $0.localNormMomentum = 1 }
    assertRejected(.dataParallelSAM, setting: .samRho) { $0.samRho = -0.05 }
  }

  func testValidate_messageNamesTheSettingInWords() {
    var settings = StrategyKind.easgd.defaultSettings
    settings.communicationPeriod = 0
    XCTAssertThrowsError(try settings.validate(for: .easgd)) {
      XCTAssertEqual("\($0)", "communication period must be at least 1, got 0")
    }
  }

  func testValidate_acceptsBoundaryValues() throws {
    var settings = StrategyKind.lsgd.defaultSettings
    settings.communicationPeriod = 1
    settings.pullStrength = 1
    settings.proximityStrength = 1
    settings.normMomentum = 0
    XCTAssertNoThrow(try settings.validate(for: .lsgd))
    settings.pullStrength = 0
    settings.proximityStrength = 0
    XCTAssertNoThrow(try settings.validate(for: .lsgd))
  }

  func testBuiltInKinds_dpSAMIsDataParallelWithASAMOptimizer() throws {
    XCTAssertEqual(try StrategyKind.dataParallelSGD.make(StrategyKind.dataParallelSGD.defaultSettings).name, "dp-sgd")
    XCTAssertEqual(try StrategyKind.dataParallelSAM.make(StrategyKind.dataParallelSAM.defaultSettings).name, "dp-sam")
    XCTAssertTrue(StrategyKind.dataParallelSAM.usesSAM)
    XCTAssertFalse(StrategyKind.dataParallelSGD.usesSAM)
  }

  func testChoosingAStrategy_bringsItsDefaults_keepsSettingsChangedByHand() {
    var configuration = TrainingConfiguration()
    configuration.strategy = .mgrawa
    XCTAssertEqual(configuration.strategySettings, StrategyKind.mgrawa.defaultSettings, "tau 32, c2 0.5, p2 0.01")
    configuration.strategy = .easgd
    XCTAssertEqual(configuration.strategySettings, StrategyKind.easgd.defaultSettings)
    configuration.strategySettings.communicationPeriod = 7
    configuration.strategy = .lsgd
    XCTAssertEqual(configuration.strategySettings.communicationPeriod, 7, "a setting changed by hand stays")
  }
}
