import GrawaTensor

/// One per-sample image transform, with torchvision's semantics.
///
/// Steps run in order on an image whose values start in `[0, 1]` (bytes divided by 255, like
/// `ToTensor()`); zero padding therefore pads with black, as torchvision pads the raw image.
/// Random steps draw from the generator handed to ``AugmentationPipeline/apply(to:shape:using:)``
/// in a fixed order (documented per case), so a seeded generator reproduces the same result.
public enum AugmentationStep: Sendable, Equatable, CustomStringConvertible {
  /// `RandomCrop(size, padding: padding)`: pad every side with `padding` zeros, then cut a
  /// `size x size` window at a uniform offset. Draws the top offset, then the left one, each with
  /// `nextInt(below: paddedExtent - size + 1)`. `padding: 0` gives a plain random crop (the
  /// ResNet-20 recipe's 28x28 crops of 32x32 images).
  case randomCrop(size: Int, padding: Int)
  /// `CenterCrop(size)`: the central `size x size` window; the offset `(extent - size) / 2` is
  /// rounded half to even like torchvision (Python's `round`). Draws nothing.
  case centerCrop(size: Int)
  /// `RandomHorizontalFlip(p)`: mirror left-right when `nextUnitDouble() < probability`.
  /// Draws one value.
  case horizontalFlip(probability: Double)
  /// `Normalize(mean, std)`: `(x - mean[c]) / std[c]` per channel. Draws nothing.
  case normalize(Normalization)

  /// `"randomCrop(32, padding: 4)"`, `"horizontalFlip(0.5)"`, ...
  public var description: String {
    switch self {
    case .randomCrop(let size, let padding): return "randomCrop(\(size), padding: \(padding))"
    case .centerCrop(let size): return "centerCrop(\(size))"
    case .horizontalFlip(let probability): return "horizontalFlip(\(probability))"
    case .normalize(let normalization): return "normalize(\(normalization))"
    }
  }

  /// The shape this step produces from `input`.
  /// - Throws: ``DataError`` when the step cannot apply to `input`.
  func outputShape(for input: ImageShape) throws -> ImageShape {
    switch self {
    case .randomCrop(let size, let padding):
      guard size > 0, padding >= 0 else {
        throw DataError(path: nil, "\(self): size must be positive and padding non-negative")
      }
      guard size <= input.height + 2 * padding, size <= input.width + 2 * padding else {
        throw DataError(path: nil, "\(self) does not fit \(input) images even after padding")
      }
      return ImageShape(channels: input.channels, height: size, width: size)
    case .centerCrop(let size):
      guard size > 0, size <= input.height, size <= input.width else {
        throw DataError(path: nil, "\(self) does not fit \(input) images")
      }
      return ImageShape(channels: input.channels, height: size, width: size)
    case .horizontalFlip(let probability):
      guard probability >= 0, probability <= 1 else {
        throw DataError(path: nil, "\(self): probability must lie in [0, 1]")
      }
      return input
    case .normalize(let normalization):
      try normalization.validate(channels: input.channels)
      return input
    }
  }
}

/// A per-sample augmentation pipeline: the steps a torchvision `Compose` would hold, as a value
/// the CLI can build, print and compare.
///
/// Build it from ``AugmentationStep`` cases or take a named ``AugmentationRecipe``. Check it
/// against the dataset's image shape with ``outputShape(for:)`` (``BatchPlan`` does this once);
/// apply it to one image with ``apply(to:shape:using:)``.
public struct AugmentationPipeline: Sendable, Equatable, CustomStringConvertible {
  /// The steps, applied first to last.
  public var steps: [AugmentationStep]

  /// A pipeline of `steps`.
  public init(_ steps: [AugmentationStep] = []) {
    self.steps = steps
  }

  /// No steps: bytes are only scaled to `[0, 1]`.
  public static let identity = AugmentationPipeline()

  /// Whether any step draws random numbers.
  public var isRandom: Bool {
    steps.contains { step in
      switch step {
      case .randomCrop, .horizontalFlip: return true
      case .centerCrop, .normalize: return false
      }
    }
  }

  /// `"randomCrop(28, padding: 0) -> horizontalFlip(0.5) -> normalize(...)"`, or `"identity"`.
  public var description: String {
    steps.isEmpty ? "identity" : steps.map(\.description).joined(separator: " -> ")
  }

  /// The shape of the images this pipeline produces from `input` images.
  /// - Throws: ``DataError`` naming the first step that does not fit (a crop larger than the
  ///   image, a normalisation for another channel count, a probability outside [0, 1]).
  public func outputShape(for input: ImageShape) throws -> ImageShape {
    var shape = input
    for step in steps {
      shape = try step.outputShape(for: shape)
    }
    return shape
  }

