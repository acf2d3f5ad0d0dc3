import Dispatch

/// Throughput measurement of ``GEMM/sgemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:threads:)``.
public enum GEMMBenchmark {
  /// The outcome of one measurement.
  public struct Result: Sendable, CustomStringConvertible {
    /// Rows of C.
    public var m: Int
    /// Columns of C.
    public var n: Int
    /// Inner dimension.
    public var k: Int
    /// Whether A was read transposed.
    public var transposeA: Bool
    /// Whether B was read transposed.
    public var transposeB: Bool
    /// The `threads` argument passed to `sgemm`.
    public var threads: Int
    /// Timed repetitions (each running `callsPerRepetition` products).
    public var repetitions: Int
    /// Products per timed repetition (more than one for small problems, to get measurable times).
    public var callsPerRepetition: Int
    /// Median throughput over the repetitions, in GFLOP/s (`2 m n k` flops per product).
    public var medianGFLOPS: Double
    /// Best throughput over the repetitions, in GFLOP/s.
    public var bestGFLOPS: Double
    /// Median wall time of one product, in seconds.
    public var medianSeconds: Double

    /// The size of a square product (`m`, equal to `n` and `k` when measured with
    /// ``GEMMBenchmark/measure(size:threads:repetitions:)``); for other shapes, the largest of the three.
    public var size: Int { max(m, n, k) }

    /// A one-line summary, e.g. `sgemm 1024x1024x1024 NN threads=1: median 201.3 GFLOP/s, best 205.0`.
    public var description: String {
      let shape = "\(m)x\(n)x\(k) \(transposeA ? "T" : "N")\(transposeB ? "T" : "N")"
      return "sgemm \(shape) threads=\(threads): median \(format(medianGFLOPS)) GFLOP/s, "
        + "best \(format(bestGFLOPS)) GFLOP/s (\(repetitions) x \(callsPerRepetition) calls)"
    }

    private func format(_ value: Double) -> String {
      let tenths = (value * 10).rounded()
      return "\(Int(tenths) / 10).\(abs(Int(tenths)) % 10)"
    }
  }

  /// Untimed warm-up before the timed repetitions, in seconds (at least two repetitions): long
  /// enough for the worker threads of a parallel product to be running and the cores awake, so
  /// that the figure is the steady state (numpy's harness, `Benchmarks/numpy_matmul.py`, warms
  /// up the same way).
  public static let warmUpSeconds = 0.25

  /// Measures a square `size x size x size` product (see ``measure(m:n:k:threads:transposeA:transposeB:repetitions:)``).
  public static func measure(size: Int, threads: Int, repetitions: Int = 9) -> Result {
    measure(m: size, n: size, k: size, threads: threads, repetitions: repetitions)
  }

  /// Measures `C = A * B` (alpha 1, beta 0) for an `m x n x k` product on `threads` threads.
  ///
  /// Fills A and B with fresh pseudo-random values in [-1, 1) (seeded from the clock), runs
  /// untimed warm-up repetitions for ``warmUpSeconds`` (at least two), then times `repetitions`
  /// repetitions with `DispatchTime.now().uptimeNanoseconds`. Small products are repeated inside
  /// each timed repetition so that one repetition lasts at least about 20 ms at 100 GFLOP/s.
  public static func measure(
    m: Int, n: Int, k: Int, threads: Int,
    transposeA: Bool = false, transposeB: Bool = false, repetitions: Int = 9
  ) -> Result {
    precondition(m > 0 && n > 0 && k > 0 && threads > 0 && repetitions > 0)
    var seed = DispatchTime.now().uptimeNanoseconds | 1
    func next() -> Float {
      seed ^= seed << 13
      seed ^= seed >> 7
      seed ^= seed << 17
      return Float(seed >> 40) / Float(1 << 23) - 1
    }
    let a = (0..<(m * k)).map { _ in next() }
    let b = (0..<(k * n)).map { _ in next() }
    var c = [Float](repeating: 0, count: m * n)
    let flops = 2.0 * Double(m) * Double(n) * Double(k)
    let calls = max(1, Int((2e9 / flops).rounded(.up)))
    var perCall: [Double] = []
    a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        c.withUnsafeMutableBufferPointer { c in
          guard let pa = a.baseAddress, let pb = b.baseAddress, let pc = c.baseAddress else { return }
          func repetition() {
            for _ in 0..<calls {
              GEMM.sgemm(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1,
                a: pa, lda: transposeA ? m : k, b: pb, ldb: transposeB ? k : n,
                beta: 0, c: pc, ldc: n, threads: threads)
            }
          }
          let warmUpStart = DispatchTime.now().uptimeNanoseconds
          var warmUps = 0
          while warmUps < 2
            || Double(DispatchTime.now().uptimeNanoseconds - warmUpStart) * 1e-9 < warmUpSeconds
          {
            repetition()
            warmUps += 1
          }
          for _ in 0..<repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            repetition()
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            perCall.append(Double(elapsed) * 1e-9 / Double(calls))
          }
        }
      }
    }
    perCall.sort()
    let median = perCall.count % 2 == 1
      ? perCall[perCall.count / 2]
      : (perCall[perCall.count / 2 - 1] + perCall[perCall.count / 2]) / 2
    let best = perCall.first ?? median
    return Result(
      m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, threads: threads,
      repetitions: repetitions, callsPerRepetition: calls,
      medianGFLOPS: flops / median * 1e-9, bestGFLOPS: flops / best * 1e-9, medianSeconds: median)
  }
}
