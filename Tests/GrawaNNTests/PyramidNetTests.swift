import GrawaTensor
import XCTest
import _TestSupport

@testable import GrawaNN

final class PyramidNetTests: XCTestCase {
  private func pyramidNet(
    depth: Int = 110, alpha: Int = 270, channels: Int = 3, size: Int = 32, classes: Int = 10,
    seed: UInt64 = 42
  ) throws -> PyramidNet {
    var generator = RandomGenerator(seed: seed)
    return try PyramidNet(
      depth: depth, alpha: alpha, inputChannels: channels, inputSize: size, classes: classes,
      generator: &generator)
  }

  private func shapes(_ model: any Layer) -> [String: [Int]] {
    Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.shape) })
  }

  func testPyramidNet110Alpha270_matchesTheAuthorsCountsNamesAndInitialization() throws {
    let model = try pyramidNet(classes: 10)
    try ModelTesting.assertCounts(model, parameters: 28_485_477, tensors: 439)
    let names = model.namedParameters.map(\.name)
    XCTAssertEqual(
      Array(names.prefix(9)),
      [
        "conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.bn1.weight", "layer1.0.bn1.bias",
        "layer1.0.conv1.weight", "layer1.0.bn2.weight", "layer1.0.bn2.bias",
        "layer1.0.conv2.weight",
      ])
    XCTAssertEqual(
      Array(names.suffix(4)), ["bn_final.weight", "bn_final.bias", "fc.weight", "fc.bias"])
    // 18 blocks per stage, each adding 270 / 54 = 5 channels: 21 after the first block, 106 at
    // the end of stage 1, 16 + 270 = 286 at the end.
    let shapes = shapes(model)
    XCTAssertEqual(shapes["layer1.0.conv1.weight"], [21, 16, 3, 3])
    XCTAssertEqual(shapes["layer2.0.bn1.weight"], [106])
    XCTAssertEqual(shapes["layer2.0.conv1.weight"], [111, 106, 3, 3])
    XCTAssertEqual(shapes["layer3.17.bn3.weight"], [286])
    XCTAssertEqual(shapes["fc.weight"], [10, 286])
    ModelTesting.assertNamesUniqueAndBatchNormFresh(model)
    // The reference draws convolutions from N(0, 2 / (k * k * out)), i.e. Kaiming normal on fan-out.
    let weight = try XCTUnwrap(model.namedParameters.first { $0.name == "layer3.17.conv2.weight" })
      .parameter
    let expected = (2.0 / Double(9 * 286)).squareRoot()
    XCTAssertEqual(
      ModelTesting.moments(weight.value.scalars).standardDeviation, expected,
      accuracy: 0.02 * expected)
  }

  func testPyramidNet110Alpha270_hundredClasses() throws {
    try ModelTesting.assertCounts(
      try pyramidNet(classes: 100), parameters: 28_511_307, tensors: 439)
  }

  func testWidths_roundHalfToEvenLikePython3() throws {
    // depth 14: two blocks per stage, 3 / 6 = 0.5 channels per block. Running widths 16.5, 17,
    // 17.5, 18, 18.5, 19 round (half to even) to 16, 17, 18, 18, 18, 19.
    let shapes = shapes(try pyramidNet(depth: 14, alpha: 3))
    let widths = ["layer1.0", "layer1.1", "layer2.0", "layer2.1", "layer3.0", "layer3.1"].map {
      shapes["\($0).conv1.weight"]?.first ?? -1
    }
    XCTAssertEqual(widths, [16, 17, 18, 18, 18, 19])
    XCTAssertEqual(shapes["fc.weight"], [10, 19])
  }

  func testForward_reducedNetworkGivesLogitsForFashionMNISTAndCIFARInputs() throws {
    try ModelTesting.assertForwardShape(
      try pyramidNet(depth: 20, alpha: 48, channels: 1, size: 28), channels: 1, size: 28,
      classes: 10)
    try ModelTesting.assertForwardShape(
      try pyramidNet(depth: 20, alpha: 48, classes: 100), channels: 3, size: 32, classes: 100)
  }

  func testDownsamplingBlock_shortcutAveragePoolsAndAppendsZeroChannels() throws {
    var generator = RandomGenerator(seed: 3)
    let block = PyramidBasicBlock(inputPlanes: 4, planes: 6, stride: 2, generator: &generator)
    // Zero convolutions make the residual bn3(0) = 0; what is left is the shortcut:
    // 2x2 average pooling, then 2 zero channels after the 4 pooled ones.
    try ModelTesting.zero(block) { $0.hasSuffix("conv1.weight") || $0.hasSuffix("conv2.weight") }
    let x = ModelTesting.images(batch: 1, channels: 4, size: 4)
    let y = try block(x, ForwardContext(mode: .training))
    XCTAssertEqual(y.shape, [1, 6, 2, 2])
    var expected = [Float](repeating: 0, count: 6 * 4)
    for c in 0..<4 {
      for i in 0..<2 {
        for j in 0..<2 {
          let base = (c * 4 + 2 * i) * 4 + 2 * j
          let sum =
            x.scalars[base] + x.scalars[base + 1] + x.scalars[base + 4] + x.scalars[base + 5]
          expected[(c * 2 + i) * 2 + j] = sum / 4
        }
      }
    }
    assertClose(y.scalars, expected, rtol: 1e-6, atol: 1e-6)
  }

  func testInvalidArguments_throwModelError() {
    XCTAssertThrowsError(try pyramidNet(depth: 111)) { XCTAssertTrue($0 is ModelError) }
    XCTAssertThrowsError(try pyramidNet(depth: 20, alpha: -1))
    XCTAssertThrowsError(
      try pyramidNet(depth: 20, alpha: 48, size: 30), "30 is not a multiple of 4")
  }
}
