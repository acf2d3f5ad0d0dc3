/// How the engine runs a task: workers, synchronisation, seed, threads, budget, evaluation and
/// checkpoint cadence. Everything else (model, data, loss, optimizer) is the ``TrainingTask``'s.
public struct RunSettings: Sendable, Codable, Equatable {
  /// The number of workers (W), each with its own replica and data shard.
  public var workers = 1
  /// Synchronous (reproducible) or asynchronous syncs.
  public var syncMode: SyncMode = .synchronous
  /// The run's seed: initialisation, dropout and probe draws derive from it.
  public var seed: UInt64 = 0
  /// Threads for the compute kernels (`0`: all cores).
  public var threads = 0
  /// Stop after this many local steps of each worker, if set.
  public var steps: Int?
  /// Stop after this many epochs (of one worker's shard), if set.
  public var epochs: Double?
  /// Stop after this many minutes of training (evaluation time not counted), if set.
  public var minutes: Double?
  /// Evaluate the center every this many epochs (and at the end).
  public var evaluateEvery: Double = 1
  /// Write a checkpoint every this many minutes of training (and at the end), if set; `nil`
  /// writes one at the end only.
  public var checkpointMinutes: Double?

  /// One worker, seed 0, no budget yet.
  public init() {}

  /// Checks the values; the message names the setting.
  /// - Throws: ``ConfigurationError``.
  public func validate() throws {
    guard workers >= 1 else { throw ConfigurationError("workers must be at least 1, got \(workers)") }
    if let epochs, !(epochs > 0) { throw ConfigurationError("epochs must be positive, got \(epochs)") }
    if let minutes, !(minutes > 0) { throw ConfigurationError("minutes must be positive, got \(minutes)") }
    if let steps, steps <= 0 { throw ConfigurationError("steps must be positive, got \(steps)") }
    guard epochs != nil || minutes != nil || steps != nil else {
      throw ConfigurationError("give a budget: epochs, steps, minutes or a combination")
    }
    guard evaluateEvery > 0 else {
      throw ConfigurationError("evaluation interval must be positive, got \(evaluateEvery) epochs")
    }
    if let checkpointMinutes, !(checkpointMinutes > 0) {
      throw ConfigurationError("checkpoint interval must be positive, got \(checkpointMinutes) minutes")
    }
    guard threads >= 0 else { throw ConfigurationError("threads must be 0 (all cores) or positive, got \(threads)") }
  }
}
