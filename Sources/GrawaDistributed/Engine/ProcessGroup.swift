import GrawaTensor

/// The processes of a multi-process run (for example the ranks of an MPI job), as the trainer
/// needs them: each process runs a contiguous block of the run's workers on its own threads,
/// syncs them through a transport the group makes, agrees with the others on every step
/// boundary's decision, and hands its workers' snapshots to process 0, which evaluates, writes
/// the metrics and checkpoints, and tells the others the verdict.
///
/// Every method is a collective: every process calls it, in the same order, from an ordinary
/// thread (never from async code). The trainer fixes that order (docs/algorithms.md, "A round").
/// `GrawaDistributedMPI` implements this over Open MPI; a run without a group is one process.
public protocol ProcessGroup: AnyObject, Sendable {
  /// This process's index, from 0.
  var rank: Int { get }
  /// The number of processes.
  var processCount: Int { get }

  /// The transport that carries the syncs of this process's workers `localWorkers` (global
  /// indices) of the run's `workerCount`, with the center's `state` after `syncCount` syncs
  /// replicated on every process.
  /// - Throws: ``ConfigurationError`` when the group cannot run `mode`.
  func makeTransport<Strategy: DistributedStrategy>(
    strategy: Strategy, layout: ParameterLayout, workerCount: Int, localWorkers: Range<Int>, mode: SyncMode,
    state: Strategy.CenterState, syncCount: Int
  ) throws -> any CenterTransport<Strategy>

  /// The element-wise maximum of `values` over every process (a few numbers: a boundary's
  /// decision).
  func maximum(_ values: [Double]) throws -> [Double]
  /// Every process's `bytes`, in process order, on process 0; `nil` on the others.
  func gatherToFirst(_ bytes: [UInt8]) throws -> [[UInt8]]?
  /// Process 0's `bytes` on every process (the others' argument is ignored). The others may
  /// wait here while process 0 evaluates and writes a checkpoint.
  func broadcastFromFirst(_ bytes: [UInt8]) throws -> [UInt8]
  /// Ends every process of the group because of `error` on this one: prints it naming this
  /// process and exits non-zero (the other processes cannot go on without this one).
  func abandon(_ error: any Error) -> Never
}

/// A transport whose center state the trainer can read at a pause (for evaluation, metrics and
/// checkpoints).
public protocol CenterTransport<Strategy>: Transport {
  /// The strategy whose messages the transport carries.
  associatedtype Strategy
  /// The center's state, its sync count, and the metrics of the last outcome.
  func centerSnapshot() -> (state: Strategy.CenterState, syncCount: Int, lastMetrics: [StrategyMetric])
}

extension InProcessTransport: CenterTransport {
  /// The actor's snapshot.
  public func centerSnapshot() -> (state: Strategy.CenterState, syncCount: Int, lastMetrics: [StrategyMetric]) {
    onCenter { center in center.snapshot() }
  }
}

/// An error process 0 met at a pause (an unhealthy evaluation, a checkpoint that could not be
/// written), as every other process of the group receives it.
public struct ProcessGroupError: Error, CustomStringConvertible, Sendable {
  /// The process where the error happened.
  public var rank: Int
  /// Its description there.
  public var message: String
  /// A message naming the process.
  public var description: String { "process \(rank): \(message)" }

  /// An error from its parts.
  public init(rank: Int, message: String) {
    self.rank = rank
    self.message = message
  }
}
