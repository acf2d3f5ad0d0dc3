import GrawaTensor

/// A seeded, generated image classification task with learnable structure, for tests and demos
/// that must not depend on files.
///
/// Each class has a fixed template: per channel, a coarse 4x4 grid of random grey levels in
/// 32...223, bilinearly stretched to the image size (smooth, so crops and flips keep most of the
/// class signal). An image is its class's template plus independent triangular noise in
/// `-noise...noise` per pixel (the difference of two uniforms), rounded and clamped to 0...255.
/// Labels are balanced (`count / classCount` per class, the first `count mod classCount` classes
/// get one more) and shuffled. A nearest-template classifier separates the classes at the
/// default noise, so a small model can learn them. Everything is determined by the fields, the
/// seed included.
public struct SyntheticDataset: Sendable, Equatable {
  /// The shape of every image.
  public var imageShape: ImageShape
  /// The number of classes.
  public var classCount: Int
  /// Images in the training split.
  public var trainCount: Int
  /// Images in the test split.
  public var testCount: Int
  /// The noise amplitude in grey levels (0...255 scale).
  public var noise: Float
  /// The seed all templates and images derive from.
  public var seed: UInt64

  /// A synthetic task description (defaults: 3x32x32 images, 10 classes, 5,000 / 1,000 images,
  /// noise 64, seed 0).
  public init(
    imageShape: ImageShape = ImageShape(channels: 3, height: 32, width: 32), classCount: Int = 10,
    trainCount: Int = 5000, testCount: Int = 1000, noise: Float = 64, seed: UInt64 = 0
  ) {
    self.imageShape = imageShape
    self.classCount = classCount
    self.trainCount = trainCount
    self.testCount = testCount
    self.noise = noise
    self.seed = seed
  }

  /// Generates the train and test splits (named `"synthetic/train"` and `"synthetic/test"`).
  /// - Throws: ``DataError`` when a count or dimension is not positive or the noise is negative.
  public func makeSplits() throws -> (train: Dataset, test: Dataset) {
    guard imageShape.channels > 0, imageShape.height > 0, imageShape.width > 0, classCount > 0
    else {
      throw DataError(
        path: nil,
        "synthetic dataset: shape \(imageShape) and class count \(classCount) must be positive")
    }
    guard trainCount > 0, testCount > 0 else {
      throw DataError(
        path: nil,
        "synthetic dataset: train and test counts (\(trainCount), \(testCount)) must be positive")
    }
    guard noise >= 0, noise.isFinite else {
      throw DataError(
        path: nil, "synthetic dataset: noise \(noise) must be non-negative and finite")
    }
    let templates = classTemplates()
    return (
      try split(name: "synthetic/train", count: trainCount, stream: 1, templates: templates),
      try split(name: "synthetic/test", count: testCount, stream: 2, templates: templates)
    )
  }

  /// Each class's noiseless template, `C x H x W` grey levels (0...255 scale).
  public func classTemplates() -> [[Float]] {
    var generator = derivedGenerator(seed: seed, purpose: .synthetic, 0)
    let grid = 4
    let (height, width) = (imageShape.height, imageShape.width)
    return (0..<classCount).map { _ in
      var template = [Float](repeating: 0, count: imageShape.elementCount)
      for channel in 0..<imageShape.channels {
        let coarse = (0..<(grid * grid)).map { _ in 32 + Float(generator.nextInt(below: 192)) }
        for row in 0..<height {
          let y = height > 1 ? Float(row) * Float(grid - 1) / Float(height - 1) : 0
          let y0 = min(Int(y), grid - 2)
          let fy = y - Float(y0)
          for column in 0..<width {
            let x = width > 1 ? Float(column) * Float(grid - 1) / Float(width - 1) : 0
            let x0 = min(Int(x), grid - 2)
            let fx = x - Float(x0)
            let top = coarse[y0 * grid + x0] * (1 - fx) + coarse[y0 * grid + x0 + 1] * fx
            let bottom =
              coarse[(y0 + 1) * grid + x0] * (1 - fx) + coarse[(y0 + 1) * grid + x0 + 1] * fx
            template[(channel * height + row) * width + column] = top * (1 - fy) + bottom * fy
          }
        }
      }
      return template
    }
  }

  private func split(name: String, count: Int, stream: UInt64, templates: [[Float]]) throws
    -> Dataset
  {
    var generator = derivedGenerator(seed: seed, purpose: .synthetic, stream)
    var labels = (0..<count).map { $0 % classCount }
    generator.shuffle(&labels)
    let size = imageShape.elementCount
    var pixels = [UInt8](repeating: 0, count: count * size)
    pixels.withUnsafeMutableBufferPointer { output in
      for (image, label) in labels.enumerated() {
        templates[label].withUnsafeBufferPointer { template in
          var bits: UInt64 = 0
          for i in 0..<size {
            // Each pixel uses 32 bits: two 16-bit uniforms whose difference is triangular on
            // (-1, 1). One 64-bit draw serves two pixels.
            if i % 2 == 0 {
              bits = generator.next()
            } else {
              bits <<= 32
            }
            let u1 = Float(bits >> 48) * 0x1p-16
            let u2 = Float((bits >> 32) & 0xFFFF) * 0x1p-16
            let value = (template[i] + noise * (u1 - u2)).rounded()
            output[image * size + i] = UInt8(min(255, max(0, value)))
          }
        }
      }
    }
    return try Dataset(
      name: name, imageShape: imageShape, classCount: classCount, images: pixels, labels: labels)
  }
}
