#if MPI
  import Foundation
  import GrawaMPI

  /// Times the two sync patterns of the GRAWA family on model-sized vectors.
  ///
  /// - all-reduce: the weighted center of GRAWA/MGRAWA/LGRAWA and DP's gradient mean, one
  ///   `MPI_Allreduce` (sum) in place.
  /// - gather + broadcast: EASGD's master and LSGD's leader: every rank's vector to rank 0,
  ///   then rank 0's vector back to all.
  /// - all-gather: what the engine's default MPI transport (`MPICombinationMode.gather`) does at
  ///   every sync, for one worker per rank: every rank receives every rank's vector, so each
  ///   rank can combine them in worker order (bit-identical to one process).
  ///
  /// The gather's receive buffer is allocated by each call (as `MPIWorld.gather` does for a
  /// caller), so its page faults are part of the gather + broadcast time.
  ///
  /// Each repeat starts after a barrier; its time is the slowest rank's (an all-reduce of the
  /// per-rank times, outside the timed region). Bytes are per-rank payload P = 4 x floats and
  /// the traffic of the busiest rank: 2 (N-1)/N P for a bandwidth-optimal all-reduce,
  /// 2 (N-1) P for rank 0 in gather + broadcast, and (N-1) P received by every rank in an
  /// all-gather.
  enum MPIBenchmark {
    static let usage = """
      USAGE: mpirun -np N grawa-mpi-bench [--sizes resnet20,wrn-28-10] [--repeats K]

      Prints, per vector size and operation: payload, median and minimum seconds, and effective
      bandwidth (payload / time, and busiest rank's traffic / time).
      """

    /// Runs the benchmark; returns the exit code.
    static func run(arguments: [String]) -> Int32 {
      var sizes = VectorSize.allCases
      var repeats: Int?
      var remaining = arguments[...]
      while let flag = remaining.popFirst() {
        switch (flag, remaining.popFirst()) {
        case ("--sizes", let value?):
          let parsed = value.split(separator: ",").map { VectorSize(rawValue: String($0)) }
          guard !parsed.isEmpty, parsed.allSatisfy({ $0 != nil }) else {
            return fail(
              "--sizes wants a list of \(VectorSize.allCases.map(\.rawValue)), got \(value)")
          }
          sizes = parsed.compactMap { $0 }
        case ("--repeats", let value?):
          guard let count = Int(value), count > 0 else {
            return fail("--repeats wants a positive count, got \(value)")
          }
          repeats = count
        case ("--help", _):
          print(usage)
          return 0
        default:
          return fail("unknown or incomplete option \(flag)")
        }
      }
      do {
        let world = try MPIWorld(operationTimeout: .seconds(600))
        if world.rank == 0 {
          // mpirun hands `--mca btl ...` to the ranks as OMPI_MCA_btl.
          let transports =
            ProcessInfo.processInfo.environment["OMPI_MCA_btl"]
            ?? "Open MPI's default (self, vader shared memory, tcp)"
          print(
            "grawa-mpi-bench: \(world.size) ranks, rank 0 on \(world.processorName);"
              + " byte transfer layers: \(transports)")
          print(Row.header)
        }
        for size in sizes {
          let count = repeats ?? size.defaultRepeats
          let rows = [
            try timeAllReduce(world: world, size: size, repeats: count),
            try timeGatherBroadcast(world: world, size: size, repeats: count),
            try timeAllGather(world: world, size: size, repeats: count),
          ]
          if world.rank == 0 {
            for row in rows {
              print(row.formatted)
            }
          }
        }
        try world.finalize()
        return 0
      } catch {
        return fail("\(error)")
      }
    }

    static func timeAllReduce(world: MPIWorld, size: VectorSize, repeats: Int) throws -> Row {
      var times: [Double] = []
      for _ in 0..<repeats {
        // A fresh, written array: no copy-on-write or first-touch page fault in the timed part.
        var vector = [Float](repeating: Float(world.rank + 1) / 1024, count: size.count)
        try world.barrier()
        let start = DispatchTime.now()
        try world.allReduceSum(&vector)
        times.append(try slowest(world: world, since: start))
      }
      let payload = Double(size.count * MemoryLayout<Float>.size)
      let ranks = Double(world.size)
      return Row(
        operation: "all-reduce", size: size, ranks: world.size, times: times,
        payloadBytes: payload, busiestRankBytes: 2 * (ranks - 1) / ranks * payload)
    }

    static func timeGatherBroadcast(world: MPIWorld, size: VectorSize, repeats: Int) throws -> Row {
      let mine = [Float](repeating: Float(world.rank + 1) / 1024, count: size.count)
      var times: [Double] = []
      for _ in 0..<repeats {
        var center = [Float](repeating: 0, count: size.count)
        try world.barrier()
        let start = DispatchTime.now()
        let gathered = try world.gather(mine, to: 0)
        // Keep the gathered buffers alive until the broadcast is done, as a master would.
        try world.broadcast(&center, from: 0)
        withExtendedLifetime(gathered) {}
        times.append(try slowest(world: world, since: start))
      }
      let payload = Double(size.count * MemoryLayout<Float>.size)
      return Row(
        operation: "gather+broadcast", size: size, ranks: world.size, times: times,
        payloadBytes: payload, busiestRankBytes: 2 * Double(world.size - 1) * payload)
    }

    static func timeAllGather(world: MPIWorld, size: VectorSize, repeats: Int) throws -> Row {
      let mine = [Float](repeating: Float(world.rank + 1) / 1024, count: size.count)
      var times: [Double] = []
      for _ in 0..<repeats {
        try world.barrier()
        let start = DispatchTime.now()
        let gathered = try world.allGather(mine)
        withExtendedLifetime(gathered) {}
        times.append(try slowest(world: world, since: start))
      }
      let payload = Double(size.count * MemoryLayout<Float>.size)
      return Row(
        operation: "all-gather", size: size, ranks: world.size, times: times,
        payloadBytes: payload, busiestRankBytes: Double(world.size - 1) * payload)
    }

    /// This rank's seconds since `start`, maximised over ranks.
    static func slowest(world: MPIWorld, since start: DispatchTime) throws -> Double {
      let nanoseconds = DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds
      var seconds = [Double(nanoseconds) / 1e9]
      try world.allReduceMax(&seconds)
      return seconds[0]
    }

    static func fail(_ message: String) -> Int32 {
      FileHandle.standardError.write(Data("grawa-mpi-bench: \(message)\n".utf8))
      return 1
    }
  }

  /// One line of the table.
  struct Row {
    var operation: String
    var size: VectorSize
    var ranks: Int
    var times: [Double]
    var payloadBytes: Double
    var busiestRankBytes: Double

    static let header =
      "operation         model      ranks   floats     payload MB  busiest MB  median s   min s      payload GB/s  busiest GB/s  repeats"

    var median: Double {
      let sorted = times.sorted()
      let middle = sorted.count / 2
      return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    var formatted: String {
      let columns = [
        operation.padding(toLength: 17, withPad: " ", startingAt: 0),
        size.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0),
        String(ranks).padding(toLength: 7, withPad: " ", startingAt: 0),
        String(size.count).padding(toLength: 10, withPad: " ", startingAt: 0),
        String(format: "%-11.2f", payloadBytes / 1e6),
        String(format: "%-11.2f", busiestRankBytes / 1e6),
        String(format: "%-10.5f", median),
        String(format: "%-10.5f", times.min() ?? 0),
        String(format: "%-13.3f", payloadBytes / median / 1e9),
        String(format: "%-13.3f", busiestRankBytes / median / 1e9),
        String(times.count),
      ]
      return columns.joined(separator: " ")
    }
  }
#endif
