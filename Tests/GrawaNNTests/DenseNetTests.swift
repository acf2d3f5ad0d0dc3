import GrawaTensor
import XCTest
import _TestSupport

@testable import GrawaNN

final class DenseNetTests: XCTestCase {
  private func denseNet(
    growthRate: Int = 32, blocks: [Int] = [6, 12, 24, 16], channels: Int = 3, size: Int = 32,
    classes: Int = 10,
    seed: UInt64 = 42
  ) throws -> DenseNet {
    var generator = RandomGenerator(seed: seed)
    return try DenseNet(
      growthRate: growthRate, blocks: blocks, inputChannels: channels, inputSize: size,
      classes: classes,
      generator: &generator)
  }

  func testDenseNet121_matchesTheAuthorsCounts() throws {
    // 1 stem conv + 58 bottleneck layers * 6 tensors + 3 transitions * 3 + final BN 2 + linear 2.
    try ModelTesting.assertCounts(try denseNet(classes: 10), parameters: 6_956_298, tensors: 362)
    try ModelTesting.assertCounts(try denseNet(classes: 100), parameters: 7_048_548, tensors: 362)
  }

  func testDenseNet121_namesAndChannelBookkeeping() throws {
    let model = try denseNet()
    let names = model.namedParameters.map(\.name)
    let layer = "features.dense_block_layer_0.bottle_neck_layer_0.bottle_neck"
    XCTAssertEqual(
      Array(names.prefix(7)),
      [
        "conv1.weight", "\(layer).0.weight", "\(layer).0.bias", "\(layer).2.weight",
        "\(layer).3.weight",
        "\(layer).3.bias", "\(layer).5.weight",
      ])
    XCTAssertEqual(
      Array(names.suffix(4)),
      ["features.bn.weight", "features.bn.bias", "linear.weight", "linear.bias"])
    let shapes = Dictionary(
      uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.shape) })
    XCTAssertEqual(shapes["conv1.weight"], [64, 3, 3, 3], "3x3 stem with 2k channels")
    XCTAssertEqual(shapes["\(layer).2.weight"], [128, 64, 1, 1], "1x1 bottleneck to 4k channels")
    XCTAssertEqual(shapes["\(layer).5.weight"], [32, 128, 3, 3], "3x3 conv to k channels")
    // Block 1 ends with 64 + 6 * 32 = 256 channels; the transition halves them to 128.
    XCTAssertEqual(shapes["features.transition_layer_0.down_sample.0.weight"], [256])
    XCTAssertEqual(shapes["features.transition_layer_0.down_sample.1.weight"], [128, 256, 1, 1])
    // Blocks: 128 + 12 * 32 = 512 -> 256; 256 + 24 * 32 = 1024 -> 512; 512 + 16 * 32 = 1024.
    XCTAssertEqual(shapes["features.transition_layer_2.down_sample.1.weight"], [512, 1024, 1, 1])
    // The reference names the last block `dense_block3`, not `dense_block_layer_3`.
    XCTAssertEqual(
      shapes["features.dense_block3.bottle_neck_layer_15.bottle_neck.5.weight"], [32, 128, 3, 3])
    XCTAssertEqual(shapes["features.bn.weight"], [1024])
    XCTAssertEqual(shapes["linear.weight"], [10, 1024])
    ModelTesting.assertNamesUniqueAndBatchNormFresh(model)
  }

  func testForward_givesLogitsForFashionMNISTAndCIFARInputs() throws {
    try ModelTesting.assertForwardShape(
      try denseNet(channels: 1, size: 28), channels: 1, size: 28, classes: 10)
    try ModelTesting.assertForwardShape(
      try denseNet(growthRate: 12, blocks: [2, 3, 4, 2], classes: 100), channels: 3, size: 32,
      classes: 100)
  }

  func testBottleneck_keepsItsInputAsTheFirstChannels() throws {
    var generator = RandomGenerator(seed: 3)
    let layer = DenseBottleneck(inputChannels: 5, growthRate: 3, generator: &generator)
    let x = ModelTesting.images(batch: 2, channels: 5, size: 4)
    let y = try layer(x, ForwardContext(mode: .training))
    XCTAssertEqual(y.shape, [2, 8, 4, 4])
    for n in 0..<2 {
      XCTAssertEqual(
        Array(y.scalars[(n * 8 * 16)..<((n * 8 + 5) * 16)]),
        Array(x.scalars[(n * 5 * 16)..<((n + 1) * 5 * 16)]))
    }
  }

  func testDenseBlock_givesTheBitsOfConcatenatingAfterEveryLayer_inEveryMode() throws {
    // The block (one concatenation at the end, statistics carried between layers) against its
    // layers applied one after the other, each concatenating its input and output (the
    // reference): outputs, the input's gradient, every parameter's gradient and the running
    // statistics, bit for bit.
    for mode in [ForwardContext.Mode.training, .trainingFrozenStatistics, .inference] {
      var outcomes: [[[Float]]] = []
      var concatenations: [Int] = []
      for blockwise in [true, false] {
        var generator = RandomGenerator(seed: 8)
        let layers = (0..<3).map { index in
          DenseBottleneck(inputChannels: 5 + 4 * index, growthRate: 4, generator: &generator)
        }
        let block = DenseBlock(layers)
        // One training pass first, so inference normalises with statistics of this batch.
        let x = ModelTesting.images(batch: 3, channels: 5, size: 6)
        _ = try GradientRecording.withoutGradients {
          try block(x, ForwardContext(mode: .training))
        }
        let input = x.requiringGradient()
        OpProfiler.reset()
        let y = try OpProfiler.profiling { () throws -> Tensor in
          var y = input
          if blockwise {
            y = try block(input, ForwardContext(mode: mode))
          } else {
            for layer in layers { y = try layer(y, ForwardContext(mode: mode)) }
          }
          try (y * y).sum().backward()
          return y
        }
        concatenations.append(
          OpProfiler.entries.filter { $0.direction == "forward" && $0.operation == "concatenate" }
            .map(\.calls).reduce(0, +))
        OpProfiler.reset()
        outcomes.append(
          [y.scalars, input.gradient?.scalars ?? []]
            + block.namedParameters.map { $0.parameter.gradient?.scalars ?? [] }
            + block.namedBuffers.map { $0.buffer.value.scalars })
      }
      XCTAssertEqual(outcomes[0].count, outcomes[1].count)
      for (index, (a, b)) in zip(outcomes[0], outcomes[1]).enumerated() {
        XCTAssertFalse(a.isEmpty, "\(mode) part \(index)")
        XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "\(mode) part \(index)")
      }
      // One concatenation for the block, one per layer for the reference's order.
      XCTAssertEqual(concatenations, [1, 3], "\(mode)")
    }
  }

  func testInvalidArguments_throwModelError() {
    XCTAssertThrowsError(try denseNet(size: 7)) {
      XCTAssertTrue($0 is ModelError, "three transitions need 8 pixels")
    }
    XCTAssertThrowsError(try denseNet(blocks: []))
    XCTAssertThrowsError(try denseNet(growthRate: 0))
  }
}
