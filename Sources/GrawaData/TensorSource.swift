import GrawaTensor

/// Samples held in memory as one tensor (`[N, ...]`) with a class label each, as a distributed
/// run's training data: disjoint shards reshuffled every epoch with a seeded permutation
/// (``ShardSampler``), full batches only, no augmentation; probe batches drawn from the whole set.
public struct TensorSource: BatchSource {
  /// The samples, `[N, ...]`.
  public let inputs: Tensor
  /// The class of each sample.
  public let labels: [Int]
  /// Samples per batch (per worker).
  public let batchSize: Int
  /// The seed of the shuffles.
  public let seed: UInt64

  /// A source of `batchSize`-sample batches of `inputs` and `labels`.
  /// - Throws: ``DataError`` when `inputs` has no batch dimension, the counts differ, or the batch
  ///   size is not positive.
  public init(inputs: Tensor, labels: [Int], batchSize: Int, seed: UInt64 = 0) throws {
    guard let count = inputs.shape.first, inputs.shape.count >= 2 else {
      throw DataError(path: nil, "inputs of shape \(inputs.shape) have no sample dimension and feature dimensions")
    }
    guard count == labels.count else {
      throw DataError(path: nil, "\(count) samples but \(labels.count) labels")
    }
    guard batchSize > 0 else {
      throw DataError(path: nil, "batch size \(batchSize) is not positive")
    }
    self.inputs = inputs
    self.labels = labels
    self.batchSize = batchSize
    self.seed = seed
  }

  /// The number of samples.
  public var count: Int { labels.count }

  /// Worker `worker`'s shard.
  /// - Throws: ``DataError`` when a worker's share holds fewer samples than one batch.
  public func shard(worker: Int, of workerCount: Int) throws -> any BatchShard {
    let sampler = try ShardSampler(datasetCount: count, workerCount: workerCount, seed: seed)
    guard sampler.shardSize >= batchSize else {
      throw DataError(
        path: nil,
        "each of the \(workerCount) workers gets \(sampler.shardSize) of the \(count) samples, fewer than one "
          + "batch (\(batchSize)): use more data, fewer workers or a smaller batch size")
    }
    return TensorShard(source: self, sampler: sampler, worker: worker)
  }

  /// `batchSize` samples (at most all) drawn without replacement from the whole set.
  public func probeBatch(using generator: inout RandomGenerator) throws -> Batch {
    let sampler = try SubsetSampler(populationCount: count, sampleCount: min(batchSize, count))
    return try batch(of: sampler.sample(using: &generator), index: 0)
  }

  /// The samples at `indices` as one batch.
  func batch(of indices: [Int], index: Int) throws -> Batch {
    let rowShape = Array(inputs.shape.dropFirst())
    let rowSize = rowShape.reduce(1, *)
    var scalars: [Float] = []
    scalars.reserveCapacity(indices.count * rowSize)
    inputs.withUnsafeScalars { source in
      for sample in indices {
        scalars.append(contentsOf: source[(sample * rowSize)..<((sample + 1) * rowSize)])
      }
    }
    return Batch(
      index: index, images: try Tensor(shape: [indices.count] + rowShape, scalars: scalars),
      labels: indices.map { labels[$0] }, sampleIndices: indices)
  }
}

/// One worker's share of a ``TensorSource``; keeps the current epoch's order.
final class TensorShard: BatchShard {
  private let source: TensorSource
  private let sampler: ShardSampler
  private let worker: Int
  private let orders = EpochMemo<[Int]>()

  init(source: TensorSource, sampler: ShardSampler, worker: Int) {
    self.source = source
    self.sampler = sampler
    self.worker = worker
  }

  var batchesPerEpoch: Int { sampler.shardSize / source.batchSize }

  func batch(epoch: Int, index: Int) throws -> Batch {
    try EpochMemo<[Int]>.checkBatch(index, of: batchesPerEpoch)
    let indices = orders.value(for: epoch) { sampler.shard(worker: worker, epoch: epoch) }
    let start = index * source.batchSize
    return try source.batch(of: Array(indices[start..<(start + source.batchSize)]), index: index)
  }
}

extension TensorSource: BatchSequence {
  /// Every sample once, in order, in batches of ``batchSize`` (the last one holding the rest): a
  /// test set held in memory, for ``CenterEvaluation``-style evaluation or a report of your own.
  public func forEachBatch(_ body: (Batch) throws -> Void) throws {
    var start = 0
    var index = 0
    while start < count {
      let end = min(start + batchSize, count)
      try body(try batch(of: Array(start..<end), index: index))
      start = end
      index += 1
    }
  }
}
