import Foundation

/// One row of a run's metrics: written at every evaluation to `metrics.csv` and `metrics.jsonl`.
///
/// Losses and errors of the training windows are means over all workers' mini-batches since the
/// previous row, each taken before its step. Fields that do not apply to a strategy are empty in
/// the CSV and absent from the JSON line.
public struct MetricsRow: Sendable, Codable, Equatable {
  /// Wall-clock seconds since the run started (training, evaluation and checkpoints).
  public var seconds: Double
  /// Training seconds (the budget's clock: evaluation and checkpoint time excluded).
  public var trainingSeconds: Double
  /// Epochs completed by a worker (fractional).
  public var epoch: Double
  /// Local steps taken by a worker.
  public var step: Int
  /// Syncs the center has formed.
  public var syncs: Int
  /// The learning rate in use.
  public var learningRate: Double
  /// Mean training loss of the mini-batches since the previous row.
  public var trainLoss: Double?
  /// Training error of the mini-batches since the previous row (fraction).
  public var trainError: Double?
  /// Test loss of the center (EASGD's master, otherwise the plain average of the workers).
  public var testLoss: Double
  /// Test error of the center (fraction).
  public var testError: Double
  /// Test loss of the strategy's weighted center at the last sync (GRAWA family).
  public var weightedTestLoss: Double?
  /// Test error of the strategy's weighted center at the last sync (GRAWA family).
  public var weightedTestError: Double?
  /// What the strategy published at the last sync (``DistributedStrategy/metrics(of:)``); empty
  /// before the first sync.
  public var strategyMetrics: [StrategyMetric]
  /// Mean seconds per worker spent in local steps.
  public var localSeconds: Double
  /// Mean seconds per worker spent in distributed updates (probe pass, forming the center, pull).
  public var distributedSeconds: Double
  /// Mean seconds per worker spent at syncs waiting for the other workers. With more workers than
  /// cores this is mostly the others' computing, not communication.
  public var waitSeconds: Double

  /// A row from its figures.
  public init(
    seconds: Double, trainingSeconds: Double, epoch: Double, step: Int, syncs: Int, learningRate: Double,
    trainLoss: Double?, trainError: Double?, testLoss: Double, testError: Double,
    weightedTestLoss: Double? = nil, weightedTestError: Double? = nil, strategyMetrics: [StrategyMetric] = [],
    localSeconds: Double = 0, distributedSeconds: Double = 0, waitSeconds: Double = 0
  ) {
    self.seconds = seconds
    self.trainingSeconds = trainingSeconds
    self.epoch = epoch
    self.step = step
    self.syncs = syncs
    self.learningRate = learningRate
    self.trainLoss = trainLoss
    self.trainError = trainError
    self.testLoss = testLoss
    self.testError = testError
    self.weightedTestLoss = weightedTestLoss
    self.weightedTestError = weightedTestError
    self.strategyMetrics = strategyMetrics
    self.localSeconds = localSeconds
    self.distributedSeconds = distributedSeconds
    self.waitSeconds = waitSeconds
  }

  /// The fraction of worker time spent in distributed updates, `distributed / (local +
  /// distributed)` (waiting excluded).
  public var distributedFraction: Double {
    let total = localSeconds + distributedSeconds
    return total > 0 ? distributedSeconds / total : 0
  }

  /// The value of the strategy metric `name`, if the row has it.
  public func metric(_ name: String) -> StrategyMetric.Value? {
    strategyMetrics.first { $0.name == name }?.value
  }

  /// The CSV header matching ``csvLine(metricNames:)``, with one column per strategy metric.
  public static func csvHeader(metricNames: [String]) -> String {
    (["seconds", "training_seconds", "epoch", "step", "syncs", "learning_rate", "train_loss", "train_error",
      "test_loss", "test_error", "weighted_test_loss", "weighted_test_error"] + metricNames
      + ["local_seconds", "distributed_seconds", "distributed_fraction", "wait_seconds"]).joined(separator: ",")
  }

  /// The row as one CSV line (no newline), with the strategy metrics `metricNames` in that order
  /// (a list's numbers separated by `;`; empty when the row lacks the metric).
  public func csvLine(metricNames: [String]) -> String {
    let strategyFields = metricNames.map { name in
      metric(name)?.values.map { format($0) }.joined(separator: ";") ?? ""
    }
    let fields: [String] =
      [
        format(seconds), format(trainingSeconds), format(epoch), String(step), String(syncs), format(learningRate),
        format(trainLoss), format(trainError), format(testLoss), format(testError), format(weightedTestLoss),
        format(weightedTestError),
      ] + strategyFields + [
        format(localSeconds), format(distributedSeconds), format(distributedFraction), format(waitSeconds),
      ]
    return fields.joined(separator: ",")
  }

