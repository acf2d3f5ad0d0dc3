import GrawaTensor

/// A ``Dataset`` as a distributed run's training data: disjoint shards reshuffled every epoch
/// with a seeded permutation (``ShardSampler``), full batches only, the training augmentation
/// drawn per batch from (seed, epoch, batch, worker), and probe batches drawn from the whole set
/// with the deterministic evaluation transform.
public struct DatasetSource: BatchSource {
  /// The images and labels.
  public let dataset: Dataset
  /// Images per batch (per worker).
  public let batchSize: Int
  /// The training augmentation and the evaluation (probe) transform.
  public let recipe: AugmentationRecipe
  /// The seed of the shuffles and augmentation draws.
  public let seed: UInt64

  /// A source of `batchSize`-image batches of `dataset`.
  /// - Throws: ``DataError`` when the batch size is not positive or the recipe does not fit the
  ///   images.
  public init(dataset: Dataset, batchSize: Int, recipe: AugmentationRecipe, seed: UInt64) throws {
    guard batchSize > 0 else {
      throw DataError(path: nil, "batch size \(batchSize) is not positive")
    }
    _ = try recipe.training.outputShape(for: dataset.imageShape)
    _ = try recipe.evaluation.outputShape(for: dataset.imageShape)
    self.dataset = dataset
    self.batchSize = batchSize
    self.recipe = recipe
    self.seed = seed
  }

  /// Worker `worker`'s shard.
  /// - Throws: ``DataError`` when a worker's share holds fewer images than one batch.
  public func shard(worker: Int, of workerCount: Int) throws -> any BatchShard {
    let sampler = try ShardSampler(datasetCount: dataset.count, workerCount: workerCount, seed: seed)
    guard sampler.shardSize >= batchSize else {
      throw DataError(
        path: nil,
        "each of the \(workerCount) workers gets \(sampler.shardSize) of the \(dataset.count) images of "
          + "\(dataset.name), fewer than one batch (\(batchSize)): use more data, fewer workers or a smaller "
          + "batch size")
    }
    return DatasetShard(source: self, sampler: sampler, worker: worker)
  }

  /// `batchSize` images (at most the whole set) drawn without replacement from the whole set.
  public func probeBatch(using generator: inout RandomGenerator) throws -> Batch {
    let sampler = try SubsetSampler(populationCount: dataset.count, sampleCount: min(batchSize, dataset.count))
    let indices = sampler.sample(using: &generator)
    // The evaluation transform is deterministic: it draws nothing.
    var unused = RandomGenerator(seed: 0)
    return try dataset.makeBatch(indices: indices, pipeline: recipe.evaluation, using: &unused)
  }
}

/// One worker's share of a ``DatasetSource``; keeps the current epoch's plan.
final class DatasetShard: BatchShard {
  private let source: DatasetSource
  private let sampler: ShardSampler
  private let worker: Int
  private let plans = EpochMemo<BatchPlan>()

  init(source: DatasetSource, sampler: ShardSampler, worker: Int) {
    self.source = source
    self.sampler = sampler
    self.worker = worker
  }

  var batchesPerEpoch: Int { sampler.shardSize / source.batchSize }

  func batch(epoch: Int, index: Int) throws -> Batch {
    try EpochMemo<BatchPlan>.checkBatch(index, of: batchesPerEpoch)
    let plan = try plans.value(for: epoch) {
      try BatchPlan(
        dataset: source.dataset, order: sampler.shard(worker: worker, epoch: epoch), batchSize: source.batchSize,
        dropLast: true, pipeline: source.recipe.training, seed: source.seed, epoch: epoch, stream: UInt64(worker))
    }
    return plan.batch(at: index)
  }
}
