import GrawaTensor

/// Where a distributed run's training batches come from: the engine's data seam.
///
/// Each worker gets its own ``BatchShard`` (disjoint data, as PyTorch's `DistributedSampler`
/// gives), whose batches are a deterministic function of (epoch, index), so runs reproduce and a
/// resumed run continues with exactly the batch it would have had. Built-in sources:
/// ``DatasetSource`` (a ``Dataset`` with augmentation) and ``TensorSource`` (tensors in memory);
/// a user's generator conforms by implementing the two requirements.
public protocol BatchSource: Sendable {
  /// Worker `worker`'s share of the data when `workerCount` workers train.
  /// - Throws: ``DataError`` when the share holds no full batch or the source cannot be read.
  func shard(worker: Int, of workerCount: Int) throws -> any BatchShard

  /// A probe batch for the GRAWA family (docs/algorithms.md, "Probe batch"): a batch-size sample drawn
  /// uniformly from the whole training set with `generator`, without augmentation.
  /// - Throws: ``DataError``.
  func probeBatch(using generator: inout RandomGenerator) throws -> Batch
}

/// One worker's share of a ``BatchSource``: random access to its batches by epoch and position.
///
/// A shard belongs to its worker's thread (it may cache the current epoch's order).
public protocol BatchShard: AnyObject {
  /// Batches in one pass over the shard (every epoch has the same number).
  var batchesPerEpoch: Int { get }
  /// Batch `index` (`0 ..< batchesPerEpoch`) of epoch `epoch`.
  /// - Throws: ``DataError``.
  func batch(epoch: Int, index: Int) throws -> Batch
}

/// Batches in a fixed order, visited whole: a test set, or the training batches a center's
/// batch-norm statistics are re-estimated over.
public protocol BatchSequence: Sendable {
  /// Calls `body` with every batch in order.
  func forEachBatch(_ body: (Batch) throws -> Void) throws
}

extension BatchPlan: BatchSequence {
  /// Every batch of the plan, in order.
  public func forEachBatch(_ body: (Batch) throws -> Void) throws {
    for batch in self {
      try body(batch)
    }
  }
}