  /// Applies the pipeline to one image of bytes (scaled to `[0, 1]` first, like `ToTensor()`).
  /// - Parameters:
  ///   - pixels: `shape.elementCount` bytes, `C x H x W`.
  ///   - shape: the image's shape.
  ///   - generator: the source of the random steps' draws.
  /// - Returns: the transformed image, `C x H' x W'` (see ``outputShape(for:)``).
  /// - Throws: ``DataError`` when the pipeline does not fit `shape` or the count is wrong.
  public func apply(
    to pixels: [UInt8], shape: ImageShape, using generator: inout RandomGenerator
  ) throws -> [Float] {
    guard pixels.count == shape.elementCount else {
      throw DataError(path: nil, "image of \(pixels.count) bytes does not have shape \(shape)")
    }
    return try apply(to: pixels.map { byteScale[Int($0)] }, shape: shape, using: &generator)
  }

  /// Applies the pipeline to one image of `Float` values, taken as already in `[0, 1]` scale.
  /// - Throws: ``DataError`` when the pipeline does not fit `shape` or the count is wrong.
  public func apply(
    to values: [Float], shape: ImageShape, using generator: inout RandomGenerator
  ) throws -> [Float] {
    guard values.count == shape.elementCount else {
      throw DataError(path: nil, "image of \(values.count) values does not have shape \(shape)")
    }
    let output = try outputShape(for: shape)
    let workspace = AugmentationWorkspace(pipeline: self, input: shape)
    return [Float](unsafeUninitializedCapacity: output.elementCount) { destination, initialized in
      values.withUnsafeBufferPointer { source in
        workspace.load(floats: source)
      }
      workspace.run(self, input: shape, into: destination, using: &generator)
      initialized = output.elementCount
    }
  }
}

/// A named pair of pipelines: one for training batches, one for evaluation (and probe) batches.
///
/// The recipe is chosen explicitly by the caller (the CLI), never inferred from a model name.
public struct AugmentationRecipe: Sendable, Equatable {
  /// Applied to training batches.
  public var training: AugmentationPipeline
  /// Applied to test batches and to GRAWA's probe batches (deterministic).
  public var evaluation: AugmentationPipeline

  /// A recipe from its two pipelines.
  public init(training: AugmentationPipeline, evaluation: AugmentationPipeline) {
    self.training = training
    self.evaluation = evaluation
  }

  /// The GRAWA authors' ResNet-20 recipe (docs/algorithms.md, "Hyperparameters the paper used"): train on random
  /// `cropSize x cropSize` crops without padding, flipped with probability 0.5; evaluate on the
  /// central crop of the same size; both normalised. On 32x32 CIFAR images with the default 28
  /// the model sees 28x28 inputs.
  public static func paperResNet20(cropSize: Int = 28, normalization: Normalization)
    -> AugmentationRecipe
  {
    AugmentationRecipe(
      training: AugmentationPipeline([
        .randomCrop(size: cropSize, padding: 0), .horizontalFlip(probability: 0.5),
        .normalize(normalization),
      ]),
      evaluation: AugmentationPipeline([.centerCrop(size: cropSize), .normalize(normalization)]))
  }

  /// The authors' recipe for the other models (VGG-16, ResNet-56, PyramidNet, DenseNet,
  /// WideResNet): pad by `padding` zeros, random `imageSize x imageSize` crop, flip with
  /// probability 0.5; evaluate on the whole image; both normalised (torchvision's
  /// `RandomCrop(32, padding=4)`, `RandomHorizontalFlip()`).
  public static func paperDefault(
    imageSize: Int = 32, padding: Int = 4, normalization: Normalization
  ) -> AugmentationRecipe {
    AugmentationRecipe(
      training: AugmentationPipeline([
        .randomCrop(size: imageSize, padding: padding), .horizontalFlip(probability: 0.5),
        .normalize(normalization),
      ]),
      evaluation: AugmentationPipeline([.normalize(normalization)]))
  }

  /// No augmentation, normalisation only (e.g. Fashion-MNIST with a small model).
  public static func normalizationOnly(_ normalization: Normalization) -> AugmentationRecipe {
    let pipeline = AugmentationPipeline([.normalize(normalization)])
    return AugmentationRecipe(training: pipeline, evaluation: pipeline)
  }
}

/// `Float(byte) / 255` for every byte: exactly `ToTensor()`'s division, by table lookup.
let byteScale: [Float] = (0...255).map { Float($0) / 255 }

