#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-thread scratch buffers for the convolution driver (patch matrices, padded images,
/// regrouped gradients).
///
/// Each thread that runs convolution work gets its own workspace, created on first use and kept
/// (grown on demand, never shrunk) until the thread exits, so repeated convolutions allocate
/// nothing. Independent threads, each training its own model, never share one. A re-entrant use
/// on the same thread gets a temporary workspace.
final class ConvolutionWorkspace {
  private var storage: [UnsafeMutableRawPointer?] = [nil, nil, nil, nil]
  private var capacity: [Int] = [0, 0, 0, 0]
  private var inUse = false

  deinit {
    for pointer in storage { pointer?.deallocate() }
  }

  /// A 64-byte aligned buffer of at least `count` floats (contents undefined); `slot` 0 to 3
  /// selects one of four independent buffers.
  func buffer(_ slot: Int, count: Int) -> UnsafeMutablePointer<Float> {
    if let pointer = storage[slot], capacity[slot] >= count {
      return pointer.assumingMemoryBound(to: Float.self)
    }
    storage[slot]?.deallocate()
    let floats = max(count, 16)
    let raw = UnsafeMutableRawPointer.allocate(
      byteCount: floats * MemoryLayout<Float>.stride, alignment: 64)
    storage[slot] = raw
    capacity[slot] = floats
    return raw.bindMemory(to: Float.self, capacity: floats)
  }

  /// Each thread's workspace, released when the thread exits.
  private static let perThread = PerThreadObject { ConvolutionWorkspace() }

  /// Runs `body` with the calling thread's workspace.
  static func withCurrent<R>(_ body: (ConvolutionWorkspace) -> R) -> R {
    let workspace = perThread.current
    if workspace.inUse { return body(ConvolutionWorkspace()) }
    workspace.inUse = true
    defer { workspace.inUse = false }
    return body(workspace)
  }
}
