#if MPI
  import Foundation
  import GrawaMPI

  /// Runs the checks of `Checks` on every rank and agrees on the verdict.
  enum CheckCommand {
    /// Parses `arguments`, runs every check, and returns the process exit code: 0 when every
    /// check passed on every rank, 1 when one failed, 2 for a bad command line.
    static func run(arguments: [String]) -> Int32 {
      let options: CheckOptions
      do {
        options = try CheckOptions.parse(arguments)
      } catch CheckOptionsError.helpRequested {
        print(CheckOptions.usage)
        return 0
      } catch CheckOptionsError.invalid(let message) {
        Output.error("grawa-mpi-check: \(message)\n\(CheckOptions.usage)")
        return 2
      } catch {
        Output.error("grawa-mpi-check: \(error)")
        return 2
      }
      do {
        let world = try MPIWorld(operationTimeout: .seconds(options.timeoutSeconds))
        let failed = try runChecks(world: world, options: options)
        try world.finalize()
        return failed == 0 ? 0 : 1
      } catch {
        Output.error("grawa-mpi-check: \(error)")
        return 1
      }
    }

    /// Runs every check; each rank reports its own mismatches, rank 0 reports the verdicts.
    /// - Returns: the number of checks that failed on at least one rank.
    static func runChecks(world: MPIWorld, options: CheckOptions) throws -> Int {
      Output.line(
        "rank \(world.rank) of \(world.size): pid \(getpid()) on \(world.processorName)")
      let spoiledRank = world.size > 1 ? 1 : 0
      let checks = Checks(
        world: world, corruption: options.corruption, spoiledRank: spoiledRank)
      var failedChecks = 0
      for check in checks.all {
        let mismatches = try check.run()
        for mismatch in mismatches {
          Output.error("rank \(world.rank): FAIL \(check.name): \(mismatch)")
        }
        var failingRanks = [Int64(mismatches.isEmpty ? 0 : 1)]
        try world.allReduceSum(&failingRanks)
        if failingRanks[0] > 0 {
          failedChecks += 1
        }
        if world.rank == 0 {
          let verdict = failingRanks[0] == 0 ? "PASS" : "FAIL (on \(failingRanks[0]) ranks)"
          Output.line("\(verdict) \(check.name)")
        }
      }
      try hold(world: world, seconds: options.holdSeconds)
      if let stallRank = options.stallRank, stallRank == world.rank {
        Output.line("rank \(world.rank): stalling instead of joining the final barrier")
        Thread.sleep(forTimeInterval: 3 * options.timeoutSeconds + 30)
      }
      try world.barrier()
      if world.rank == 0 {
        let total = checks.all.count
        if failedChecks == 0 {
          Output.line("grawa-mpi-check: all \(total) checks passed on \(world.size) ranks")
        } else {
          Output.line(
            "grawa-mpi-check: \(failedChecks) of \(total) checks failed on \(world.size) ranks")
        }
      }
      return failedChecks
    }

    /// All-reduces a 1 MB vector over and over until rank 0's clock says `seconds` have passed
    /// (rank 0 broadcasts whether to go on, so every rank stops after the same round).
    static func hold(world: MPIWorld, seconds: Double) throws {
      guard seconds > 0 else {
        return
      }
      let deadline = Date().addingTimeInterval(seconds)
      var rounds = 0
      var vector = [Float](repeating: 1, count: 262_144)
      while true {
        var goOn = [Int64(Date() < deadline ? 1 : 0)]
        try world.broadcast(&goOn, from: 0)
        if goOn[0] == 0 {
          break
        }
        try world.allReduceSum(&vector)
        vector = [Float](repeating: 1, count: vector.count)
        rounds += 1
      }
      Output.line("rank \(world.rank): held for \(rounds) all-reduce rounds")
    }
  }

  /// Unbuffered writes, so that lines reach `mpirun` (and a test reading it) at once.
  enum Output {
    static func line(_ text: String) {
      FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
      FileHandle.standardError.write(Data((text + "\n").utf8))
    }
  }
#endif