  private func format(_ value: Double?) -> String {
    guard let value else { return "" }
    return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
  }

  // MARK: - Codable: the strategy's metrics are top-level keys beside the engine's fields.

  private enum Field: String, CaseIterable {
    case seconds, trainingSeconds, epoch, step, syncs, learningRate, trainLoss, trainError, testLoss, testError
    case weightedTestLoss, weightedTestError, localSeconds, distributedSeconds, waitSeconds
  }

  private struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }

  /// Encodes the engine's fields, then each strategy metric under its name.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: Key.self)
    try container.encode(seconds, forKey: Key(Field.seconds.rawValue))
    try container.encode(trainingSeconds, forKey: Key(Field.trainingSeconds.rawValue))
    try container.encode(epoch, forKey: Key(Field.epoch.rawValue))
    try container.encode(step, forKey: Key(Field.step.rawValue))
    try container.encode(syncs, forKey: Key(Field.syncs.rawValue))
    try container.encode(learningRate, forKey: Key(Field.learningRate.rawValue))
    try container.encodeIfPresent(trainLoss, forKey: Key(Field.trainLoss.rawValue))
    try container.encodeIfPresent(trainError, forKey: Key(Field.trainError.rawValue))
    try container.encode(testLoss, forKey: Key(Field.testLoss.rawValue))
    try container.encode(testError, forKey: Key(Field.testError.rawValue))
    try container.encodeIfPresent(weightedTestLoss, forKey: Key(Field.weightedTestLoss.rawValue))
    try container.encodeIfPresent(weightedTestError, forKey: Key(Field.weightedTestError.rawValue))
    for metric in strategyMetrics {
      guard Field(rawValue: metric.name) == nil else {
        throw EncodingError.invalidValue(
          metric.name,
          EncodingError.Context(codingPath: [], debugDescription: "strategy metric '\(metric.name)' clashes with a row field"))
      }
      try container.encode(metric.value, forKey: Key(metric.name))
    }
    try container.encode(localSeconds, forKey: Key(Field.localSeconds.rawValue))
    try container.encode(distributedSeconds, forKey: Key(Field.distributedSeconds.rawValue))
    try container.encode(waitSeconds, forKey: Key(Field.waitSeconds.rawValue))
  }

  /// Decodes the engine's fields; every other key is a strategy metric (in key order).
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: Key.self)
    func value<T: Decodable>(_ field: Field) throws -> T { try container.decode(T.self, forKey: Key(field.rawValue)) }
    func optional<T: Decodable>(_ field: Field) throws -> T? {
      try container.decodeIfPresent(T.self, forKey: Key(field.rawValue))
    }
    seconds = try value(.seconds)
    trainingSeconds = try value(.trainingSeconds)
    epoch = try value(.epoch)
    step = try value(.step)
    syncs = try value(.syncs)
    learningRate = try value(.learningRate)
    trainLoss = try optional(.trainLoss)
    trainError = try optional(.trainError)
    testLoss = try value(.testLoss)
    testError = try value(.testError)
    weightedTestLoss = try optional(.weightedTestLoss)
    weightedTestError = try optional(.weightedTestError)
    localSeconds = try optional(.localSeconds) ?? 0
    distributedSeconds = try optional(.distributedSeconds) ?? 0
    waitSeconds = try optional(.waitSeconds) ?? 0
    let known = Set(Field.allCases.map(\.rawValue)).union(["distributedFraction"])
    strategyMetrics = try container.allKeys.filter { !known.contains($0.stringValue) }
      .sorted { $0.stringValue < $1.stringValue }
      .map { StrategyMetric($0.stringValue, try container.decode(StrategyMetric.Value.self, forKey: $0)) }
  }
}

/// Receives every metrics row of a run as it is made (``RunLog`` writes them to files; a user's
/// sink may keep them, print them or send them elsewhere). Called on the run's calling thread.
public protocol MetricsSink: AnyObject {
  /// Takes one row.
  /// - Throws: an error that stops the run (after its workers stop).
  func append(_ row: MetricsRow) throws
}
