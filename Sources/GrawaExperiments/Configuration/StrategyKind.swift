import Foundation
import GrawaData
import GrawaDistributed
import GrawaNN
import GrawaOptim
import GrawaTensor

/// The built-in strategies: the only registry, parsed from `--strategy`.
public enum StrategyKind: String, Sendable, Codable, CaseIterable {
  /// Independent workers, no communication (``Independent``).
  case none
  /// Synchronous data parallelism with SGD (``DataParallel``).
  case dataParallelSGD = "dp-sgd"
  /// Synchronous data parallelism with a SAM optimizer (``DataParallel``).
  case dataParallelSAM = "dp-sam"
  /// Elastic averaging SGD (``EASGD``).
  case easgd
  /// Leader SGD (``LSGD``).
  case lsgd
  /// Vanilla GRAWA (``GRAWA``).
  case grawa
  /// Model-level GRAWA (``MGRAWA``).
  case mgrawa
  /// Layer-wise GRAWA (``LGRAWA``).
  case lgrawa
  /// MGRAWA with running norm estimates instead of a probe batch (``LocalMGRAWA``).
  case localMGRAWA = "local-mgrawa"
  /// LGRAWA with running norm estimates instead of a probe batch (``LocalLGRAWA``).
  case localLGRAWA = "local-lgrawa"

  /// One line for `--help`.
  public var summary: String {
    switch self {
    case .none: "independent workers, no communication (a control)"
    case .dataParallelSGD: "average gradients every step, identical replicas"
    case .dataParallelSAM: "DP with sharpness-aware steps (rho)"
    case .easgd: "elastic averaging toward a master (beta = pull, alpha = beta/W)"
    case .lsgd: "pull toward the worker with the lowest running loss"
    case .grawa: "inverse whole-gradient-norm weighted center (paper eq. 2)"
    case .mgrawa: "inverse sum-of-layer-norms weighted center, with norm momentum"
    case .lgrawa: "per-layer inverse-norm weights, with norm momentum"
    case .localMGRAWA: "MGRAWA scored by running norms of the local steps"
    case .localLGRAWA: "LGRAWA scored by running norms of the local steps"
    }
  }

  /// The paper's hyperparameters for this strategy (docs/algorithms.md, "Hyperparameters the paper used"): the authors' sample
  /// script where it has one (EASGD tau 4 c2 0.1; LSGD tau 4 c2 0.1 p2 0.1; LGRAWA tau 32 c2 0.5
  /// p2 0.01), the same GRAWA settings for the other GRAWA variants.
  public var defaultSettings: StrategySettings {
    var settings = StrategySettings()
    switch self {
    case .none, .dataParallelSGD, .dataParallelSAM:
      settings.communicationPeriod = 1
      settings.pullStrength = 0
      settings.proximityStrength = 0
    case .easgd:
      settings.communicationPeriod = 4
      settings.pullStrength = 0.1
      settings.proximityStrength = 0
    case .lsgd:
      settings.communicationPeriod = 4
      settings.pullStrength = 0.1
      settings.proximityStrength = 0.1
    case .grawa, .mgrawa, .lgrawa, .localMGRAWA, .localLGRAWA:
      settings.communicationPeriod = 32
      settings.pullStrength = 0.5
      settings.proximityStrength = 0.01
    }
    return settings
  }

  /// Whether the strategy syncs every communication period (it has a period and a pull to set).
  public var usesPeriodicSync: Bool { settingsUsed.contains(.communicationPeriod) }

  /// The ``StrategySettings`` this strategy reads: the only place that says which strategy uses
  /// which setting. A setting not listed does nothing for the strategy (EASGD has no proximity
  /// pull, only MGRAWA and LGRAWA keep momentum on their norm scores, only DP+SAM has a radius),
  /// so the command line refuses it and help names the strategies each one applies to
  /// (``strategies(using:)``).
  public var settingsUsed: Set<TrainingSetting> {
    let periodic: Set<TrainingSetting> = [.communicationPeriod, .pullStrength, .proximityStrength]
    return switch self {
    case .none, .dataParallelSGD: []
    case .dataParallelSAM: [.samRho]
    case .easgd: [.communicationPeriod, .pullStrength]
    case .lsgd, .grawa: periodic
    case .mgrawa, .lgrawa: periodic.union([.normMomentum])
    case .localMGRAWA, .localLGRAWA: periodic.union([.localNormMomentum])
    }
  }

  /// The settings some strategies use and others ignore: the fields of ``StrategySettings``.
  public static let strategySpecificSettings: [TrainingSetting] = [
    .communicationPeriod, .pullStrength, .proximityStrength, .normMomentum, .localNormMomentum, .samRho,
  ]

