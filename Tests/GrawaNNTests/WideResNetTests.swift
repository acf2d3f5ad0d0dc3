import GrawaTensor
import XCTest
import _TestSupport

@testable import GrawaNN

final class WideResNetTests: XCTestCase {
  private func wideResNet(
    depth: Int = 28, widenFactor: Int = 10, dropout: Float = 0, channels: Int = 3, size: Int = 32,
    classes: Int = 10, seed: UInt64 = 42
  ) throws -> WideResNet {
    var generator = RandomGenerator(seed: seed)
    return try WideResNet(
      depth: depth, widenFactor: widenFactor, dropoutProbability: dropout, inputChannels: channels,
      inputSize: size, classes: classes, generator: &generator)
  }

  func testWRN28x10_matchesTheAuthorsCountsNamesAndInitialization() throws {
    let model = try wideResNet(classes: 10)
    try ModelTesting.assertCounts(model, parameters: 36_479_194, tensors: 80)
    let names = model.namedParameters.map(\.name)
    XCTAssertEqual(
      Array(names.prefix(8)),
      [
        "conv1.weight", "block1.layer.0.bn1.weight", "block1.layer.0.bn1.bias",
        "block1.layer.0.conv1.weight",
        "block1.layer.0.bn2.weight", "block1.layer.0.bn2.bias", "block1.layer.0.conv2.weight",
        "block1.layer.0.convShortcut.weight",
      ])
    XCTAssertEqual(Array(names.suffix(4)), ["bn1.weight", "bn1.bias", "fc.weight", "fc.bias"])
    XCTAssertEqual(
      names.filter { $0.hasSuffix("convShortcut.weight") }.count, 3, "one projection per group")
    XCTAssertFalse(
      names.contains { $0.contains("conv") && $0.hasSuffix(".bias") }, "no convolution biases")
    let shapes = Dictionary(
      uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.shape) })
    XCTAssertEqual(shapes["block1.layer.0.conv1.weight"], [160, 16, 3, 3])
    XCTAssertEqual(shapes["block3.layer.3.conv2.weight"], [640, 640, 3, 3])
    XCTAssertEqual(shapes["fc.weight"], [10, 640])
    ModelTesting.assertNamesUniqueAndBatchNormFresh(model)

    let parameters = Dictionary(
      uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter) })
    XCTAssertEqual(
      parameters["fc.bias"]?.value.scalars, [Float](repeating: 0, count: 10), "linear bias zeroed")
    let weight = try XCTUnwrap(parameters["block3.layer.3.conv2.weight"]).value
    let expected = (2.0 / Double(640 * 9)).squareRoot()
    XCTAssertEqual(
      ModelTesting.moments(weight.scalars).standardDeviation, expected, accuracy: 0.01 * expected)
  }

  func testWRN28x10_hundredClasses() throws {
    try ModelTesting.assertCounts(try wideResNet(classes: 100), parameters: 36_536_884, tensors: 80)
  }

  func testForward_reducedNetworkGivesLogitsForFashionMNISTAndCIFARInputs() throws {
    // WRN-10-1: one block per group (16, 16, 32, 64 channels), with dropout on.
    let small = try wideResNet(depth: 10, widenFactor: 1, dropout: 0.3, channels: 1, size: 28)
    XCTAssertEqual(
      small.namedParameters.filter { $0.name.hasSuffix("convShortcut.weight") }.count, 2)
    try ModelTesting.assertForwardShape(small, channels: 1, size: 28, classes: 10)
    try ModelTesting.assertForwardShape(
      try wideResNet(depth: 10, widenFactor: 2, classes: 100), channels: 3, size: 32, classes: 100)
  }

  func testProjectionBlock_shortcutConvolvesThePreActivatedInput() throws {
    var generator = RandomGenerator(seed: 3)
    let block = WideBasicBlock(
      inputPlanes: 2, outputPlanes: 3, stride: 1, dropoutProbability: 0, generator: &generator)
    // Zero conv2 leaves the shortcut alone; a 1x1 projection with weight w[o][i] = 1 if o == i
    // copies channels 0 and 1 of relu(bn1(x)) and leaves channel 2 at 0. With batch statistics,
    // bn1(x) standardises each channel, so the result is not x itself: the reference projects the
    // pre-activated input, not the raw one.
    try ModelTesting.zero(block) { $0 == "conv2.weight" }
    let projection = try XCTUnwrap(block.convShortcut).weight
    try projection.value.assign([1, 0, 0, 1, 0, 0])
    let x = ModelTesting.images(batch: 2, channels: 2, size: 3)
    let context = ForwardContext(mode: .training)
    let activated = try block.bn1(x, context).relu()
    let y = try block(x, context)
    XCTAssertEqual(y.shape, [2, 3, 3, 3])
    for n in 0..<2 {
      for c in 0..<3 {
        let out = Array(y.scalars[((n * 3 + c) * 9)..<((n * 3 + c + 1) * 9)])
        let want =
          c < 2
          ? Array(activated.scalars[((n * 2 + c) * 9)..<((n * 2 + c + 1) * 9)])
          : [Float](repeating: 0, count: 9)
        XCTAssertEqual(out, want, "sample \(n) channel \(c)")
      }
    }
  }

  func testInvalidArguments_throwModelError() {
    XCTAssertThrowsError(try wideResNet(depth: 27)) { XCTAssertTrue($0 is ModelError) }
    XCTAssertThrowsError(try wideResNet(depth: 10, widenFactor: 0))
    XCTAssertThrowsError(try wideResNet(depth: 10, widenFactor: 1, dropout: 1))
  }
}
