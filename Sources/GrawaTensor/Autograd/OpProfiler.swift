import Dispatch
import Synchronization

/// Wall-clock time per operation, forward and backward, for finding where a training step's time
/// goes (`grawa-train bench --model NAME --profile`).
///
/// While profiling is on for a thread, each recorded operation is charged the time since the
/// previous recorded operation ended on that thread (its forward computation plus any glue code
/// before it), and each backward rule is timed directly. Operations that record nothing (inputs
/// without gradients, or recording off) are not seen. Off by default; when off it costs one
/// thread-local read per operation.
public enum OpProfiler {
  /// Accumulated time and call count of one operation in one direction.
  public struct Entry: Sendable, Codable, Equatable {
    /// The operation's name, e.g. `conv2d`.
    public var operation: String
    /// `forward` or `backward`.
    public var direction: String
    /// Total milliseconds.
    public var milliseconds: Double
    /// Number of calls.
    public var calls: Int
  }

  private struct Totals {
    var entries: [String: Entry] = [:]
  }

  private static let enabled = ThreadLocalInt()
  private static let lastStamp = ThreadLocalInt()
  private static let totals = Mutex(Totals())

  /// Whether profiling is on for the current thread.
  public static var isEnabled: Bool { enabled.value != 0 }

  /// Runs `body` with profiling on for the current thread.
  public static func profiling<R>(_ body: () throws -> R) rethrows -> R {
    enabled.value += 1
    defer { enabled.value -= 1 }
    mark()
    return try body()
  }

  /// Restarts the forward clock (call before a step, so data loading is not charged to an op).
  public static func mark() {
    lastStamp.value = Int(truncatingIfNeeded: DispatchTime.now().uptimeNanoseconds)
  }

  /// Clears everything accumulated.
  public static func reset() {
    totals.withLock { $0 = Totals() }
  }

  /// The accumulated entries, most expensive first.
  public static var entries: [Entry] {
    totals.withLock { Array($0.entries.values) }.sorted { $0.milliseconds > $1.milliseconds }
  }

  /// Charges the time since the last mark to `operation`'s forward pass.
  static func chargeForward(_ operation: String) {
    let now = Int(truncatingIfNeeded: DispatchTime.now().uptimeNanoseconds)
    add(operation, "forward", nanoseconds: now - lastStamp.value)
    lastStamp.value = now
  }

  /// Times one backward rule.
  static func timeBackward<R>(_ operation: String, _ body: () -> R) -> R {
    let start = DispatchTime.now().uptimeNanoseconds
    let result = body()
    add(operation, "backward", nanoseconds: Int(DispatchTime.now().uptimeNanoseconds - start))
    return result
  }

  private static func add(_ operation: String, _ direction: String, nanoseconds: Int) {
    let key = operation + "/" + direction
    totals.withLock { totals in
      var entry = totals.entries[key] ?? Entry(operation: operation, direction: direction, milliseconds: 0, calls: 0)
      entry.milliseconds += Double(max(0, nanoseconds)) / 1e6
      entry.calls += 1
      totals.entries[key] = entry
    }
  }
}
