import Foundation
import Synchronization

/// How the process's C heap treats the buffers of freed tensors.
///
/// Tensor scalars live in Swift arrays, which the C heap (`malloc`) allocates. glibc's heap
/// serves every block above its `mmap` threshold (which rises to at most 32 MiB) with a fresh
/// `mmap` and gives it back to the kernel as soon as it is freed, so a training step that makes
/// such activations again (DenseNet's concatenated features at 32x32, a wide network's first
/// stage) takes one page fault and one page of kernel zeroing per 4 KiB, every step: 13% of
/// DenseNet-121's CPU time went to clearing pages. ``cacheFreedBuffers()`` asks the heap to keep
/// freed memory in the process and hand it out again, as PyTorch's caching allocator does for
/// GPU memory: after the first step, a step reuses the memory the last one freed. The process's
/// resident memory then stays near its peak instead of falling between steps (the peak was the
/// same or lower in every run measured).
///
/// ``DistributedTrainer`` and `grawa-train` turn this on before their first step. Setting the
/// environment variable `GRAWA_NO_MEMORY_CACHING=1` leaves the heap as it is (the counterpart of
/// PyTorch's `PYTORCH_NO_CUDA_MEMORY_CACHING`).
public enum TensorMemory {
  /// The environment variable that turns the caching off.
  public static let disablingVariable = "GRAWA_NO_MEMORY_CACHING"

  /// Whether the caching is in effect: `nil` until ``cacheFreedBuffers()`` first runs.
  private static let state = Mutex<Bool?>(nil)

  /// Asks the C heap to keep freed tensor buffers for reuse (once per process; later calls return
  /// the first call's answer).
  ///
  /// On glibc this sets three `mallopt` parameters: no `mmap` for large blocks (`M_MMAP_MAX` 0),
  /// no return of freed memory at the top of the heap to the kernel (`M_TRIM_THRESHOLD` maximal),
  /// and one arena for all threads (`M_ARENA_MAX` 1; the per-thread arenas of glibc cannot hold a
  /// block above 64 MiB without `mmap`). Threads that already use an arena of their own keep it,
  /// so call this before starting threads that allocate tensors.
  /// - Returns: `true` when the heap now caches freed buffers; `false` where the C library has no
  ///   such settings (not glibc, or an allocator in glibc's place that refuses them), or when
  ///   `GRAWA_NO_MEMORY_CACHING` is set to anything but `0` or an empty value.
  @discardableResult
  public static func cacheFreedBuffers() -> Bool {
    state.withLock { state in
      if let state { return state }
      let applied = isDisabled(by: ProcessInfo.processInfo.environment[disablingVariable]) ? false : applyHeapSettings()
      state = applied
      return applied
    }
  }

  /// Whether ``cacheFreedBuffers()`` has run and taken effect in this process.
  public static var cachesFreedBuffers: Bool { state.withLock { $0 ?? false } }

  /// Whether `value`, the disabling variable's value (`nil`: unset), turns the caching off.
  static func isDisabled(by value: String?) -> Bool {
    guard let value else { return false }
    return !(value.isEmpty || value == "0")
  }

  /// Sets glibc's parameters; `false` when `mallopt` is missing or refuses one of them.
  private static func applyHeapSettings() -> Bool {
    #if canImport(Glibc)
      // `mallopt` is not in the Glibc module; look it up (absent: not glibc's heap).
      typealias MallocOption = @convention(c) (Int32, Int32) -> Int32
      guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
      let mallopt = unsafeBitCast(symbol, to: MallocOption.self)
      // <malloc.h>: M_TRIM_THRESHOLD -1, M_MMAP_MAX -4, M_ARENA_MAX -8; mallopt returns 1 on
      // success. A trim threshold of -1 becomes SIZE_MAX inside glibc: never trim.
      let settings: [(parameter: Int32, value: Int32)] = [(-4, 0), (-1, -1), (-8, 1)]
      return settings.allSatisfy { mallopt($0.parameter, $0.value) == 1 }
    #else
      return false
    #endif
  }
}
