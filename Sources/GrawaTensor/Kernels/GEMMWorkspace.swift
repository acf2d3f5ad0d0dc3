#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Packing memory for one SGEMM worker: a packed-A block, a packed-B block and an edge tile,
/// all 64-byte aligned. Buffers grow on demand and are kept, so repeated calls do not allocate.
///
/// A workspace is used by one thread at a time: either the thread-local one of the running
/// thread (see ``GEMMWorkspace/withCurrent(_:)``) or one a caller owns.
final class GEMMWorkspace {
  private var aStorage: UnsafeMutableRawPointer?
  private var aCapacity = 0
  private var bStorage: UnsafeMutableRawPointer?
  private var bCapacity = 0
  /// Scratch for partial register tiles (the largest tile of any variant).
  let tile: UnsafeMutablePointer<Float>
  /// Set while a call is using this workspace, to catch re-entrant use on one thread.
  var inUse = false

  init() {
    let bytes = largestGEMMTile * MemoryLayout<Float>.stride
    let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: kernelAlignment)
    tile = raw.initializeMemory(as: Float.self, repeating: 0, count: largestGEMMTile)
  }

  deinit {
    aStorage?.deallocate()
    bStorage?.deallocate()
    tile.deallocate()
  }

  /// Bytes currently held by this workspace.
  var byteCount: Int { (aCapacity + bCapacity + largestGEMMTile) * MemoryLayout<Float>.stride }

  /// A 64-byte aligned buffer of at least `count` floats for packed A (contents undefined).
  func aBuffer(count: Int) -> UnsafeMutablePointer<Float> {
    Self.grow(&aStorage, &aCapacity, count)
  }

  /// A 64-byte aligned buffer of at least `count` floats for packed B (contents undefined).
  func bBuffer(count: Int) -> UnsafeMutablePointer<Float> {
    Self.grow(&bStorage, &bCapacity, count)
  }

  private static func grow(
    _ storage: inout UnsafeMutableRawPointer?, _ capacity: inout Int, _ count: Int
  ) -> UnsafeMutablePointer<Float> {
    if let storage, capacity >= count {
      return storage.assumingMemoryBound(to: Float.self)
    }
    storage?.deallocate()
    let floats = max(count, 16)
    let raw = UnsafeMutableRawPointer.allocate(
      byteCount: floats * MemoryLayout<Float>.stride, alignment: kernelAlignment)
    storage = raw
    capacity = floats
    return raw.bindMemory(to: Float.self, capacity: floats)
  }

  /// Each thread's workspace, released when the thread exits.
  private static let perThread = PerThreadObject { GEMMWorkspace() }

  /// Runs `body` with the calling thread's workspace (created on first use and kept until the
  /// thread exits). A re-entrant call on the same thread gets a temporary workspace instead.
  static func withCurrent<R>(_ body: (GEMMWorkspace) -> R) -> R {
    let workspace = perThread.current
    if workspace.inUse { return body(GEMMWorkspace()) }
    workspace.inUse = true
    defer { workspace.inUse = false }
    return body(workspace)
  }

  /// Frees the calling thread's workspace, if it has one.
  static func releaseCurrent() {
    guard let workspace = perThread.existing, !workspace.inUse else { return }
    perThread.releaseCurrent()
  }
}
