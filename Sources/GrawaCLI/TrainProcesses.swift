import Foundation
import GrawaDistributed

#if MPI
  import GrawaDistributedMPI
  import GrawaMPI
#endif

/// The processes a `train` command runs in: this one alone, or, when `grawa-train` was built
/// with the trait MPI and started by `mpirun` (or `srun`), the ranks of the MPI job. Rank 0 reads
/// the checkpoint and shares it, checks and writes the run directory, and prints; every rank
/// trains its block of the workers.
final class TrainProcesses {
  /// This process's rank (0 when alone).
  let rank: Int
  /// The number of processes (1 when alone).
  let count: Int
  /// The trainer's process group (`nil` when alone).
  let group: (any ProcessGroup)?
  #if MPI
    private let world: MPIWorld?
  #endif

  /// Whether this process reads and writes the run's files and prints.
  var isFirst: Bool { rank == 0 }

  /// Whether a launcher started this process as one rank of an MPI job (Open MPI's `mpirun`
  /// sets `OMPI_COMM_WORLD_SIZE`; PMIx launchers such as `srun --mpi=pmix` set `PMIX_RANK`).
  static var launchedByMPI: Bool {
    let environment = ProcessInfo.processInfo.environment
    return environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil
  }

  /// Joins the MPI job if there is one (built with MPI and launched by `mpirun`), else runs alone.
  /// - Parameters:
  ///   - timeoutSeconds: how long any one MPI operation may wait before every rank is ended (a
  ///     rank that hangs or died).
  ///   - combination: how the ranks combine the workers' vectors at a sync.
  /// - Throws: ``CLIError/failure(_:)`` when MPI cannot start.
  static func start(timeoutSeconds: Double, combination: MPICombinationChoice) throws -> TrainProcesses {
    #if MPI
      if launchedByMPI {
        let world: MPIWorld
        do {
          world = try MPIWorld(operationTimeout: .milliseconds(Int64(timeoutSeconds * 1000)))
        } catch {
          throw CLIError.failure("cannot start MPI: \(error)")
        }
        return TrainProcesses(world: world, combination: combination)
      }
      return TrainProcesses(world: nil, combination: combination)
    #else
      return TrainProcesses()
    #endif
  }

  #if MPI
    private init(world: MPIWorld?, combination: MPICombinationChoice) {
      self.world = world
      rank = world?.rank ?? 0
      count = world?.size ?? 1
      let mode: MPICombinationMode = combination == .gather ? .gather : .reduce
      group = world.map { MPIProcessGroup(world: $0, combination: mode) }
    }
  #else
    private init() {
      rank = 0
      count = 1
      group = nil
    }
  #endif

  /// Runs `body` on rank 0 only and tells every rank whether it succeeded: rank 0 gets its
  /// result or rethrows its error; the others get `nil`, or a failure naming rank 0's error.
  func onFirst<T>(_ body: () throws -> T) throws -> T? {
    guard count > 1 else { return try body() }
    var result: Result<T, any Error>?
    var message: [UInt8] = []
    if isFirst {
      result = Result { try body() }
      if case .failure(let error) = result! {
        message = Array(((error as? CLIError)?.description ?? "\(error)").utf8)
        if message.isEmpty { message = Array("failed".utf8) }
      }
    }
    let shared = try broadcastFromFirst(message)
    if let result { return try result.get() }
    if !shared.isEmpty {
      throw CLIError.failure("rank 0 stopped the run: \(String(decoding: shared, as: UTF8.self))")
    }
    return nil
  }

  /// Rank 0's checkpoint at `url` on every rank: rank 0 reads and checks the file and sends
  /// the state; the others check what arrives.
  /// - Throws: the checkpoint's error on rank 0, a failure naming rank 0 on the others.
  func readCheckpoint(at url: URL) throws -> RunState {
    guard count > 1 else { return try CheckpointFile.read(from: url) }
    let bytes = try onFirst { try CheckpointFile.encoded(try CheckpointFile.read(from: url)) }
    let shared = try broadcastFromFirst(bytes ?? [])
    return try CheckpointFile.decoded(shared, path: "\(url.path) (as sent by rank 0)")
  }

  /// The lines describing the layout (rank 0 only; `nil` elsewhere and when alone): ranks,
  /// workers per rank, and each rank's host and workers.
  func layoutDescription(workersPerRank: Int) throws -> String? {
    #if MPI
      guard let world else { return nil }
      let names = try world.gather(Array("\(world.processorName) (pid \(getpid()))".utf8), to: 0)
      guard let names else { return nil }
      var lines = [
        "mpi: \(count) ranks x \(workersPerRank) workers = \(count * workersPerRank) workers; rank 0 writes the run files"
      ]
      for rank in 0..<names.rankCount {
        let first = rank * workersPerRank
        let host = String(decoding: names[rank], as: UTF8.self)
        lines.append("  rank \(rank) on \(host): workers \(first)-\(first + workersPerRank - 1)")
      }
      return lines.joined(separator: "\n")
    #else
      return nil
    #endif
  }

  /// Ends MPI on every rank (nothing when alone).
  func finish() throws {
    #if MPI
      try world?.finalize()
    #endif
  }

  private func broadcastFromFirst(_ bytes: [UInt8]) throws -> [UInt8] {
    guard let group else { return bytes }
    do {
      return try group.broadcastFromFirst(bytes)
    } catch {
      throw CLIError.failure("\(error)")
    }
  }
}

/// How the ranks of a run under `mpirun` combine the workers' vectors at a sync
/// (`--mpi-combination`; docs/algorithms.md, "A sync").
enum MPICombinationChoice: String, ChoiceOptionValue {
  /// Every rank all-gathers every worker's vector: bit-identical to one process, W vectors per
  /// rank per sync.
  case gather
  /// All-reduce of each rank's weighted sum (broadcast for a selection): one vector per rank
  /// per sync, equal to one process up to the last bit of a float.
  case reduce
}
