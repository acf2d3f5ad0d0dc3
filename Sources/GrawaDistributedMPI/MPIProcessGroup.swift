#if MPI
  import GrawaDistributed
  import GrawaMPI
  import GrawaTensor

  /// The ranks of an MPI job as the trainer's ``ProcessGroup``: rank r runs an equal block of
  /// the run's workers, syncs them through an ``MPITransport``, and every collective goes
  /// through `MPIWorld`'s one communication thread.
  ///
  /// A rank that hangs ends the job after `world.operationTimeout` (the waiting rank calls
  /// `MPI_Abort` naming itself and the operation); a rank that dies is noticed by `mpirun`,
  /// which names it and ends the others. The broadcast in which the other ranks wait while rank
  /// 0 evaluates and writes a checkpoint may take `pauseTimeout` instead.
  public final class MPIProcessGroup: ProcessGroup {
    /// The MPI job.
    public let world: MPIWorld
    /// How long the other ranks wait for rank 0 at a pause (evaluation, checkpoint).
    public let pauseTimeout: Duration
    /// How the syncs combine the workers' vectors.
    public let combination: MPICombinationMode

    /// A group over `world`.
    /// - Parameters:
    ///   - pauseTimeout: the longest rank 0 may take over an evaluation and checkpoint; at
    ///     least `world.operationTimeout` is used.
    ///   - combination: ``MPICombinationMode/gather`` (the default) is bit-identical to a
    ///     one-process run whatever the layout.
    public init(world: MPIWorld, pauseTimeout: Duration = .seconds(3600), combination: MPICombinationMode = .gather) {
      self.world = world
      self.pauseTimeout = pauseTimeout
      self.combination = combination
    }

    /// The rank.
    public var rank: Int { world.rank }
    /// The number of ranks.
    public var processCount: Int { world.size }

    /// An ``MPITransport`` for this rank's workers.
    /// - Throws: ``ConfigurationError`` for the asynchronous mode (not carried over MPI yet).
    public func makeTransport<Strategy: DistributedStrategy>(
      strategy: Strategy, layout: ParameterLayout, workerCount: Int, localWorkers: Range<Int>, mode: SyncMode,
      state: Strategy.CenterState, syncCount: Int
    ) throws -> any CenterTransport<Strategy> {
      guard mode == .synchronous else {
        throw ConfigurationError(
          "--sync-mode \(mode.rawValue) is not supported over MPI yet: run synchronous mode under mpirun, "
            + "or the asynchronous mode in one process")
      }
      return MPITransport(
        world: world, strategy: strategy, layout: layout, workerCount: workerCount, localWorkers: localWorkers,
        state: state, syncCount: syncCount, mode: combination)
    }

    /// `MPI_Allreduce` with `MPI_MAX`.
    public func maximum(_ values: [Double]) throws -> [Double] {
      var values = values
      try world.allReduceMax(&values)
      return values
    }

    /// `MPI_Gatherv` to rank 0.
    public func gatherToFirst(_ bytes: [UInt8]) throws -> [[UInt8]]? {
      try world.gather(bytes, to: 0)?.arrays
    }

    /// `MPI_Bcast` from rank 0; the other ranks are allowed `pauseTimeout` (rank 0 may be
    /// evaluating meanwhile), rank 0 the usual timeout.
    public func broadcastFromFirst(_ bytes: [UInt8]) throws -> [UInt8] {
      guard rank != 0 else { return try world.broadcast(bytes, from: 0) }
      let usual = world.operationTimeout
      world.operationTimeout = max(usual, pauseTimeout)
      defer { world.operationTimeout = usual }
      return try world.broadcast(bytes, from: 0)
    }

    /// Prints `error` naming this rank and ends every rank (`MPI_Abort`, exit code 1).
    public func abandon(_ error: any Error) -> Never {
      world.abortEveryRank("\(error); ending every rank", exitCode: 1)
    }
  }

  /// How an ``MPITransport`` combines the workers' vectors at a weighted-sum sync.
  public enum MPICombinationMode: String, Sendable, CaseIterable {
    /// Every rank all-gathers every worker's contribution and runs the strategy's center on
    /// all of them in worker order, exactly as one process does: bit-identical to a
    /// one-process run whatever the layout, at W vectors received per rank per sync.
    case gather
    /// Ranks all-gather the reports only, and all-reduce their local weighted sums (in
    /// `Double`); `.select` is a broadcast from the owning rank. One vector per rank per sync,
    /// but the sum's order follows the layout and Open MPI's algorithm, so the center can
    /// differ from a one-process run in the last bit of a `Float` (the sum is rounded to
    /// `Float` once, from `Double`).
    case reduce
  }
#endif
