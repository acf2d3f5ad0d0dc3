import GrawaTensor

/// One mini-batch, ready for a model.
public struct Batch: Sendable, Equatable {
  /// The batch's position in its epoch (0 for a stand-alone batch).
  public let index: Int
  /// `[B, C, H', W']`: augmented and normalised images.
  public let images: Tensor
  /// The class of each image.
  public let labels: [Int]
  /// Each image's index in the dataset.
  public let sampleIndices: [Int]

  /// A batch from its parts (for evaluating a model on hand-made data).
  public init(index: Int, images: Tensor, labels: [Int], sampleIndices: [Int]) {
    self.index = index
    self.images = images
    self.labels = labels
    self.sampleIndices = sampleIndices
  }

  /// The number of images.
  public var count: Int { labels.count }
}

/// The batches of one pass over an ordered list of dataset indices (a shard's epoch order), made
/// on demand on the calling thread: the synchronous loader.
///
/// Batch `b` holds `order[b * batchSize ..< (b + 1) * batchSize]`; the last batch is shorter
/// when `order.count` is not a multiple of `batchSize`, or left out when `dropLast` is set
/// (torch's `drop_last`). Each batch's augmentation draws come from its own generator, derived
/// from (`seed`, `epoch`, batch index) and `stream` (see ``augmentationGenerator(batch:)``), so a
/// batch is the same whichever thread makes it and in whatever order: ``BatchLoader`` prefetches
/// exactly these batches on a background thread. Iterating the plan (`for batch in plan`) makes
/// them in order.
public struct BatchPlan: Sendable, Sequence {
  /// The images and labels.
  public let dataset: Dataset
  /// The dataset indices to visit, in order.
  public let order: [Int]
  /// Images per batch (the last batch may hold fewer unless `dropLast`).
  public let batchSize: Int
  /// Whether to leave out a last, incomplete batch.
  public let dropLast: Bool
  /// The per-sample transform.
  public let pipeline: AugmentationPipeline
  /// The run's seed.
  public let seed: UInt64
  /// The epoch (part of the augmentation generator's derivation).
  public let epoch: Int
  /// An extra stream selector, e.g. the worker index, so workers sharing a seed draw differently.
  public let stream: UInt64
  /// The shape of each output image (`pipeline` applied to the dataset's image shape).
  public let outputShape: ImageShape

  /// A plan over `order`, validated once: indices in range, a positive batch size, a pipeline
  /// that fits the images.
  /// - Throws: ``DataError`` describing the first problem.
  public init(
    dataset: Dataset, order: [Int], batchSize: Int, dropLast: Bool = false,
    pipeline: AugmentationPipeline = .identity, seed: UInt64 = 0, epoch: Int = 0, stream: UInt64 = 0
  ) throws {
    guard batchSize > 0 else {
      throw DataError(path: nil, "batch size \(batchSize) is not positive")
    }
    if let bad = order.first(where: { $0 < 0 || $0 >= dataset.count }) {
      throw DataError(
        path: nil,
        "batch plan: index \(bad) is out of range for \(dataset.name) (\(dataset.count) images)")
    }
    self.outputShape = try pipeline.outputShape(for: dataset.imageShape)
    self.dataset = dataset
    self.order = order
    self.batchSize = batchSize
    self.dropLast = dropLast
    self.pipeline = pipeline
    self.seed = seed
    self.epoch = epoch
    self.stream = stream
  }

  /// The number of batches: `order.count / batchSize`, rounded up unless `dropLast`.
  public var batchCount: Int {
    dropLast ? order.count / batchSize : (order.count + batchSize - 1) / batchSize
  }

  /// The generator batch `batch`'s augmentation draws from: determined by (`seed`, `epoch`,
  /// `batch`, `stream`) alone. Samples draw from it in batch order, steps in pipeline order.
  public func augmentationGenerator(batch: Int) -> RandomGenerator {
    let epochAndBatch = UInt64(truncatingIfNeeded: epoch) << 32 ^ UInt64(truncatingIfNeeded: batch)
    return derivedGenerator(seed: seed, purpose: .augmentation, epochAndBatch, stream)
  }

  /// Makes batch `index` (any order, any thread).
  /// - Precondition: `0 <= index < batchCount`.
  public func batch(at index: Int) -> Batch {
    precondition(index >= 0 && index < batchCount, "batch \(index) out of range 0..<\(batchCount)")
    let start = index * batchSize
    let indices = Array(order[start..<Swift.min(start + batchSize, order.count)])
    var generator = augmentationGenerator(batch: index)
    return assembleBatch(
      dataset: dataset, indices: indices, pipeline: pipeline, outputShape: outputShape,
      index: index,
      using: &generator)
  }

  /// Iterates the plan's batches in order on the calling thread.
  public func makeIterator() -> Iterator {
    Iterator(plan: self)
  }

  /// The synchronous iterator of a ``BatchPlan``.
  public struct Iterator: IteratorProtocol {
    private let plan: BatchPlan
    private var nextIndex = 0

    init(plan: BatchPlan) {
      self.plan = plan
    }

    /// The next batch, or `nil` after the last.
    public mutating func next() -> Batch? {
      guard nextIndex < plan.batchCount else { return nil }
      defer { nextIndex += 1 }
      return plan.batch(at: nextIndex)
    }
  }
}

extension Dataset {
  /// One batch of the images at `indices`, transformed by `pipeline` with draws from
  /// `generator`: e.g. GRAWA's probe batch (``SubsetSampler`` indices, the evaluation pipeline).
  /// - Throws: ``DataError`` when an index is out of range or the pipeline does not fit.
  public func makeBatch(
    indices: [Int], pipeline: AugmentationPipeline, using generator: inout RandomGenerator
  ) throws -> Batch {
    if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
      throw DataError(path: nil, "batch index \(bad) is out of range for \(name) (\(count) images)")
    }
    let outputShape = try pipeline.outputShape(for: imageShape)
    return assembleBatch(
      dataset: self, indices: indices, pipeline: pipeline, outputShape: outputShape, index: 0,
      using: &generator)
  }
}

/// Transforms the (valid) images at `indices` into one batch tensor.
private func assembleBatch(
  dataset: Dataset, indices: [Int], pipeline: AugmentationPipeline, outputShape: ImageShape,
  index: Int,
  using generator: inout RandomGenerator
) -> Batch {
  let inputSize = dataset.imageShape.elementCount
  let outputSize = outputShape.elementCount
  let workspace = AugmentationWorkspace(pipeline: pipeline, input: dataset.imageShape)
  let scalars = [Float](unsafeUninitializedCapacity: indices.count * outputSize) {
    buffer, initialized in
    dataset.images.withUnsafeBufferPointer { images in
      for (slot, sample) in indices.enumerated() {
        workspace.load(
          bytes: UnsafeBufferPointer(
            rebasing: images[(sample * inputSize)..<((sample + 1) * inputSize)]))
        let destination = UnsafeMutableBufferPointer(
          rebasing: buffer[(slot * outputSize)..<((slot + 1) * outputSize)])
        workspace.run(pipeline, input: dataset.imageShape, into: destination, using: &generator)
      }
    }
    initialized = indices.count * outputSize
  }
  let shape = [indices.count, outputShape.channels, outputShape.height, outputShape.width]
  let images: Tensor
  do {
    images = try Tensor(shape: shape, scalars: scalars)
  } catch {
    // The scalar count is computed from the same shape two lines up.
    preconditionFailure("internal error assembling a batch: \(error)")
  }
  return Batch(
    index: index, images: images, labels: indices.map { dataset.labels[$0] }, sampleIndices: indices
  )
}
