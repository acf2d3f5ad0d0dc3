import GrawaData
import GrawaTensor
import XCTest
import _TestSupport

final class AugmentationTests: XCTestCase {
  /// A 1x4x4 image with pixels 1...16, row-major.
  private let image: [UInt8] = Array(1...16)
  private let shape4 = ImageShape(channels: 1, height: 4, width: 4)

  /// Bytes scaled to [0, 1], as `ToTensor()` does.
  private func scaled(_ bytes: [UInt8]) -> [Float] { bytes.map { Float($0) / 255 } }

  private func apply(
    _ steps: [AugmentationStep], to bytes: [UInt8], shape: ImageShape, seed: UInt64 = 0
  ) throws -> [Float] {
    var generator = RandomGenerator(seed: seed)
    return try AugmentationPipeline(steps).apply(to: bytes, shape: shape, using: &generator)
  }

  /// Reference random crop: builds the zero-padded image explicitly, then slices it.
  private func referenceCrop(
    _ bytes: [UInt8], side: Int, padding: Int, size: Int, top: Int, left: Int
  ) -> [UInt8] {
    let padded = side + 2 * padding
    var canvas = [UInt8](repeating: 0, count: padded * padded)
    for row in 0..<side {
      for column in 0..<side {
        canvas[(row + padding) * padded + column + padding] = bytes[row * side + column]
      }
    }
    return (0..<size).flatMap { row in (0..<size).map { canvas[(row + top) * padded + $0 + left] } }
  }

  // MARK: - Geometry

  func testCenterCrop_takesTheMiddle() throws {
    XCTAssertEqual(
      try apply([.centerCrop(size: 2)], to: image, shape: shape4), scaled([6, 7, 10, 11]))
    // (4 - 3) / 2 = 0.5 rounds half to even: offset 0, like torchvision.
    XCTAssertEqual(
      try apply([.centerCrop(size: 3)], to: image, shape: shape4),
      scaled([1, 2, 3, 5, 6, 7, 9, 10, 11]))
    // 5x5 pixels 0...24 to 2x2: (5 - 2) / 2 = 1.5 rounds to 2.
    let five = ImageShape(channels: 1, height: 5, width: 5)
    XCTAssertEqual(
      try apply([.centerCrop(size: 2)], to: Array(0..<25), shape: five), scaled([12, 13, 17, 18]))
  }

  func testRandomCropWithPadding_matchesExplicitPaddingForEveryOffset() throws {
    var seen = Set<[Int]>()
    for seed in UInt64(0)..<200 {
      var draws = RandomGenerator(seed: seed)
      // Draw order: top, then left, each uniform in 0...(4 + 2 - 4).
      let top = draws.nextInt(below: 3)
      let left = draws.nextInt(below: 3)
      seen.insert([top, left])
      let expected = referenceCrop(image, side: 4, padding: 1, size: 4, top: top, left: left)
      XCTAssertEqual(
        try apply([.randomCrop(size: 4, padding: 1)], to: image, shape: shape4, seed: seed),
        scaled(expected))
    }
    XCTAssertEqual(seen.count, 9, "all nine offsets occur")
  }

  func testRandomCropAtTheCorners_hasHandWrittenZeroBorders() throws {
    let topLeft: [UInt8] = [0, 0, 0, 0, 0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11]
    let bottomRight: [UInt8] = [6, 7, 8, 0, 10, 11, 12, 0, 14, 15, 16, 0, 0, 0, 0, 0]
    var found = 0
    for seed in UInt64(0)..<200 {
      var draws = RandomGenerator(seed: seed)
      let offsets = [draws.nextInt(below: 3), draws.nextInt(below: 3)]
      let result = try apply(
        [.randomCrop(size: 4, padding: 1)], to: image, shape: shape4, seed: seed)
      if offsets == [0, 0] {
        XCTAssertEqual(result, scaled(topLeft))
        found += 1
      } else if offsets == [2, 2] {
        XCTAssertEqual(result, scaled(bottomRight))
        found += 1
      }
    }
    XCTAssertGreaterThan(found, 2)
  }

  func testRandomCropWithoutPadding_staysInsideTheImage() throws {
    for seed in UInt64(0)..<50 {
      var draws = RandomGenerator(seed: seed)
      let top = draws.nextInt(below: 2)
      let left = draws.nextInt(below: 2)
      let expected = referenceCrop(image, side: 4, padding: 0, size: 3, top: top, left: left)
      XCTAssertEqual(
        try apply([.randomCrop(size: 3, padding: 0)], to: image, shape: shape4, seed: seed),
        scaled(expected))
    }
  }

  func testHorizontalFlip_mirrorsEveryRowOfEveryChannel() throws {
    let twoChannels = ImageShape(channels: 2, height: 2, width: 3)
    let pixels: [UInt8] = [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16]
    XCTAssertEqual(
      try apply([.horizontalFlip(probability: 1)], to: pixels, shape: twoChannels),
      scaled([3, 2, 1, 6, 5, 4, 13, 12, 11, 16, 15, 14]))
    XCTAssertEqual(
      try apply([.horizontalFlip(probability: 0)], to: pixels, shape: twoChannels), scaled(pixels))
  }

