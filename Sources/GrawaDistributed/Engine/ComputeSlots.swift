import Dispatch

/// Caps how many workers compute at once, so that W workers on fewer cores take turns instead of
/// thrashing: a worker holds a slot during its local steps and probe pass and gives it back
/// before it blocks (at a sync or a pause), so no worker ever waits for a slot while holding one.
final class ComputeSlots: @unchecked Sendable {
  private let semaphore: DispatchSemaphore
  /// The number of slots.
  let count: Int

  /// `count` slots.
  init(count: Int) {
    self.count = max(1, count)
    semaphore = DispatchSemaphore(value: self.count)
  }

  /// Takes a slot, waiting if none is free.
  func acquire() { semaphore.wait() }

  /// Gives a slot back.
  func release() { semaphore.signal() }
}