  /// The strategies that use `setting`, in declaration order; `nil` when `setting` is not
  /// strategy-specific (every strategy uses it: the worker count, the batch size, a budget).
  public static func strategies(using setting: TrainingSetting) -> [StrategyKind]? {
    guard strategySpecificSettings.contains(setting) else { return nil }
    return allCases.filter { $0.settingsUsed.contains(setting) }
  }

  /// Whether the strategy's workers train with a ``GrawaOptim/SAM`` optimizer around SGD (DP+SAM,
  /// radius ``StrategySettings/samRho``) instead of SGD.
  public var usesSAM: Bool { self == .dataParallelSAM }

  /// The strategy with `settings` (DP+SAM is ``DataParallel``; its SAM is the workers' optimizer,
  /// see ``usesSAM``).
  /// - Throws: ``SettingError`` when a setting is out of range.
  public func make(_ settings: StrategySettings) throws -> any DistributedStrategy {
    try settings.validate(for: self)
    let tau = settings.communicationPeriod
    let c2 = settings.pullStrength
    let p2 = settings.proximityStrength
    return switch self {
    case .none: Independent()
    case .dataParallelSGD: DataParallel(name: rawValue)
    case .dataParallelSAM: DataParallel(name: rawValue)
    case .easgd: EASGD(communicationPeriod: tau, movingRate: c2)
    case .lsgd: LSGD(communicationPeriod: tau, pullStrength: c2, proximityStrength: p2)
    case .grawa: GRAWA(communicationPeriod: tau, pullStrength: c2, proximityStrength: p2)
    case .mgrawa:
      MGRAWA(communicationPeriod: tau, pullStrength: c2, proximityStrength: p2, normMomentum: settings.normMomentum)
    case .lgrawa:
      LGRAWA(communicationPeriod: tau, pullStrength: c2, proximityStrength: p2, normMomentum: settings.normMomentum)
    case .localMGRAWA:
      LocalMGRAWA(
        communicationPeriod: tau, pullStrength: c2, proximityStrength: p2,
        localNormMomentum: settings.localNormMomentum)
    case .localLGRAWA:
      LocalLGRAWA(
        communicationPeriod: tau, pullStrength: c2, proximityStrength: p2,
        localNormMomentum: settings.localNormMomentum)
    }
  }
}

/// A strategy's hyperparameters as the CLI and `config.json` hold them.
public struct StrategySettings: Sendable, Codable, Equatable {
  /// tau, local steps between syncs.
  public var communicationPeriod = 4
  /// c2: the pull at a sync (EASGD's beta, LSGD's and GRAWA's c2).
  public var pullStrength = 0.1
  /// p2: the proximity pull between syncs (0: off).
  public var proximityStrength = 0.0
  /// beta_n: momentum on the gradient-norm scores across syncs (MGRAWA, LGRAWA; 0: off).
  public var normMomentum = 0.43046721
  /// beta of Local-M/LGRAWA's running per-step norm estimate.
  public var localNormMomentum = 0.85
  /// rho of DP+SAM.
  public var samRho = 0.05

  /// Settings with the generic defaults; use ``StrategyKind/defaultSettings`` for a strategy's.
  public init() {}

  /// Checks the values for `kind`; the error names the setting (not a command-line flag).
  /// - Throws: ``SettingError``.
  public func validate(for kind: StrategyKind) throws {
    if kind.usesPeriodicSync {
      guard communicationPeriod >= 1 else {
        throw SettingError(.communicationPeriod, "must be at least 1, got \(communicationPeriod)")
      }
      guard pullStrength >= 0, pullStrength <= 1 else {
        throw SettingError(.pullStrength, "must be in [0, 1], got \(pullStrength)")
      }
      guard proximityStrength >= 0, proximityStrength <= Double(communicationPeriod) else {
        throw SettingError(
          .proximityStrength,
          "must be in [0, communication period = \(communicationPeriod)], got \(proximityStrength)")
      }
    }
    guard normMomentum >= 0, normMomentum < 1 else {
      throw SettingError(.normMomentum, "must be in [0, 1), got \(normMomentum)")
    }
    guard localNormMomentum >= 0, localNormMomentum < 1 else {
      throw SettingError(.localNormMomentum, "must be in [0, 1), got \(localNormMomentum)")
    }
    guard samRho.isFinite, samRho >= 0 else {
      throw SettingError(.samRho, "must be >= 0, got \(samRho)")
    }
  }
}
