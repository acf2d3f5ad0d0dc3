import GrawaTensor
import XCTest
import _TestSupport

@testable import GrawaNN

final class CIFARResNetTests: XCTestCase {
  private func resNet(
    depth: Int = 20, channels: Int = 3, size: Int = 32, classes: Int = 10, seed: UInt64 = 42,
    initialization: WeightInitialization = .pytorchDefault
  ) throws -> CIFARResNet {
    var generator = RandomGenerator(seed: seed)
    return try CIFARResNet(
      depth: depth, inputChannels: channels, inputSize: size, classes: classes,
      convolutionInitialization: initialization, generator: &generator)
  }

  // MARK: - Counts (docs/algorithms.md, "Models and parameter counts")

  func testResNet20_matchesTheAuthorsParameterCount() throws {
    try ModelTesting.assertCounts(try resNet(depth: 20), parameters: 269_722, tensors: 59)
  }

  func testResNet56_matchesTheAuthorsParameterCounts() throws {
    try ModelTesting.assertCounts(
      try resNet(depth: 56, classes: 10), parameters: 853_018, tensors: 167)
    try ModelTesting.assertCounts(
      try resNet(depth: 56, classes: 100), parameters: 858_868, tensors: 167)
  }

  func testOneInputChannel_removesTwoThirdsOfTheStemWeights() throws {
    // The stem has 16 x C x 3 x 3 weights: 432 for C = 3, 144 for C = 1.
    try ModelTesting.assertCounts(
      try resNet(channels: 1, size: 28), parameters: 269_722 - 288, tensors: 59)
  }

  // MARK: - Names

  func testResNet20_parameterNamesFollowPyTorchDeclarationOrder() throws {
    let model = try resNet()
    let names = model.namedParameters.map(\.name)
    XCTAssertEqual(
      Array(names.prefix(10)),
      [
        "conv1.weight", "bn1.weight", "bn1.bias",
        "layer1.0.conv1.weight", "layer1.0.bn1.weight", "layer1.0.bn1.bias",
        "layer1.0.conv2.weight", "layer1.0.bn2.weight", "layer1.0.bn2.bias",
        "layer1.1.conv1.weight",
      ])
    XCTAssertEqual(
      Array(names.suffix(5)),
      [
        "layer3.2.conv2.weight", "layer3.2.bn2.weight", "layer3.2.bn2.bias", "linear.weight",
        "linear.bias",
      ])
    XCTAssertTrue(names.contains("layer2.0.conv1.weight"))
    XCTAssertFalse(
      names.contains { $0.contains("shortcut") }, "option-A shortcuts have no parameters")
    ModelTesting.assertNamesUniqueAndBatchNormFresh(model)
  }

  func testResNet20_parameterShapes() throws {
    let shapes = Dictionary(
      uniqueKeysWithValues: try resNet().namedParameters.map { ($0.name, $0.parameter.shape) })
    XCTAssertEqual(shapes["conv1.weight"], [16, 3, 3, 3])
    XCTAssertEqual(shapes["layer2.0.conv1.weight"], [32, 16, 3, 3])
    XCTAssertEqual(shapes["layer3.2.conv2.weight"], [64, 64, 3, 3])
    XCTAssertEqual(shapes["linear.weight"], [10, 64])
    XCTAssertEqual(shapes["linear.bias"], [10])
  }

  func testResNet20_bufferNames() throws {
    let names = try resNet().namedBuffers.map(\.name)
    // 19 batch norms: the stem's and two per block, 9 blocks.
    XCTAssertEqual(names.count, 38)
    XCTAssertEqual(
      Array(names.prefix(4)),
      [
        "bn1.running_mean", "bn1.running_var", "layer1.0.bn1.running_mean",
        "layer1.0.bn1.running_var",
      ])
    XCTAssertEqual(names.last, "layer3.2.bn2.running_var")
  }

  // MARK: - Forward and backward

  func testForward_givesLogitsForFashionMNISTAndCIFARInputs() throws {
    try ModelTesting.assertForwardShape(
      try resNet(channels: 1, size: 28), channels: 1, size: 28, classes: 10)
    try ModelTesting.assertForwardShape(
      try resNet(classes: 100), channels: 3, size: 32, classes: 100)
    try ModelTesting.assertForwardShape(
      try resNet(), channels: 3, size: 32, classes: 10, mode: .inference)
  }

  func testBackward_reachesEveryParameter() throws {
    let model = try resNet(size: 28)
    let input = ModelTesting.images(batch: 2, channels: 3, size: 28)
    let logits = try model(input, ForwardContext(mode: .training))
    try logits.crossEntropy(labels: [3, 7]).backward()
    for (name, parameter) in model.namedParameters {
      guard let gradient = parameter.gradient else {
        XCTFail("\(name) has no gradient")
        continue
      }
      XCTAssertEqual(gradient.shape, parameter.shape, name)
      XCTAssertTrue(gradient.scalars.allSatisfy(\.isFinite), name)
      XCTAssertGreaterThan(gradient.norm(), 0, name)
    }
  }

  func testBlocks_endInTheFusedBatchNormResidualReLU() throws {
    // Depth 8: one block per stage, the second and third downsampling (option-A shortcut).
    let model = try resNet(depth: 8, size: 8)
    let input = ModelTesting.images(batch: 2, channels: 3, size: 8)
    OpProfiler.reset()
    try OpProfiler.profiling {
      try model(input, ForwardContext(mode: .training)).crossEntropy(labels: [1, 4]).backward()
    }
    let counts = Dictionary(
      OpProfiler.entries.filter { $0.direction == "forward" }.map { ($0.operation, $0.calls) }
    ) { $0 + $1 }
    OpProfiler.reset()
    XCTAssertEqual(counts["batchNormAddReLU2d"], 3, "\(counts)")
    XCTAssertEqual(counts["batchNormReLU2d"], 4, "\(counts)")
    // The one addition left is the classifier's bias.
    XCTAssertEqual(counts["add"], 1, "\(counts)")
    XCTAssertNil(counts["relu"], "\(counts)")
    XCTAssertNil(counts["batchNorm2d"], "\(counts)")
  }

