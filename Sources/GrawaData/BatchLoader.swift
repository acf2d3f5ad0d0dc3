import Foundation
import Synchronization

/// Makes a ``BatchPlan``'s batches on a background thread, a few ahead of the consumer, so data
/// preparation overlaps training: a `DataLoader` with one worker and `prefetch_factor` batches.
///
/// The producer thread starts when the loader is created and fills a bounded queue of
/// `prefetchDepth` batches, blocking (on a condition variable, never spinning or sleeping) while
/// the queue is full; ``next()`` blocks while it is empty. Batches come out in plan order and are
/// identical to the synchronous `for batch in plan`: every batch's random draws come from its own
/// generator (``BatchPlan/augmentationGenerator(batch:)``), so thread timing cannot change them.
///
/// Shutdown: ``cancel()`` (or dropping the loader mid-epoch) stops the producer after the batch
/// it is making and waits until its thread has returned, so no thread outlives the loader.
/// Use one loader per epoch from one consumer thread:
///
/// ```swift
/// let sampler = try ShardSampler(datasetCount: train.count, workerCount: 4, seed: seed)
/// let plan = try BatchPlan(
///   dataset: train, order: sampler.shard(worker: worker, epoch: epoch), batchSize: 128,
///   pipeline: recipe.training, seed: seed, epoch: epoch, stream: UInt64(worker))
/// for batch in try BatchLoader(plan: plan) {
///   // batch.images: [128, C, H, W], batch.labels: [Int]
/// }
/// ```
public final class BatchLoader: Sequence, IteratorProtocol {
  /// The batches being produced.
  public let plan: BatchPlan
  /// The most batches made ahead of the consumer.
  public let prefetchDepth: Int
  private let queue: PrefetchQueue

  /// Producer threads alive in this process (for tests of shutdown).
  static let liveProducers = Atomic<Int>(0)

  /// Starts producing `plan`'s batches in the background.
  /// - Parameters:
  ///   - plan: the batches to make.
  ///   - prefetchDepth: queue capacity, at least 1 (default 2).
  /// - Throws: ``DataError`` when `prefetchDepth` is less than 1.
  public init(plan: BatchPlan, prefetchDepth: Int = 2) throws {
    guard prefetchDepth >= 1 else {
      throw DataError(path: nil, "prefetch depth \(prefetchDepth) must be at least 1")
    }
    self.plan = plan
    self.prefetchDepth = prefetchDepth
    let queue = PrefetchQueue(capacity: prefetchDepth)
    self.queue = queue
    BatchLoader.liveProducers.add(1, ordering: .sequentiallyConsistent)
    let thread = Thread {
      defer {
        BatchLoader.liveProducers.subtract(1, ordering: .sequentiallyConsistent)
        queue.producerFinished()
      }
      for index in 0..<plan.batchCount {
        if queue.isCancelled { return }
        if !queue.push(plan.batch(at: index)) { return }
      }
    }
    thread.name = "GrawaData.BatchLoader"
    thread.start()
  }

  deinit {
    queue.cancelAndWaitForProducer()
  }

  /// The next batch in plan order, waiting for the producer if needed; `nil` after the last batch
  /// or after ``cancel()``.
  public func next() -> Batch? {
    queue.pop()
  }

  /// Stops the producer, discards prefetched batches and waits for the thread to exit. Later
  /// calls to ``next()`` return `nil`. Safe to call more than once.
  public func cancel() {
    queue.cancelAndWaitForProducer()
  }
}

/// The bounded hand-over queue between one producer thread and one consumer.
///
/// `@unchecked Sendable` because all mutable state is guarded by `condition`: every stored `var`
/// is read and written only between `condition.lock()` and `condition.unlock()`.
private final class PrefetchQueue: @unchecked Sendable {
  private let condition = NSCondition()
  private let capacity: Int
  private var ready: [Batch] = []
  private var cancelled = false
  private var producerDone = false

  init(capacity: Int) {
    self.capacity = capacity
  }

  var isCancelled: Bool {
    condition.lock()
    defer { condition.unlock() }
    return cancelled
  }

  /// Waits for room, then enqueues; `false` when cancelled (the batch is dropped).
  func push(_ batch: Batch) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    while ready.count >= capacity && !cancelled {
      condition.wait()
    }
    guard !cancelled else { return false }
    ready.append(batch)
    condition.broadcast()
    return true
  }

  /// Waits for a batch; `nil` when the producer has finished and the queue is empty, or when
  /// cancelled.
  func pop() -> Batch? {
    condition.lock()
    defer { condition.unlock() }
    while ready.isEmpty && !producerDone && !cancelled {
      condition.wait()
    }
    guard !cancelled, !ready.isEmpty else { return nil }
    let batch = ready.removeFirst()
    condition.broadcast()
    return batch
  }

  /// Called by the producer thread as its last action.
  func producerFinished() {
    condition.lock()
    producerDone = true
    condition.broadcast()
    condition.unlock()
  }

  /// Cancels, wakes the producer and waits until it has finished.
  func cancelAndWaitForProducer() {
    condition.lock()
    cancelled = true
    ready.removeAll()
    condition.broadcast()
    while !producerDone {
      condition.wait()
    }
    condition.unlock()
  }
}
