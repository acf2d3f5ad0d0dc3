import GrawaTensor

/// The center of a run: gathers the workers' contributions, forms the center with the strategy's
/// rule, and hands back what each worker needs. Holds no algorithm of its own.
///
/// In ``SyncMode/synchronous`` mode it waits for one contribution per worker per sync, orders
/// them by worker index, forms the center once through ``SyncDriver/center(_:state:layout:)`` and resumes
/// every waiting worker with the same outcome. In ``SyncMode/asynchronous`` mode (after a first
/// gathered sync) it answers each worker at once from the latest contribution of every worker.
public actor CenterModel<Strategy: DistributedStrategy> {
  /// The strategy whose rule forms the center.
  public nonisolated let strategy: Strategy
  /// The layout of the flat vectors.
  public nonisolated let layout: ParameterLayout
  /// The number of workers.
  public nonisolated let workerCount: Int
  /// Synchronous or asynchronous.
  public nonisolated let mode: SyncMode

  /// The strategy's center state.
  public private(set) var state: Strategy.CenterState
  /// Syncs completed (in asynchronous mode, worker arrivals answered).
  public private(set) var syncCount: Int
  /// The metrics the most recent outcome published (weights, leader), for the metrics rows.
  public private(set) var lastMetrics: [StrategyMetric] = []

  private typealias Reply = SyncReply<Strategy.Outcome>
  private var waiting:
    [(contribution: Contribution<Strategy.Report>, continuation: CheckedContinuation<Reply, any Error>)] = []
  private var waitingRound: Int?
  private var latest: [Contribution<Strategy.Report>?]
  private var failure: (any Error)?

  /// A center for `workerCount` workers running `strategy`, starting from `state` after
  /// `syncCount` syncs (0 for a fresh run).
  public init(
    strategy: Strategy, layout: ParameterLayout, workerCount: Int, mode: SyncMode,
    state: Strategy.CenterState, syncCount: Int = 0
  ) {
    self.strategy = strategy
    self.layout = layout
    self.workerCount = workerCount
    self.mode = mode
    self.state = state
    self.syncCount = syncCount
    self.latest = Array(repeating: nil, count: workerCount)
  }

  /// Delivers `contribution` for sync number `round` (counted per worker from 0) and returns the
  /// outcome once the center is formed.
  /// - Throws: the error the run was aborted with, or the strategy's error (then every waiting
  ///   worker receives it and the center is aborted).
  public func submit(
    _ contribution: Contribution<Strategy.Report>, round: Int
  ) async throws -> SyncReply<Strategy.Outcome> {
    if let failure { throw failure }
    guard contribution.worker >= 0, contribution.worker < workerCount else {
      throw DistributedError.countMismatch("contribution from worker \(contribution.worker) of \(workerCount)")
    }
    if mode == .asynchronous, latest.allSatisfy({ $0 != nil }) {
      latest[contribution.worker] = contribution
      do {
        let outcome = try combine(latest.map { $0! })
        return outcome
      } catch {
        abort(error)
        throw error
      }
    }
    return try await withCheckedThrowingContinuation { continuation in
      if let waitingRound, waitingRound != round {
        continuation.resume(
          throwing: DistributedError.countMismatch(
            "worker \(contribution.worker) sent sync \(round) while the center gathers sync \(waitingRound)"))
        return
      }
      if waiting.contains(where: { $0.contribution.worker == contribution.worker }) {
        continuation.resume(
          throwing: DistributedError.countMismatch("worker \(contribution.worker) sent sync \(round) twice"))
        return
      }
      waitingRound = round
      waiting.append((contribution, continuation))
      latest[contribution.worker] = contribution
      guard waiting.count == workerCount else { return }
      let gathered = waiting.sorted { $0.contribution.worker < $1.contribution.worker }
      waiting = []
      waitingRound = nil
      do {
        let outcome = try combine(gathered.map(\.contribution))
        for entry in gathered { entry.continuation.resume(returning: outcome) }
      } catch {
        for entry in gathered { entry.continuation.resume(throwing: error) }
        abort(error)
      }
    }
  }

  private func combine(_ contributions: [Contribution<Strategy.Report>]) throws -> Reply {
    let started = ContinuousClock.now
    let outcome = try SyncDriver(strategy).center(contributions, state: &state, layout: layout)
    let elapsed = ContinuousClock.now - started
    syncCount += 1
    lastMetrics = strategy.metrics(of: outcome)
    return Reply(
      outcome: outcome,
      centerSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
  }

  /// Stops the center: every waiting and later ``submit(_:round:)`` throws `error`.
  public func abort(_ error: any Error) {
    if failure == nil { failure = error }
    let pending = waiting
    waiting = []
    waitingRound = nil
    for entry in pending { entry.continuation.resume(throwing: failure!) }
  }

  /// The state, sync count and last metrics together (for checkpoints and logs).
  public func snapshot() -> (state: Strategy.CenterState, syncCount: Int, lastMetrics: [StrategyMetric]) {
    (state, syncCount, lastMetrics)
  }
}
