import GrawaNN
import GrawaTensor
import XCTest
import _TestSupport

final class ResNet50Tests: XCTestCase {
  private func resNet50(channels: Int = 3, size: Int = 224, classes: Int = 1000, seed: UInt64 = 42)
    throws -> ResNet50
  {
    var generator = RandomGenerator(seed: seed)
    return try ResNet50(
      inputChannels: channels, inputSize: size, classes: classes, generator: &generator)
  }

  func testImageNetModel_matchesTorchvisionCountsAndNames() throws {
    let model = try resNet50()
    try ModelTesting.assertCounts(model, parameters: 25_557_032, tensors: 161)
    let names = model.namedParameters.map(\.name)
    XCTAssertEqual(
      Array(names.prefix(6)),
      [
        "conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.conv1.weight", "layer1.0.bn1.weight",
        "layer1.0.bn1.bias",
      ])
    XCTAssertEqual(Array(names.suffix(2)), ["fc.weight", "fc.bias"])
    let shapes = Dictionary(
      uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.shape) })
    XCTAssertEqual(shapes["conv1.weight"], [64, 3, 7, 7])
    XCTAssertEqual(shapes["layer1.0.downsample.0.weight"], [256, 64, 1, 1])
    XCTAssertEqual(shapes["layer1.0.downsample.1.weight"], [256])
    XCTAssertEqual(shapes["layer3.0.conv2.weight"], [256, 256, 3, 3])
    XCTAssertEqual(shapes["layer4.2.conv3.weight"], [2048, 512, 1, 1])
    XCTAssertNil(shapes["layer1.1.downsample.0.weight"])
    XCTAssertEqual(shapes["fc.weight"], [1000, 2048])
    XCTAssertEqual(
      names.filter { $0.contains("downsample.0") }.count, 4, "one projection per stage")
    ModelTesting.assertNamesUniqueAndBatchNormFresh(model)

    // torchvision: kaiming_normal_(mode = "fan_out", nonlinearity = "relu") on every convolution.
    for (name, parameter) in model.namedParameters
    where name == "layer4.0.conv2.weight" || name == "conv1.weight" {
      let fanOut = Double(parameter.shape[0] * parameter.shape[2] * parameter.shape[3])
      let expected = (2 / fanOut).squareRoot()
      XCTAssertEqual(
        ModelTesting.moments(parameter.value.scalars).standardDeviation, expected,
        accuracy: 0.03 * expected, name)
    }
  }

  func testForward_onReducedInputs() throws {
    // 64x64: 32 after the stem, 16 after the max pool, then 16, 8, 4, 2 through the stages.
    let model = try resNet50(size: 64, classes: 10)
    try ModelTesting.assertForwardShape(model, channels: 3, size: 64, classes: 10)
    try ModelTesting.assertForwardShape(
      try resNet50(channels: 1, size: 28, classes: 10), channels: 1, size: 28, classes: 10)
  }
}