  func testForward_inTrainingModeUpdatesRunningStatistics() throws {
    let model = try resNet(size: 8)
    let input = ModelTesting.images(batch: 2, channels: 3, size: 8)
    _ = try GradientRecording.withoutGradients { try model(input, ForwardContext(mode: .training)) }
    let mean = try XCTUnwrap(model.namedBuffers.first { $0.name == "bn1.running_mean" }).buffer
      .value
    XCTAssertTrue(mean.scalars.contains { $0 != 0 })
  }

  // MARK: - Option-A shortcut

  func testDownsamplingBlock_shortcutSubsamplesAndZeroPadsChannels() throws {
    var generator = RandomGenerator(seed: 3)
    let block = OptionABasicBlock(
      inputPlanes: 4, planes: 8, stride: 2, initialization: .pytorchDefault, generator: &generator)
    // With zero convolutions the residual branch is bn2(0) = beta = 0, so the block computes
    // relu(shortcut(x)): x[:, :, ::2, ::2] with 8 / 4 = 2 zero channels on each side.
    try ModelTesting.zero(block) { $0.hasSuffix("conv1.weight") || $0.hasSuffix("conv2.weight") }
    let x = ModelTesting.images(batch: 2, channels: 4, size: 5)
    let y = try block(x, ForwardContext(mode: .training))
    XCTAssertEqual(y.shape, [2, 8, 3, 3])
    var expected = [Float](repeating: 0, count: 2 * 8 * 3 * 3)
    for n in 0..<2 {
      for c in 0..<4 {
        for i in 0..<3 {
          for j in 0..<3 {
            let source = x.scalars[((n * 4 + c) * 5 + 2 * i) * 5 + 2 * j]
            expected[((n * 8 + c + 2) * 3 + i) * 3 + j] = max(source, 0)
          }
        }
      }
    }
    XCTAssertEqual(y.scalars, expected)
  }

  func testIdentityBlock_withZeroConvolutionsIsReLU() throws {
    var generator = RandomGenerator(seed: 3)
    let block = OptionABasicBlock(
      inputPlanes: 4, planes: 4, stride: 1, initialization: .pytorchDefault, generator: &generator)
    XCTAssertNil(block.shortcutPadding)
    try ModelTesting.zero(block) { $0.hasSuffix("conv1.weight") || $0.hasSuffix("conv2.weight") }
    let x = ModelTesting.images(batch: 1, channels: 4, size: 3)
    XCTAssertEqual(
      try block(x, ForwardContext(mode: .training)).scalars, x.scalars.map { max($0, 0) })
  }

  // MARK: - Initialisation

  func testDefaultInitialization_isPyTorchsUniformAndBatchNormIsOneZero() throws {
    let model = try resNet()
    for (name, parameter) in model.namedParameters
    where name.hasSuffix("conv2.weight") && name.hasPrefix("layer3") {
      // kaiming_uniform(a = sqrt 5): uniform in +-1/sqrt(fanIn), standard deviation 1/sqrt(3 fanIn).
      let fanIn = 64.0 * 9
      let moments = ModelTesting.moments(parameter.value.scalars)
      XCTAssertEqual(
        moments.standardDeviation, 1 / (3 * fanIn).squareRoot(),
        accuracy: 0.03 / (3 * fanIn).squareRoot(), name)
      XCTAssertEqual(moments.mean, 0, accuracy: 0.002, name)
      XCTAssertLessThanOrEqual(
        parameter.value.scalars.map(abs).max() ?? 0, Float(1 / fanIn.squareRoot()), name)
    }
    ModelTesting.assertNamesUniqueAndBatchNormFresh(model)
  }

  func testKaimingInitialization_hasStandardDeviationSqrtTwoOverFanIn() throws {
    let model = try resNet(initialization: .kaimingNormal(.fanIn))
    var checked = 0
    for (name, parameter) in model.namedParameters
    where parameter.shape.count == 4 && parameter.count >= 9_000 {
      let fanIn = Double(parameter.shape[1] * 9)
      let expected = (2 / fanIn).squareRoot()
      let moments = ModelTesting.moments(parameter.value.scalars)
      XCTAssertEqual(moments.standardDeviation, expected, accuracy: 0.04 * expected, name)
      XCTAssertEqual(moments.mean, 0, accuracy: 0.05 * expected, name)
      checked += 1
    }
    XCTAssertEqual(checked, 11, "layer2 (except its first conv) and layer3 convolutions")
  }

  func testSameSeed_givesIdenticalParameters_otherSeedDiffers() throws {
    ModelTesting.assertIdenticalParameters(try resNet(seed: 9), try resNet(seed: 9))
    let a = try resNet(seed: 9).namedParameters[0].parameter.value
    let b = try resNet(seed: 10).namedParameters[0].parameter.value
    XCTAssertNotEqual(a, b)
  }

  // MARK: - Arguments

  func testInvalidArguments_throwModelError() {
    XCTAssertThrowsError(try resNet(depth: 21)) { XCTAssertTrue($0 is ModelError) }
    XCTAssertThrowsError(try resNet(depth: 2))
    XCTAssertThrowsError(try resNet(classes: 0))
    XCTAssertThrowsError(try resNet(channels: 0))
  }
}
