import GrawaNN
import GrawaTensor
import XCTest
import _TestSupport

final class VGGTests: XCTestCase {
  private func vgg(channels: Int = 3, size: Int = 32, classes: Int = 10, seed: UInt64 = 42) throws
    -> VGG16
  {
    var generator = RandomGenerator(seed: seed)
    return try VGG16(
      inputChannels: channels, inputSize: size, classes: classes, generator: &generator)
  }

  func testCounts_matchTheAuthorsDefinition() throws {
    // 13 convolutions with bias and 13 batch norms (52 tensors) plus three linear layers (6).
    try ModelTesting.assertCounts(try vgg(), parameters: 15_253_578, tensors: 58)
  }

  func testNames_areSequentialIndicesCountingPoolsAndReLUs() throws {
    let model = try vgg()
    let names = model.namedParameters.map(\.name)
    XCTAssertEqual(
      Array(names.prefix(8)),
      [
        "features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
        "features.3.weight", "features.3.bias", "features.4.weight", "features.4.bias",
      ])
    // After the first max pool (index 6) the next convolution is index 7.
    XCTAssertEqual(names[8], "features.7.weight")
    XCTAssertEqual(
      Array(names.suffix(6)),
      [
        "classifier.1.weight", "classifier.1.bias", "classifier.4.weight", "classifier.4.bias",
        "classifier.6.weight", "classifier.6.bias",
      ])
    XCTAssertEqual(names[names.count - 8], "features.41.weight", "the last batch norm")
    let shapes = Dictionary(
      uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.shape) })
    XCTAssertEqual(shapes["features.0.weight"], [64, 3, 3, 3])
    XCTAssertEqual(shapes["features.40.weight"], [512, 512, 3, 3])
    XCTAssertEqual(shapes["classifier.6.weight"], [10, 512])
    ModelTesting.assertNamesUniqueAndBatchNormFresh(model)
  }

  func testForward_givesLogitsForFashionMNISTAndCIFARInputs() throws {
    // 28 -> 14 -> 7 -> 3 -> 1: the fifth pool sees a 1x1 map and is skipped.
    try ModelTesting.assertForwardShape(
      try vgg(channels: 1, size: 28), channels: 1, size: 28, classes: 10)
    try ModelTesting.assertForwardShape(try vgg(classes: 100), channels: 3, size: 32, classes: 100)
  }

  func testInference_isDeterministicWhileTrainingDropsOut() throws {
    let model = try vgg(size: 32)
    let first = try ModelTesting.assertForwardShape(
      model, channels: 3, size: 32, classes: 10, mode: .inference)
    let second = try ModelTesting.assertForwardShape(
      model, channels: 3, size: 32, classes: 10, mode: .inference)
    XCTAssertEqual(first, second)
    let input = ModelTesting.images(batch: 2, channels: 3, size: 32)
    let a = try GradientRecording.withoutGradients {
      try model(
        input, ForwardContext(mode: .trainingFrozenStatistics, random: RandomGenerator(seed: 1)))
    }
    let b = try GradientRecording.withoutGradients {
      try model(
        input, ForwardContext(mode: .trainingFrozenStatistics, random: RandomGenerator(seed: 2)))
    }
    XCTAssertNotEqual(a, b, "different dropout masks")
  }

  func testDefaultInitialization_convolutionBiasIsUniformInFanInBound() throws {
    let model = try vgg()
    let bias = try XCTUnwrap(model.namedParameters.first { $0.name == "features.40.bias" })
      .parameter.value
    let bound = 1 / Float(512 * 9).squareRoot()
    XCTAssertTrue(bias.scalars.allSatisfy { abs($0) <= bound })
    XCTAssertTrue(bias.scalars.contains { $0 != 0 })
  }
}
