import Dispatch

/// The fused multiply-add peak of this machine: the most single-precision FLOP/s a loop of
/// independent `addProduct`s reaches, the yardstick for every kernel figure.
///
/// Each thread runs a loop of fused multiply-adds with 12 independent accumulators (16 for the
/// NEON loop: four pipes of latency four) that start different (equal accumulators with
/// identical updates could be merged into one dependency chain, which would measure latency, not
/// throughput). A multiply-add counts as 2 FLOP per lane. ``measure(threads:repetitions:)`` runs
/// the loop of every vector width (`SIMD16`, `SIMD8`, `SIMD4`) and keeps the fastest: which one
/// wins depends on the CPU and on the instructions the binary was compiled for (twelve `SIMD16`
/// accumulators spill in a binary built for AVX2), not on the kernel variant in use. Each figure
/// is the best of several timed repetitions: a peak is a maximum, and a shared machine only ever
/// slows a repetition down.
public enum FMAPeak {
  /// Measures the peak on `threads` threads running at once, in GFLOP/s: the fastest loop of
  /// any vector width (see ``FMAPeak``).
  /// - Parameters:
  ///   - threads: concurrent threads, each running the loop (at least 1).
  ///   - repetitions: timed repetitions of about 20 ms each per loop; the best is kept.
  /// - Returns: FLOP/s over all threads, in units of 10^9.
  public static func measure(threads: Int, repetitions: Int = 5) -> Double {
    [KernelVariant.avx512, .avx2, .neon].map {
      measure(threads: threads, loop: $0, repetitions: repetitions)
    }.max() ?? 0
  }

  /// Measures the FLOP/s of `loop`'s fused multiply-add loop on `threads` threads at once, in
  /// GFLOP/s (best of `repetitions` after one warm-up).
  public static func measure(threads: Int, loop variant: KernelVariant, repetitions: Int)
    -> Double
  {
    let count = max(1, threads)
    let flopsPerIteration = Double(accumulators(variant) * variant.vectorWidth * 2)
    // 2 GFLOP per thread and repetition: about 20 ms at 100 GFLOP/s.
    let iterations = Int(2e9 / flopsPerIteration)
    var best = 0.0
    var sinks = [Float](repeating: 0, count: count)
    sinks.withUnsafeMutableBufferPointer { sinks in
      let sink = UncheckedSendable(sinks.start)
      for repetition in 0..<(max(1, repetitions) + 1) {
        let start = DispatchTime.now().uptimeNanoseconds
        parallelFor(count, threads: count) { t in
          run(variant, iterations: iterations, seed: Float(t), into: sink.value + t)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        if repetition > 0 {
          best = max(best, Double(count) * Double(iterations) * flopsPerIteration / seconds * 1e-9)
        }
      }
    }
    return best
  }

  /// Accumulators per loop iteration for `variant`.
  static func accumulators(_ variant: KernelVariant) -> Int { variant == .neon ? 16 : 12 }

  /// Runs the loop of `variant` and stores a sum of its accumulators in `sink` (so the loop is
  /// not optimised away).
  static func run(
    _ variant: KernelVariant, iterations: Int, seed: Float, into sink: UnsafeMutablePointer<Float>
  ) {
    switch variant {
    case .avx512: sink.pointee = loop12(SIMD16<Float>.self, iterations: iterations, seed: seed)
    case .avx2: sink.pointee = loop12(SIMD8<Float>.self, iterations: iterations, seed: seed)
    case .neon: sink.pointee = loop16(SIMD4<Float>.self, iterations: iterations, seed: seed)
    case .generic: sink.pointee = loop12(SIMD4<Float>.self, iterations: iterations, seed: seed)
    }
  }

  /// `iterations` rounds of 12 independent fused multiply-adds on `V`.
  @inline(never)
  static func loop12<V: SIMD>(_: V.Type, iterations: Int, seed: Float) -> Float
  where V.Scalar == Float {
    // x * y is a power of two for seed 0: sums stay exact for a few thousand iterations.
    let x = V(repeating: 1 + seed * 1e-7)
    let y = V(repeating: 1.0 / 1024)
    var a0 = V(repeating: 0)
    var a1 = V(repeating: 1)
    var a2 = V(repeating: 2)
    var a3 = V(repeating: 3)
    var a4 = V(repeating: 4)
    var a5 = V(repeating: 5)
    var a6 = V(repeating: 6)
    var a7 = V(repeating: 7)
    var a8 = V(repeating: 8)
    var a9 = V(repeating: 9)
    var a10 = V(repeating: 10)
    var a11 = V(repeating: 11)
    for _ in 0..<iterations {
      a0.addProduct(x, y)
      a1.addProduct(x, y)
      a2.addProduct(x, y)
      a3.addProduct(x, y)
      a4.addProduct(x, y)
      a5.addProduct(x, y)
      a6.addProduct(x, y)
      a7.addProduct(x, y)
      a8.addProduct(x, y)
      a9.addProduct(x, y)
      a10.addProduct(x, y)
      a11.addProduct(x, y)
    }
    let sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11))
    return sum.sum()
  }

  /// `iterations` rounds of 16 independent fused multiply-adds on `V`.
  @inline(never)
  static func loop16<V: SIMD>(_: V.Type, iterations: Int, seed: Float) -> Float
  where V.Scalar == Float {
    // x * y is a power of two for seed 0: sums stay exact for a few thousand iterations.
    let x = V(repeating: 1 + seed * 1e-7)
    let y = V(repeating: 1.0 / 1024)
    var a0 = V(repeating: 0)
    var a1 = V(repeating: 1)
    var a2 = V(repeating: 2)
    var a3 = V(repeating: 3)
    var a4 = V(repeating: 4)
    var a5 = V(repeating: 5)
    var a6 = V(repeating: 6)
    var a7 = V(repeating: 7)
    var a8 = V(repeating: 8)
    var a9 = V(repeating: 9)
    var a10 = V(repeating: 10)
    var a11 = V(repeating: 11)
    var a12 = V(repeating: 12)
    var a13 = V(repeating: 13)
    var a14 = V(repeating: 14)
    var a15 = V(repeating: 15)
    for _ in 0..<iterations {
      a0.addProduct(x, y)
      a1.addProduct(x, y)
      a2.addProduct(x, y)
      a3.addProduct(x, y)
      a4.addProduct(x, y)
      a5.addProduct(x, y)
      a6.addProduct(x, y)
      a7.addProduct(x, y)
      a8.addProduct(x, y)
      a9.addProduct(x, y)
      a10.addProduct(x, y)
      a11.addProduct(x, y)
      a12.addProduct(x, y)
      a13.addProduct(x, y)
      a14.addProduct(x, y)
      a15.addProduct(x, y)
    }
    let low = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
    let high = ((a8 + a9) + (a10 + a11)) + ((a12 + a13) + (a14 + a15))
    return (low + high).sum()
  }
}
