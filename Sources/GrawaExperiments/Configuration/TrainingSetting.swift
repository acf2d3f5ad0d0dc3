/// One setting of a ``TrainingConfiguration`` or of its ``StrategySettings``, as errors name it.
///
/// The library names settings, never command-line flags: each front end maps a setting to its
/// own spelling (the command line to `--comm-period`, `config.json` to `communicationPeriod`).
/// The raw value is the property's name in ``TrainingConfiguration`` or ``StrategySettings``, so
/// also its key in `config.json`.
public enum TrainingSetting: String, Sendable, Codable, CaseIterable {
  /// ``TrainingConfiguration/workers``.
  case workers
  /// ``TrainingConfiguration/batchSize``.
  case batchSize
  /// ``TrainingConfiguration/epochs``.
  case epochs
  /// ``TrainingConfiguration/minutes``.
  case minutes
  /// ``TrainingConfiguration/steps``.
  case steps
  /// ``TrainingConfiguration/batchNormBatches``.
  case batchNormBatches
  /// ``TrainingConfiguration/checkpointMinutes``.
  case checkpointMinutes
  /// ``TrainingConfiguration/evaluateEvery``.
  case evaluateEvery
  /// ``TrainingConfiguration/threads``.
  case threads
  /// ``TrainingConfiguration/trainLimit``.
  case trainLimit
  /// ``TrainingConfiguration/testLimit``.
  case testLimit
  /// ``StrategySettings/communicationPeriod`` (tau).
  case communicationPeriod
  /// ``StrategySettings/pullStrength`` (c2).
  case pullStrength
  /// ``StrategySettings/proximityStrength`` (p2).
  case proximityStrength
  /// ``StrategySettings/normMomentum``.
  case normMomentum
  /// ``StrategySettings/localNormMomentum``.
  case localNormMomentum
  /// ``StrategySettings/samRho``.
  case samRho

  /// The setting in words, as messages begin with it: "communication period".
  public var label: String {
    switch self {
    case .workers: "worker count"
    case .batchSize: "batch size"
    case .epochs: "epoch budget"
    case .minutes: "minute budget"
    case .steps: "step budget"
    case .batchNormBatches: "batch-norm re-estimation batch count"
    case .checkpointMinutes: "checkpoint interval"
    case .evaluateEvery: "evaluation interval"
    case .threads: "thread count"
    case .trainLimit: "train limit"
    case .testLimit: "test limit"
    case .communicationPeriod: "communication period"
    case .pullStrength: "pull strength"
    case .proximityStrength: "proximity strength"
    case .normMomentum: "norm momentum"
    case .localNormMomentum: "local norm momentum"
    case .samRho: "SAM radius"
    }
  }
}