// MARK: - Execution

/// Scratch space for running a pipeline on one image at a time: two buffers big enough for the
/// largest intermediate image. One workspace serves a whole batch, so per-sample work allocates
/// nothing. Not shared between threads.
final class AugmentationWorkspace {
  private var current: UnsafeMutableBufferPointer<Float>
  private var spare: UnsafeMutableBufferPointer<Float>

  /// A workspace for `pipeline` on `input` images (the pipeline must fit them).
  init(pipeline: AugmentationPipeline, input: ImageShape) {
    var largest = input.elementCount
    var shape = input
    for step in pipeline.steps {
      // Invalid steps were rejected by the caller; keep the last valid shape if not.
      shape = (try? step.outputShape(for: shape)) ?? shape
      largest = max(largest, shape.elementCount)
    }
    current = .allocate(capacity: largest)
    spare = .allocate(capacity: largest)
  }

  deinit {
    current.deallocate()
    spare.deallocate()
  }

  /// Loads one image of bytes, scaled to `[0, 1]`.
  func load(bytes: UnsafeBufferPointer<UInt8>) {
    byteScale.withUnsafeBufferPointer { table in
      for i in bytes.indices {
        current[i] = table[Int(bytes[i])]
      }
    }
  }

  /// Loads one image of floats as is.
  func load(floats: UnsafeBufferPointer<Float>) {
    for i in floats.indices {
      current[i] = floats[i]
    }
  }

  /// Runs the (validated) pipeline on the loaded image of shape `input` and writes the result
  /// to `destination` (at least the output's element count).
  func run(
    _ pipeline: AugmentationPipeline, input: ImageShape,
    into destination: UnsafeMutableBufferPointer<Float>,
    using generator: inout RandomGenerator
  ) {
    var shape = input
    for step in pipeline.steps {
      switch step {
      case .randomCrop(let size, let padding):
        let top = generator.nextInt(below: shape.height + 2 * padding - size + 1) - padding
        let left = generator.nextInt(below: shape.width + 2 * padding - size + 1) - padding
        shape = crop(shape, top: top, left: left, size: size)
      case .centerCrop(let size):
        let top = Int((Double(shape.height - size) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(shape.width - size) / 2).rounded(.toNearestOrEven))
        shape = crop(shape, top: top, left: left, size: size)
      case .horizontalFlip(let probability):
        if generator.nextUnitDouble() < probability {
          flip(shape)
        }
      case .normalize(let normalization):
        normalize(shape, normalization)
      }
    }
    for i in 0..<shape.elementCount {
      destination[i] = current[i]
    }
  }

  /// Copies the `size x size` window at (`top`, `left`) of the current image (offsets may be
  /// negative or run past the edge: those pixels are zero) into the spare buffer, then swaps.
  private func crop(_ shape: ImageShape, top: Int, left: Int, size: Int) -> ImageShape {
    let (height, width) = (shape.height, shape.width)
    // Output columns [firstColumn, endColumn) come from the image; the rest are padding.
    let firstColumn = min(size, max(0, -left))
    let endColumn = max(firstColumn, min(size, width - left))
    for channel in 0..<shape.channels {
      for row in 0..<size {
        let outRow = (channel * size + row) * size
        let sourceRow = row + top
        guard sourceRow >= 0 && sourceRow < height else {
          for column in 0..<size { spare[outRow + column] = 0 }
          continue
        }
        let inRow = (channel * height + sourceRow) * width + left
        for column in 0..<firstColumn { spare[outRow + column] = 0 }
        for column in firstColumn..<endColumn { spare[outRow + column] = current[inRow + column] }
        for column in endColumn..<size { spare[outRow + column] = 0 }
      }
    }
    swap(&current, &spare)
    return ImageShape(channels: shape.channels, height: size, width: size)
  }

  /// Mirrors every row of the current image in place.
  private func flip(_ shape: ImageShape) {
    for row in 0..<(shape.channels * shape.height) {
      var low = row * shape.width
      var high = low + shape.width - 1
      while low < high {
        current.swapAt(low, high)
        low += 1
        high -= 1
      }
    }
  }

  /// `(x - mean[c]) / std[c]` in place, in that order (torchvision's `sub_` then `div_`).
  private func normalize(_ shape: ImageShape, _ normalization: Normalization) {
    let plane = shape.height * shape.width
    for channel in 0..<shape.channels {
      let mean = normalization.mean[channel]
      let std = normalization.std[channel]
      for i in (channel * plane)..<((channel + 1) * plane) {
        current[i] = (current[i] - mean) / std
      }
    }
  }
}
