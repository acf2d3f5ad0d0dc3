import Dispatch

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Whether this build of the package can run its kernels at speed, and the warning to print when
/// it cannot.
///
/// Two builds run 20 to 100 times slower than they should and still work: a debug build (`-Onone`),
/// and a release build without a target-CPU flag, where `SIMD` fused multiply-adds lower to one
/// `fmaf` library call per lane (measured: a tiny-cnn run took 27.6 s instead of 1.4 s).
/// Swift has no compile-time test for target features, so the second is measured: a chain of
/// dependent `addingProduct`s against the same chain of separate multiplies and adds. Inlined,
/// the fused chain is at least as fast; as library calls it is an order of magnitude slower.
/// About a millisecond, once per process.
public enum BuildCheck {
  /// Whether the package was compiled with optimisation (SwiftPM defines `DEBUG` in debug builds).
  public static var isOptimized: Bool {
    #if DEBUG
      false
    #else
      true
    #endif
  }

  /// The command line that builds the package fast.
  public static let fastBuild = "-c release -Xswiftc -target-cpu -Xswiftc native"

  /// The environment variable that hides ``warning``.
  public static let silencingVariable = "GRAWA_NO_BUILD_WARNING"

  /// Whether fused multiply-adds run as vector instructions (measured once; see ``BuildCheck``).
  public static let fusedMultiplyAddIsInline: Bool = {
    let times = timeChains()
    return verdict(fusedSeconds: times.fused, separateSeconds: times.separate)
  }()

  /// The best of five interleaved timings of each chain (a busy machine that slows one timing
  /// does not decide), on operands the optimiser cannot know (the clock's parity, scaled away),
  /// so neither chain is folded at compile time.
  static func timeChains() -> (fused: Double, separate: Double) {
    var fused = Double.infinity
    var separate = Double.infinity
    let b = 0.999_9 + Float(DispatchTime.now().uptimeNanoseconds & 1) * 1e-12
    let c = 1e-4 + Float(DispatchTime.now().uptimeNanoseconds & 1) * 1e-12
    for _ in 0..<5 {
      fused = min(fused, seconds { fusedChain(iterations: chainLength, b: b, c: c) })
      separate = min(separate, seconds { separateChain(iterations: chainLength, b: b, c: c) })
    }
    return (fused, separate)
  }

  /// Iterations of each timed chain.
  static let chainLength = 4096

  /// Whether the fused chain's time says "inline": less than three times the separate chain's.
  /// Inlined it takes at most about as long (one instruction of the same latency in place of
  /// two); as eight library calls per step it takes ten to thirty times as long.
  static func verdict(fusedSeconds: Double, separateSeconds: Double) -> Bool {
    fusedSeconds < 3 * separateSeconds
  }

  /// What to tell the user about this build, or `nil` when it is fast.
  public static var warning: String? {
    if !isOptimized {
      return "warning: swift-grawa was compiled in debug mode: training and tests run about 100x slower. "
        + "Build with \(fastBuild) (set \(silencingVariable)=1 to hide this warning)."
    }
    if !fusedMultiplyAddIsInline {
      return "warning: swift-grawa was compiled without vector instructions for this CPU (each fused "
        + "multiply-add is a library call): training runs 20-30x slower. Build with \(fastBuild) "
        + "(set \(silencingVariable)=1 to hide this warning)."
    }
    return nil
  }

  /// Seconds `body` takes.
  private static func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
  }

  /// Where the chains store their results. A store is a side effect: the optimiser can neither
  /// drop a chain nor move it out of the timed interval (a pure function's call could be).
  /// Written only while ``fusedMultiplyAddIsInline`` is initialised (once, on one thread) and by
  /// tests.
  nonisolated(unsafe) static var sink: Float = 0

  /// Prints ``warning`` to standard error, once per process, unless ``silencingVariable`` is set.
  public static func warnOnce() {
    _ = printedWarning
  }

  private static let printedWarning: Bool = {
    guard getenv(silencingVariable) == nil, let warning else { return false }
    let line = Array((warning + "\n").utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    return true
  }()

  /// `iterations` steps of `a = a + b * c` as fused multiply-adds, from `a = 1`; the lanes' sum
  /// goes to ``sink``.
  @inline(never)
  static func fusedChain(iterations: Int, b: Float, c: Float) {
    var a = SIMD8<Float>(repeating: 1)
    let b = SIMD8<Float>(repeating: b)
    let c = SIMD8<Float>(repeating: c)
    for _ in 0..<iterations { a = a.addingProduct(b, c) }
    sink = a.sum()
  }

  /// The same steps as separate multiplies and adds.
  @inline(never)
  static func separateChain(iterations: Int, b: Float, c: Float) {
    var a = SIMD8<Float>(repeating: 1)
    let b = SIMD8<Float>(repeating: b)
    let c = SIMD8<Float>(repeating: c)
    for _ in 0..<iterations { a = a + b * c }
    sink = a.sum()
  }
}
