/// A training set too small for every worker to get a full batch: `workers x batchSize` images
/// are needed (each worker's shard is `images / workers`, full batches only), fewer are there.
///
/// It carries the numbers, so a front end can name its own flags for the worker count, the batch
/// size and the limit on the data (the command line: `--workers`, `--batch-size`, `--train-limit`).
public struct ShardTooSmallError: Error, CustomStringConvertible, Equatable {
  /// The training images available: the set's size, or the limit when only the limit is known.
  public let images: Int
  /// The dataset split's name (`"synthetic/train"`), or `nil` when the data is not loaded yet.
  public let dataset: String?
  /// The worker count.
  public let workers: Int
  /// The batch size per worker.
  public let batchSize: Int
  /// The limit on the training images, when one is set (``TrainingConfiguration/trainLimit``).
  public let trainLimit: Int?

  /// An error about `images` training images for `workers` workers of `batchSize` each.
  public init(images: Int, dataset: String?, workers: Int, batchSize: Int, trainLimit: Int?) {
    self.images = images
    self.dataset = dataset
    self.workers = workers
    self.batchSize = batchSize
    self.trainLimit = trainLimit
  }

  /// The images each worker's shard holds.
  public var shardSize: Int { images / max(1, workers) }

  /// The images needed for a full batch per worker (`workers x batchSize`).
  public var imagesNeeded: Int { workers.multipliedReportingOverflow(by: batchSize).partialValue }

  /// The most workers that get a full batch of `batchSize` from these images (0 when not even one).
  public var maximumWorkers: Int { images / max(1, batchSize) }

  /// The largest batch size every one of the `workers` workers gets in full.
  public var maximumBatchSize: Int { shardSize }

  /// Where the images come from, in words: "the training set synthetic/train (1000 images)", or
  /// "the train limit (1000 images)" before the data is loaded.
  public var source: String {
    guard let dataset else { return "the train limit (\(images) images)" }
    return "the training set \(dataset) (\(images) images)"
  }

  /// "worker count 1024 with batch size 16 needs at least 16384 training images, ...".
  public var description: String {
    "worker count \(workers) with batch size \(batchSize) needs at least \(imagesNeeded) training images "
      + "(a full batch per worker), but \(source) gives each worker \(shardSize)"
  }
}
