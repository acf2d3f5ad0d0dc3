/// The shape of one image: channels, height and width (the `C x H x W` of an `N x C x H x W`
/// batch).
public struct ImageShape: Sendable, Hashable, CustomStringConvertible {
  /// Colour channels (1 for MNIST, 3 for CIFAR).
  public var channels: Int
  /// Rows.
  public var height: Int
  /// Columns.
  public var width: Int

  /// A `channels x height x width` image shape.
  public init(channels: Int, height: Int, width: Int) {
    self.channels = channels
    self.height = height
    self.width = width
  }

  /// Values per image: `channels * height * width`.
  public var elementCount: Int { channels * height * width }

  /// `"3x32x32"`.
  public var description: String { "\(channels)x\(height)x\(width)" }
}

/// CIFAR-100's second, coarser labelling: 20 superclasses next to the 100 fine classes.
public struct CoarseLabels: Sendable, Equatable {
  /// One superclass label per image, in `0..<classCount`.
  public let labels: [Int]
  /// The number of superclasses (20 for CIFAR-100).
  public let classCount: Int

  /// Coarse `labels` in `0..<classCount`.
  public init(labels: [Int], classCount: Int) {
    self.labels = labels
    self.classCount = classCount
  }
}

/// An in-memory labelled image set, like a torchvision dataset without its transform.
///
/// Images are stored compactly as bytes, `count x channels x height x width` in row-major order
/// (channel planes, then rows: the layout of a batch tensor), and labels as class indices. The
/// type is an immutable value: copies share the copy-on-write arrays, so every worker thread can
/// hold the same training set without duplicating it. Augmentation and the conversion to
/// `Float` happen per batch (see ``BatchPlan``).
public struct Dataset: Sendable, Equatable {
  /// A short name for logs, e.g. `"fashion-mnist/train"`.
  public let name: String
  /// The shape of every image.
  public let imageShape: ImageShape
  /// The number of classes; every label lies in `0..<classCount`.
  public let classCount: Int
  /// All pixels, `count x channels x height x width`, one byte each (0...255).
  public let images: [UInt8]
  /// One class index per image.
  public let labels: [Int]
  /// CIFAR-100's superclass labels; `nil` for other datasets.
  public let coarseLabels: CoarseLabels?