  func testHorizontalFlipHalf_flipsAboutHalfTheImages() throws {
    var generator = RandomGenerator(seed: 4)
    let pipeline = AugmentationPipeline([.horizontalFlip(probability: 0.5)])
    var flipped = 0
    for _ in 0..<2000
    where try pipeline.apply(to: image, shape: shape4, using: &generator)[0] == Float(4) / 255 {
      flipped += 1
    }
    // Binomial(2000, 0.5): sd 22.
    XCTAssertEqual(Double(flipped), 1000, accuracy: 6 * 22)
  }

  // MARK: - Values

  func testNormalize_isToTensorThenNormalize() throws {
    let pixels: [UInt8] = [0, 51, 255, 128, 10, 20, 30, 40]
    let normalization = Normalization(mean: [0.5, 0.1], std: [0.25, 0.2])
    let result = try apply(
      [.normalize(normalization)], to: pixels, shape: ImageShape(channels: 2, height: 2, width: 2))
    // (x / 255 - mean) / std per channel; 0 -> -2, 51 -> -1.2, 255 -> 2 on channel 0.
    let expected = pixels.enumerated().map { offset, byte -> Float in
      let channel = offset / 4
      return (Float(byte) / 255 - normalization.mean[channel]) / normalization.std[channel]
    }
    XCTAssertEqual(result, expected)
    assertClose(Array(result[0..<3]), [-2, -1.2, 2], rtol: 1e-6, atol: 1e-6)
  }

  func testZeroPadding_happensBeforeNormalisation() throws {
    let steps: [AugmentationStep] = [
      .randomCrop(size: 6, padding: 1), .normalize(Normalization(mean: [0.5], std: [0.25])),
    ]
    let result = try apply(steps, to: image, shape: shape4)
    // The only 6x6 window of the 6x6 padded image: the border is black, (0 - 0.5) / 0.25 = -2.
    XCTAssertEqual(Array(result[0..<6]), [Float](repeating: -2, count: 6))
    XCTAssertEqual(result[7], (Float(1) / 255 - 0.5) / 0.25)
  }

  func testFloatInput_matchesByteInputScaled() throws {
    let steps: [AugmentationStep] = [
      .randomCrop(size: 3, padding: 2), .horizontalFlip(probability: 0.5),
      .normalize(Normalization(mean: [0.3], std: [0.7])),
    ]
    for seed in UInt64(0)..<20 {
      var first = RandomGenerator(seed: seed)
      var second = RandomGenerator(seed: seed)
      let fromBytes = try AugmentationPipeline(steps).apply(to: image, shape: shape4, using: &first)
      let fromFloats = try AugmentationPipeline(steps).apply(
        to: scaled(image), shape: shape4, using: &second)
      XCTAssertEqual(fromBytes, fromFloats)
    }
  }

  // MARK: - Pipelines and recipes

  func testPaperRecipes_produceTheDocumentedShapes() throws {
    let cifar = ImageShape(channels: 3, height: 32, width: 32)
    let resnet20 = AugmentationRecipe.paperResNet20(normalization: .cifar10)
    XCTAssertEqual(
      try resnet20.training.outputShape(for: cifar), ImageShape(channels: 3, height: 28, width: 28))
    XCTAssertEqual(
      try resnet20.evaluation.outputShape(for: cifar),
      ImageShape(channels: 3, height: 28, width: 28))
    XCTAssertEqual(resnet20.evaluation.steps, [.centerCrop(size: 28), .normalize(.cifar10)])
    XCTAssertTrue(resnet20.training.isRandom)
    XCTAssertFalse(resnet20.evaluation.isRandom)
    let standard = AugmentationRecipe.paperDefault(normalization: .cifar100)
    XCTAssertEqual(try standard.training.outputShape(for: cifar), cifar)
    XCTAssertEqual(standard.training.steps[0], .randomCrop(size: 32, padding: 4))
    XCTAssertEqual(standard.evaluation, AugmentationPipeline([.normalize(.cifar100)]))
    XCTAssertEqual(
      AugmentationRecipe.paperResNet20(normalization: .cifar10).training.description,
      "randomCrop(28, padding: 0) -> horizontalFlip(0.5) -> normalize(mean [0.4914, 0.4822, 0.4465], std [0.2023, 0.1994, 0.2010])"
    )
    XCTAssertEqual(AugmentationPipeline.identity.description, "identity")
  }

  func testValidation_namesTheStepThatDoesNotFit() {
    assertDataError(path: nil, contains: ["centerCrop(5)", "1x4x4"]) {
      _ = try AugmentationPipeline([.centerCrop(size: 5)]).outputShape(for: shape4)
    }
    assertDataError(path: nil, contains: ["randomCrop(7, padding: 1)", "even after padding"]) {
      _ = try AugmentationPipeline([.randomCrop(size: 7, padding: 1)]).outputShape(for: shape4)
    }
    assertDataError(path: nil, contains: ["probability must lie in [0, 1]"]) {
      _ = try AugmentationPipeline([.horizontalFlip(probability: 1.5)]).outputShape(for: shape4)
    }
    assertDataError(path: nil, contains: ["does not have shape 1x4x4"]) {
      var generator = RandomGenerator(seed: 0)
      _ = try AugmentationPipeline.identity.apply(
        to: [UInt8](repeating: 0, count: 15), shape: shape4, using: &generator)
    }
  }
}
