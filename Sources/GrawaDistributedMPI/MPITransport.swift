#if MPI
  import Foundation
  import GrawaDistributed
  import GrawaMPI
  import GrawaTensor

  /// The synchronous ``Transport`` of one MPI rank: its local worker threads meet here, the last
  /// one to arrive at a sync makes the rank's collectives, and every rank runs the same
  /// deterministic center rule on the same inputs, so the center state is replicated.
  ///
  /// A sync: each local worker hands in its contribution and blocks; the last to arrive sends
  /// the rank's contributions in one message and combines them as ``MPICombinationMode`` says;
  /// every local worker gets the same outcome. Rank r holds workers r x L ..< (r+1) x L, so rank
  /// order is worker order. All MPI calls run on `MPIWorld`'s communication thread, and the
  /// rank's collectives come in the same order on every rank: syncs, then the boundary
  /// agreement (``RunController``), then at a pause the trainer's gather and broadcast.
  final class MPITransport<Strategy: DistributedStrategy>: CenterTransport, @unchecked Sendable {
    // @unchecked: the mutable state below is only touched with `condition` locked, except the
    // center's state, which only the one rank communicator of a round (rounds are sequential)
    // changes, and which is read at pauses, when no round is in flight.
    let world: MPIWorld
    let strategy: Strategy
    let layout: ParameterLayout
    let workerCount: Int
    let localWorkers: Range<Int>
    let mode: MPICombinationMode

    private let condition = NSCondition()
    private var pending: [Contribution<Strategy.Report>?]
    private var pendingRound: Int?
    private var replies: [Int: (result: Result<SyncReply<Strategy.Outcome>, any Error>, readers: Int)] = [:]
    private var failure: (any Error)?
    private var state: Strategy.CenterState
    private var syncCount: Int
    private var lastMetrics: [StrategyMetric] = []

    init(
      world: MPIWorld, strategy: Strategy, layout: ParameterLayout, workerCount: Int, localWorkers: Range<Int>,
      state: Strategy.CenterState, syncCount: Int, mode: MPICombinationMode
    ) {
      self.world = world
      self.strategy = strategy
      self.layout = layout
      self.workerCount = workerCount
      self.localWorkers = localWorkers
      self.state = state
      self.syncCount = syncCount
      self.mode = mode
      self.pending = Array(repeating: nil, count: localWorkers.count)
    }

    /// Hands in a local worker's contribution and blocks until the rank's outcome is formed.
    func exchange(_ contribution: Contribution<Strategy.Report>, round: Int) throws -> SyncReply<Strategy.Outcome> {
      condition.lock()
      defer { condition.unlock() }
      if let failure { throw failure }
      guard localWorkers.contains(contribution.worker) else {
        throw DistributedError.countMismatch(
          "contribution from worker \(contribution.worker) on rank \(world.rank), which runs workers \(localWorkers)")
      }
      if let pendingRound, pendingRound != round {
        throw DistributedError.countMismatch(
          "worker \(contribution.worker) sent sync \(round) while rank \(world.rank) gathers sync \(pendingRound)")
      }
      let slot = contribution.worker - localWorkers.lowerBound
      guard pending[slot] == nil else {
        throw DistributedError.countMismatch("worker \(contribution.worker) sent sync \(round) twice")
      }
      pendingRound = round
      pending[slot] = contribution
      if pending.allSatisfy({ $0 != nil }) {
        let gathered = pending.map { $0! }
        pending = Array(repeating: nil, count: localWorkers.count)
        pendingRound = nil
        // The collectives wait for the other ranks: made without the lock.
        condition.unlock()
        let result = Result { try combine(gathered) }
        condition.lock()
        replies[round] = (result, 0)
        condition.broadcast()
      }
      while replies[round] == nil && failure == nil {
        condition.wait()
      }
      guard var entry = replies[round] else { throw failure! }
      entry.readers += 1
      replies[round] = entry.readers == localWorkers.count ? nil : entry
      return try entry.result.get()
    }

    /// Wakes every waiting local worker with `error`; later exchanges throw it too.
    func abort(_ error: any Error) {
      condition.lock()
      defer { condition.unlock() }
      if failure == nil { failure = error }
      condition.broadcast()
    }

    /// The replicated center state (read at pauses, when no sync is in flight).
    func centerSnapshot() -> (state: Strategy.CenterState, syncCount: Int, lastMetrics: [StrategyMetric]) {
      condition.lock()
      defer { condition.unlock() }
      return (state, syncCount, lastMetrics)
    }

    // MARK: - One sync

    /// The rank's collectives and the center rule for one sync.
    private func combine(_ local: [Contribution<Strategy.Report>]) throws -> SyncReply<Strategy.Outcome> {
      // Wait for the slowest rank first: the time measured from here on is the transfer and the
      // center rule, the run's distributed work. The barrier's time is waiting, which the worker
      // counts as such (it is not in `centerSeconds`), not network time.
      try world.barrier()
      let started = ContinuousClock.now
      var state = condition.withLock { self.state }
      let outcome: Strategy.Outcome
      switch mode {
      case .gather:
        let contributions = try allContributions(local, withVectors: true)
        outcome = try SyncDriver(strategy).center(contributions, state: &state, layout: layout)
      case .reduce:
        let reports = try allContributions(local, withVectors: false)
        for (index, report) in reports.enumerated() where report.worker != index {
          throw DistributedError.countMismatch("\(strategy.name): report \(index) of the sync comes from worker \(report.worker)")
        }
        let combination = try strategy.combination(of: reports, state: &state, layout: layout)
        let combined = try reduce(local, combination: combination)
        outcome = try strategy.outcome(of: reports, combination: combination, combined: combined, state: &state)
      }
      let metrics = strategy.metrics(of: outcome)
      condition.withLock {
        self.state = state
        syncCount += 1
        lastMetrics = metrics
      }
      let elapsed = ContinuousClock.now - started
      return SyncReply(
        outcome: outcome,
        centerSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }

    /// Every worker's contribution in worker order, on every rank (`MPI_Allgatherv`).
    private func allContributions(
      _ local: [Contribution<Strategy.Report>], withVectors: Bool
    ) throws -> [Contribution<Strategy.Report>] {
      let gathered = try world.allGather(try ContributionMessage.encode(local, withVectors: withVectors))
      var all: [Contribution<Strategy.Report>] = []
      all.reserveCapacity(workerCount)
      for rank in 0..<gathered.rankCount {
        all += try ContributionMessage.decode(gathered[rank], as: Strategy.Report.self, rank: rank)
      }
      guard all.count == workerCount else {
        throw DistributedError.countMismatch("a sync gathered \(all.count) contributions for \(workerCount) workers")
      }
      return all
    }

    /// The combination carried out with one collective: the local weighted sums all-reduced in
    /// `Double`, or the selected worker's vector broadcast from its rank.
    private func reduce(_ local: [Contribution<Strategy.Report>], combination: VectorCombination) throws -> [Float] {
      switch combination {
      case .none:
        return []
      case .select(let worker):
        guard (0..<workerCount).contains(worker) else {
          throw DistributedError.countMismatch("selected worker \(worker) of \(workerCount)")
        }
        let owner = worker / localWorkers.count
        let mine = localWorkers.contains(worker) ? local[worker - localWorkers.lowerBound].vector : []
        return try world.broadcast(mine, from: owner)
      case .weightedSum(let weights):
        guard weights.count == workerCount, let columns = weights.first?.count,
          columns == 1 || columns == layout.tensorCount, weights.allSatisfy({ $0.count == columns })
        else {
          throw DistributedError.countMismatch("weighted sum: \(weights.count) weight rows do not fit the run")
        }
        var sum = [Double](repeating: 0, count: layout.totalCount)
        for contribution in local {
          guard contribution.vector.count == layout.totalCount else {
            throw DistributedError.lengthMismatch(
              expected: layout.totalCount, got: contribution.vector.count, worker: contribution.worker)
          }
          let row = weights[contribution.worker]
          contribution.vector.withUnsafeBufferPointer { vector in
            sum.withUnsafeMutableBufferPointer { accumulator in
              if columns == 1 {
                for index in 0..<vector.count { accumulator[index] += row[0] * Double(vector[index]) }
              } else {
                for tensor in 0..<layout.tensorCount {
                  let weight = row[tensor]
                  for index in layout.range(of: tensor) { accumulator[index] += weight * Double(vector[index]) }
                }
              }
            }
          }
        }
        try world.allReduceSum(&sum)
        return sum.map { Float($0) }
      }
    }
  }
#endif