  /// A dataset from pixels and labels, checked for consistency.
  /// - Parameters:
  ///   - name: a short name for logs and error messages.
  ///   - imageShape: the shape of each image (all dimensions positive).
  ///   - classCount: the number of classes (positive).
  ///   - images: `labels.count * imageShape.elementCount` bytes.
  ///   - labels: class indices in `0..<classCount`.
  ///   - coarseLabels: optional second labelling with the same count.
  /// - Throws: ``DataError`` when counts disagree or a label is out of range.
  public init(
    name: String, imageShape: ImageShape, classCount: Int, images: [UInt8], labels: [Int],
    coarseLabels: CoarseLabels? = nil
  ) throws {
    let shape = imageShape
    guard shape.channels > 0, shape.height > 0, shape.width > 0 else {
      throw DataError(
        path: nil, "dataset \(name): image shape \(shape) has a non-positive dimension")
    }
    guard classCount > 0 else {
      throw DataError(path: nil, "dataset \(name): class count \(classCount) is not positive")
    }
    var expected = labels.count
    var overflow = false
    for dimension in [shape.channels, shape.height, shape.width] where !overflow {
      (expected, overflow) = expected.multipliedReportingOverflow(by: dimension)
    }
    guard !overflow, expected == images.count else {
      let needed = overflow ? "more than \(Int.max)" : "\(expected)"
      throw DataError(
        path: nil,
        "dataset \(name): \(labels.count) labels of \(shape) images need \(needed) bytes, got \(images.count)"
      )
    }
    if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classCount }) {
      throw DataError(
        path: nil,
        "dataset \(name): label \(labels[bad]) at index \(bad) is out of range for \(classCount) classes"
      )
    }
    if let coarse = coarseLabels {
      guard coarse.labels.count == labels.count else {
        throw DataError(
          path: nil,
          "dataset \(name): \(coarse.labels.count) coarse labels for \(labels.count) images")
      }
      if let bad = coarse.labels.firstIndex(where: { $0 < 0 || $0 >= coarse.classCount }) {
        throw DataError(
          path: nil,
          "dataset \(name): coarse label \(coarse.labels[bad]) at index \(bad) is out of range for \(coarse.classCount) classes"
        )
      }
    }
    self.name = name
    self.imageShape = shape
    self.classCount = classCount
    self.images = images
    self.labels = labels
    self.coarseLabels = coarseLabels
  }

  /// The number of images.
  public var count: Int { labels.count }

  /// The pixels of image `index` (`channels x height x width` bytes).
  public func pixels(at index: Int) -> ArraySlice<UInt8> {
    precondition(index >= 0 && index < count, "image index \(index) out of range 0..<\(count)")
    let size = imageShape.elementCount
    return images[(index * size)..<((index + 1) * size)]
  }

  /// The number of images of each class, indexed by class.
  public func classCounts() -> [Int] {
    var counts = [Int](repeating: 0, count: classCount)
    for label in labels {
      counts[label] += 1
    }
    return counts
  }

  /// The images at `indices`, in that order (repeats allowed), as a new dataset.
  /// - Throws: ``DataError`` when an index is out of range.
  public func subset(_ indices: [Int], name newName: String? = nil) throws -> Dataset {
    if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
      throw DataError(
        path: nil, "dataset \(name): subset index \(bad) is out of range 0..<\(count)")
    }
    let size = imageShape.elementCount
    var pixels: [UInt8] = []
    pixels.reserveCapacity(indices.count * size)
    for index in indices {
      pixels.append(contentsOf: images[(index * size)..<((index + 1) * size)])
    }
    let coarse = coarseLabels.map { old in
      CoarseLabels(labels: indices.map { old.labels[$0] }, classCount: old.classCount)
    }
    return try Dataset(
      name: newName ?? "\(name)[subset]", imageShape: imageShape, classCount: classCount,
      images: pixels, labels: indices.map { labels[$0] }, coarseLabels: coarse)
  }

  /// Per-channel mean and standard deviation of the pixels scaled to `[0, 1]` (byte / 255), the
  /// constants `transforms.Normalize` expects.
  ///
  /// Exact: a 256-bin histogram per channel, then the moments in `Double`. The standard deviation
  /// is the population one (divide by the pixel count), over all pixels of all images of the
  /// channel, the way the usual Fashion-MNIST constants (0.2860 / 0.3530) are computed.
  /// An empty dataset gives mean 0 and standard deviation 1 per channel.
  public func channelStatistics() -> Normalization {
    let channels = imageShape.channels
    let plane = imageShape.height * imageShape.width
    var histograms = [[Int]](repeating: [Int](repeating: 0, count: 256), count: channels)
    images.withUnsafeBufferPointer { pixels in
      for channel in 0..<channels {
        var histogram = [Int](repeating: 0, count: 256)
        histogram.withUnsafeMutableBufferPointer { bins in
          for image in 0..<count {
            let start = (image * channels + channel) * plane
            for offset in start..<(start + plane) {
              bins[Int(pixels[offset])] += 1
            }
          }
        }
        histograms[channel] = histogram
      }
    }
    var means: [Float] = []
    var deviations: [Float] = []
    for histogram in histograms {
      let total = Double(count * plane)
      guard total > 0 else {
        means.append(0)
        deviations.append(1)
        continue
      }
      var sum = 0.0
      var sumOfSquares = 0.0
      for (value, frequency) in histogram.enumerated() where frequency > 0 {
        let x = Double(value) / 255
        sum += Double(frequency) * x
        sumOfSquares += Double(frequency) * x * x
      }
      let mean = sum / total
      let variance = max(0, sumOfSquares / total - mean * mean)
      means.append(Float(mean))
      deviations.append(Float(variance.squareRoot()))
    }
    return Normalization(mean: means, std: deviations)
  }
}
