import Dispatch
import Foundation
import Synchronization

/// How many threads the compute kernels (GEMM, convolution, large elementwise work) may use.
///
/// The default is every core the process may run on. The distributed engine lowers it when
/// several worker threads share the machine, so workers and intra-op threads do not oversubscribe
/// the cores. A value set with ``ComputeThreads/withLimit(_:_:)`` applies to the calling thread only
/// and wins over the process-wide ``ComputeThreads/processDefault``.
public enum ComputeThreads {
  private static let defaultCount = Atomic<Int>(0)
  private static let local = ThreadLocalInt()

  /// The number of cores this process may use, read once at first use: on Linux the CPU
  /// affinity mask (what `taskset`, `mpirun --bind-to` or a container's cpuset leave it),
  /// otherwise the active processors.
  public static var available: Int { availableAtStart }
  private static let availableAtStart = countAvailable()

  /// The cores the calling thread may run on now (see ``available``).
  static func countAvailable() -> Int {
    let active = max(1, ProcessInfo.processInfo.activeProcessorCount)
    #if os(Linux)
    // A mask for up to 8192 CPUs, far beyond glibc's default `cpu_set_t` of 1024.
    var mask = [UInt64](repeating: 0, count: 128)
    let status = mask.withUnsafeMutableBytes { bytes in
      glibcSchedGetAffinity(0, bytes.count, bytes.baseAddress!)
    }
    let allowed = mask.reduce(0) { $0 + $1.nonzeroBitCount }
    if status == 0 && allowed > 0 { return min(active, allowed) }
    #endif
    return active
  }

  /// The process-wide thread count; 0 or less restores "all cores".
  public static var processDefault: Int {
    get {
      let value = defaultCount.load(ordering: .relaxed)
      return value > 0 ? value : available
    }
    set { defaultCount.store(max(0, newValue), ordering: .relaxed) }
  }

  /// The thread count kernels called from the current thread use.
  public static var current: Int {
    let value = local.value
    return value > 0 ? value : processDefault
  }

  /// Runs `body` with the calling thread's kernel thread count set to `limit` (at least 1).
  public static func withLimit<R>(_ limit: Int, _ body: () throws -> R) rethrows -> R {
    let saved = local.value
    local.value = max(1, limit)
    defer { local.value = saved }
    return try body()
  }
}

/// Runs `body(i)` for `i` in `0..<count` on up to `threads` threads; the caller takes part.
///
/// With one thread (or one item) the loop runs inline, with no dispatch overhead. Otherwise the
/// caller and the threads of ``KernelThreadPool`` run it (Dispatch when the pool is busy or has
/// no threads). Items are handed out as contiguous ranges, one per thread, so results do not
/// depend on timing.
/// `body` must be safe to call concurrently for different indices (each writes its own memory).
@inlinable
public func parallelFor(_ count: Int, threads: Int = ComputeThreads.current, _ body: (Int) -> Void) {
  let workers = min(max(1, threads), count)
  if workers <= 1 {
    for i in 0..<count { body(i) }
    return
  }
  // One item per thread: a contiguous range of indices.
  let range = { (w: Int) in
    for i in (count * w / workers)..<(count * (w + 1) / workers) { body(i) }
  }
  if KernelThreadPool.shared.run(workers, range) { return }
  // The pool is busy (another thread's call, or a call from inside one of its items) or has no
  // threads (one core): Dispatch.
  // `body` writes to disjoint memory per index (the caller's contract), so sharing it with the
  // Dispatch threads for the duration of this call is safe even though it is not `@Sendable`.
  withoutActuallyEscaping(range) { range in
    let shared = UncheckedSendable(range)
    DispatchQueue.concurrentPerform(iterations: workers) { w in shared.value(w) }
  }
}

/// Wraps a value the compiler cannot prove `Sendable` when the code around it guarantees safe use
/// (each thread touches its own part, and the value outlives the concurrent section).
public struct UncheckedSendable<Value>: @unchecked Sendable {
  /// The wrapped value.
  public let value: Value
  /// Wraps `value`.
  @inlinable public init(_ value: Value) { self.value = value }
}

/// A per-thread `Int`, stored with POSIX thread-specific data (0 when never set).
final class ThreadLocalInt: Sendable {
  private let key: pthread_key_t

  init() {
    var key = pthread_key_t()
    let status = pthread_key_create(&key, nil)
    precondition(status == 0, "pthread_key_create failed with status \(status)")
    self.key = key
  }

  var value: Int {
    get { Int(bitPattern: pthread_getspecific(key)) }
    set { pthread_setspecific(key, UnsafeRawPointer(bitPattern: newValue)) }
  }
}

/// Splits `0..<count` elements into contiguous chunks and runs `body(start, end)` on each, in
/// parallel when the work is large enough to pay for the threads (memory-bound elementwise work
/// gains from about 256K elements). Elementwise results do not depend on the split.
@inlinable
public func parallelChunks(
  _ count: Int, minimumPerThread: Int = 131_072, threads: Int = ComputeThreads.current,
  _ body: (Int, Int) -> Void
) {
  let workers = min(max(1, threads), count / max(1, minimumPerThread))
  if workers <= 1 {
    body(0, count)
    return
  }
  parallelFor(workers, threads: workers) { w in
    // Chunk boundaries on multiples of 16 keep every chunk's SIMD body aligned the same way.
    let start = (count * w / workers) & ~15
    let end = w == workers - 1 ? count : (count * (w + 1) / workers) & ~15
    body(start, end)
  }
}

#if os(Linux)
/// glibc's `int sched_getaffinity(pid_t pid, size_t cpusetsize, cpu_set_t *mask)` (a GNU
/// extension the Glibc module does not export); `pid` 0 is the calling thread.
@_silgen_name("sched_getaffinity")
func glibcSchedGetAffinity(_ pid: Int32, _ size: Int, _ mask: UnsafeMutableRawPointer) -> Int32
#endif
