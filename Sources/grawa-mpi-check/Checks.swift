#if MPI
  import Foundation
  import GrawaMPI

  /// One named check: returns this rank's mismatches, empty when it passed here.
  struct Check {
    var name: String
    var run: () throws -> [String]
  }

  /// Every collective of `MPIWorld` on inputs whose results can be worked out by hand.
  ///
  /// With N ranks, rank r contributes values built from r + 1, so sums are multiples of
  /// N(N+1)/2; every expected value below is an integer or a half, exact in `Float`.
  struct Checks {
    let world: MPIWorld
    /// The check whose input `spoiledRank` spoils, or `nil` for honest runs.
    let corruption: Corruption?
    let spoiledRank: Int

    var rank: Int { world.rank }
    var size: Int { world.size }
    /// 1 + 2 + ... + N.
    var triangle: Int { size * (size + 1) / 2 }

    func spoils(_ check: Corruption) -> Bool {
      corruption == check && rank == spoiledRank
    }

    var all: [Check] {
      [
        Check(name: "layout", run: layout),
        Check(name: "barrier", run: barrier),
        Check(name: "all-reduce-sum-float", run: allReduceSumFloat),
        Check(name: "all-reduce-sum-double-1M", run: allReduceSumDoubleLarge),
        Check(name: "all-reduce-max", run: allReduceMax),
        Check(name: "all-reduce-bit-identical", run: allReduceBitIdentical),
        Check(name: "broadcast-float-from-last-rank", run: broadcastFloat),
        Check(name: "broadcast-variable-bytes", run: broadcastVariableBytes),
        Check(name: "gather-variable-bytes", run: gatherVariableBytes),
        Check(name: "all-gather-variable-floats", run: allGatherVariableFloats),
        Check(name: "all-gather-scored-vectors", run: allGatherScoredVectors),
        Check(name: "gather-average-broadcast", run: gatherAverageBroadcast),
        Check(name: "mpi-error-becomes-swift-error", run: errorBecomesSwiftError),
        Check(name: "concurrent-callers", run: concurrentCallers),
      ]
    }

    // MARK: - The checks

    /// Ranks are 0..<N, each rank knows N, and every rank has a processor name.
    func layout() throws -> [String] {
      let ranks = try world.allGather([Int64(rank)])
      let sizes = try world.allGather([Int64(size)])
      var mismatches: [String] = []
      if ranks.elements != (0..<size).map({ Int64($0) }) {
        mismatches.append("all-gathered ranks \(ranks.elements), expected 0..<\(size)")
      }
      if sizes.elements != [Int64](repeating: Int64(size), count: size) {
        mismatches.append("ranks disagree on the size: \(sizes.elements)")
      }
      if world.processorName.isEmpty {
        mismatches.append("empty processor name")
      }
      return mismatches
    }

    /// Two barriers in a row complete.
    func barrier() throws -> [String] {
      try world.barrier()
      try world.barrier()
      return []
    }

    /// Rank r sends (r+1)(i+1) at index i; the sum is N(N+1)/2 (i+1).
    func allReduceSumFloat() throws -> [String] {
      var values = (0..<7).map { Float((rank + 1) * ($0 + 1)) }
      if spoils(.allReduce) {
        values[3] += 1
      }
      try world.allReduceSum(&values)
      let expected = (0..<7).map { Float(triangle * ($0 + 1)) }
      return compare(values, expected, "sum")
    }

    /// 1,000,003 doubles (large enough for Open MPI's segmented algorithms, and odd): rank r
    /// sends (r+1) + (i mod 7); the sum is N(N+1)/2 + N (i mod 7).
    func allReduceSumDoubleLarge() throws -> [String] {
      let count = 1_000_003
      var values = (0..<count).map { Double(rank + 1) + Double($0 % 7) }
      try world.allReduceSum(&values)
      let expected = (0..<count).map { Double(triangle) + Double(size * ($0 % 7)) }
      return compare(values, expected, "sum")
    }

    /// Rank r sends [r, -r]; the maximum is [N-1, 0].
    func allReduceMax() throws -> [String] {
      var values = [Double(rank), -Double(rank)]
      try world.allReduceMax(&values)
      return compare(values, [Double(size - 1), 0], "max")
    }

    /// A ResNet-20-sized vector of pseudo-random floats, summed five times: every repeat has the
    /// same bits as the first, every rank has the same bits, and the sum is within float
    /// rounding of a sum in Double of every rank's input (each rank can regenerate them all).
    func allReduceBitIdentical() throws -> [String] {
      let count = 269_722
      let input = SplitMix64.floats(count: count, seed: UInt64(rank))
      var first = input
      try world.allReduceSum(&first)
      var mismatches: [String] = []
      for repeatIndex in 1..<5 {
        var again = input
        try world.allReduceSum(&again)
        if again.map(\.bitPattern) != first.map(\.bitPattern) {
          let differing = zip(again, first).filter { $0.bitPattern != $1.bitPattern }.count
          mismatches.append("repeat \(repeatIndex) differs from the first in \(differing) elements")
        }
      }
      let hashes = try world.allGather([Int64(bitPattern: fnv1a(first))])
      if Set(hashes.elements).count != 1 {
        mismatches.append("ranks hold different sums (hashes \(hashes.elements))")
      }
      var reference = [Double](repeating: 0, count: count)
      for source in 0..<size {
        let theirs = SplitMix64.floats(count: count, seed: UInt64(source))
        for index in 0..<count {
          reference[index] += Double(theirs[index])
        }
      }
      // Each input is in [-1, 1); N - 1 float additions of values below N err by < N ulp(N).
      let tolerance = Double(size) * Double(Float(size).ulp)
      let worst = zip(first, reference).map { abs(Double($0) - $1) }.max() ?? 0
      if worst > tolerance {
        mismatches.append("sum differs from the Double reference by \(worst) > \(tolerance)")
      }
      return mismatches
    }

    /// The last rank (non-zero when N > 1) broadcasts 0.5 i + root; the others held -1.
    func broadcastFloat() throws -> [String] {
      let root = size - 1
      let expected = (0..<1000).map { Float($0) * 0.5 + Float(root) }
      var values = rank == root ? expected : [Float](repeating: -1, count: 1000)
      if rank == root && corruption == .broadcast {
        values[999] = 0
      }
      try world.broadcast(&values, from: root)
      return compare(values, expected, "broadcast")
    }

    /// Rank 1 (0 when alone) broadcasts a greeting whose length only it knows.
    func broadcastVariableBytes() throws -> [String] {
      let root = size > 1 ? 1 : 0
      let greeting = Array("hello from rank \(root) of \(size)".utf8)
      let received = try world.broadcast(rank == root ? greeting : [], from: root)
      guard received == greeting else {
        return ["received \(String(decoding: received, as: UTF8.self).debugDescription)"]
      }
      return []
    }

    /// Rank r sends r bytes of value r (rank 0 sends none) to the last rank.
    func gatherVariableBytes() throws -> [String] {
      let root = size - 1
      var mine = [UInt8](repeating: UInt8(rank), count: rank)
      if spoils(.gather) {
        mine.append(UInt8(rank))
      }
      let gathered = try world.gather(mine, to: root)
      guard rank == root else {
        return gathered == nil ? [] : ["a non-root rank received a gather result"]
      }
      guard let gathered else {
        return ["the root received nothing"]
      }
      var mismatches: [String] = []
      for source in 0..<size {
        let expected = [UInt8](repeating: UInt8(source), count: source)
        if Array(gathered[source]) != expected {
          mismatches.append("from rank \(source): \(Array(gathered[source])), expected \(expected)")
        }
      }
      return mismatches
    }

    /// Rank r sends r + 1 floats 10r + j; every rank receives all of them.
    func allGatherVariableFloats() throws -> [String] {
      let gathered = try world.allGather((0...rank).map { Float(10 * rank + $0) })
      var mismatches: [String] = []
      for source in 0..<size {
        let expected = (0...source).map { Float(10 * source + $0) }
        if Array(gathered[source]) != expected {
          mismatches.append("from rank \(source): \(Array(gathered[source])), expected \(expected)")
        }
      }
      return mismatches
    }

    /// Each rank sends its vector with two scores (a loss, an inverse norm) in one message.
    func allGatherScoredVectors() throws -> [String] {
      let gathered = try world.allGather(scoredVector(of: rank))
      let expected = (0..<size).map(scoredVector(of:))
      return gathered == expected ? [] : ["received \(gathered), expected \(expected)"]
    }

    /// EASGD's master round: gather 5 floats 4r + i on rank 0, average there in rank order,
    /// broadcast the center. The mean of 4r over r < N is 2(N-1), so the center is 2(N-1) + i.
    func gatherAverageBroadcast() throws -> [String] {
      let mine = (0..<5).map { Float(4 * rank + $0) }
      var center = [Float](repeating: 0, count: 5)
      if let gathered = try world.gather(mine, to: 0) {
        for source in 0..<gathered.rankCount {
          for (index, value) in gathered[source].enumerated() {
            center[index] += value
          }
        }
        center = center.map { $0 / Float(size) }
      }
      try world.broadcast(&center, from: 0)
      let expected = (0..<5).map { Float(2 * (size - 1) + $0) }
      return compare(center, expected, "center")
    }

    /// A broadcast from a rank that does not exist returns MPI_ERR_ROOT as a Swift error with
    /// Open MPI's text, and the world stays usable.
    func errorBecomesSwiftError() throws -> [String] {
      var values: [Float] = [1, 2]
      var mismatches: [String] = []
      do {
        try world.broadcast(&values, from: size)
        mismatches.append("broadcast from rank \(size) of \(size) did not throw")
      } catch let error as MPIError {
        if error.operation != "MPI_Bcast" || !error.message.lowercased().contains("root") {
          mismatches.append("unexpected error: \(error)")
        }
      }
      try world.barrier()
      return mismatches
    }

    /// Four threads per rank each all-reduce 8 times at once, as worker threads of an engine
    /// would. All 32 operations of a rank have the same size and input (r + 1), so however the
    /// communication thread orders them, the k-th one of every rank pairs with the k-th of the
    /// others, and every result is N(N+1)/2. In a debug build GrawaMPI also asserts that each
    /// call runs on the thread that initialised MPI (`MPI_Is_thread_main`); running the calls on
    /// the callers' threads instead trips that assertion here (tried once, by hand).
    func concurrentCallers() throws -> [String] {
      let results = ThreadResults()
      let group = DispatchGroup()
      for thread in 0..<4 {
        group.enter()
        let world = self.world
        let rank = self.rank
        Thread.detachNewThread {
          defer { group.leave() }
          do {
            for _ in 0..<8 {
              var values = [Float](repeating: Float(rank + 1), count: 1000)
              try world.allReduceSum(&values)
              results.append(values)
            }
          } catch {
            results.fail("thread \(thread): \(error)")
          }
        }
      }
      group.wait()
      let expected = [Float](repeating: Float(triangle), count: 1000)
      var mismatches = results.failures
      if results.values.count != 32 {
        mismatches.append("\(results.values.count) of 32 all-reduces returned")
      }
      for values in results.values where values != expected {
        mismatches.append(contentsOf: compare(values, expected, "sum"))
      }
      return mismatches
    }

    // MARK: - Helpers

    func scoredVector(of source: Int) -> ScoredVector {
      ScoredVector(
        values: [Float(source), Float(source) + 0.5, -Float(source)],
        scores: [Double(source) + 0.25, 1 / Double(source + 1)])
    }

    func compare<Value: Equatable>(_ actual: [Value], _ expected: [Value], _ what: String)
      -> [String]
    {
      guard actual.count == expected.count else {
        return ["\(what) has \(actual.count) elements, expected \(expected.count)"]
      }
      guard let index = actual.indices.first(where: { actual[$0] != expected[$0] }) else {
        return []
      }
      return ["\(what)[\(index)] = \(actual[index]), expected \(expected[index])"]
    }

    /// FNV-1a over the floats' bit patterns.
    func fnv1a(_ values: [Float]) -> UInt64 {
      var hash: UInt64 = 0xcbf2_9ce4_8422_2325
      for value in values {
        var bits = value.bitPattern
        for _ in 0..<4 {
          hash = (hash ^ UInt64(bits & 0xff)) &* 0x100_0000_01b3
          bits >>= 8
        }
      }
      return hash
    }
  }

  /// What the threads of `concurrentCallers` return, collected under a lock.
  final class ThreadResults: @unchecked Sendable {
    // @unchecked: every property is read and written with `lock` held.
    private let lock = NSLock()
    private var storedValues: [[Float]] = []
    private var storedFailures: [String] = []

    func append(_ values: [Float]) {
      lock.withLock { storedValues.append(values) }
    }

    func fail(_ message: String) {
      lock.withLock { storedFailures.append(message) }
    }

    var values: [[Float]] { lock.withLock { storedValues } }
    var failures: [String] { lock.withLock { storedFailures } }
  }

  /// SplitMix64 (Steele, Lea, Flood 2014): a tiny seeded generator every rank can rerun.
  struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
      state &+= 0x9e37_79b9_7f4a_7c15
      var z = state
      z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
      z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
      return z ^ (z >> 31)
    }

    /// `count` floats uniform in [-1, 1), from the top 24 bits of each draw.
    static func floats(count: Int, seed: UInt64) -> [Float] {
      var generator = SplitMix64(state: seed)
      return (0..<count).map { _ in
        Float(generator.next() >> 40) / Float(1 << 23) - 1
      }
    }
  }
#endif
