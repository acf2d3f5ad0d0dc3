import GrawaNN
import GrawaTensor
import GrawaExperiments
import XCTest
import _TestSupport

final class ModelKindTests: XCTestCase {
  func testRawValues_areTheCommandLineNames() {
    XCTAssertEqual(
      ModelKind.allCases.map(\.rawValue),
      [
        "resnet20", "resnet56", "resnet18", "resnet50", "vgg16", "pyramidnet110", "densenet121",
        "wideresnet28-10", "tiny-cnn",
      ])
    XCTAssertEqual(ModelKind(rawValue: "wideresnet28-10"), .wideresnet28x10)
    XCTAssertNil(ModelKind(rawValue: "ResNet20"))
  }

  func testSummaries_areDistinctSingleLines() {
    let summaries = ModelKind.allCases.map(\.summary)
    XCTAssertEqual(Set(summaries).count, summaries.count)
    for summary in summaries {
      XCTAssertFalse(summary.isEmpty)
      XCTAssertFalse(summary.contains("\n"))
    }
  }

  func testMake_buildsEveryModelWithTheReferenceCountsForCIFAR10() throws {
    // docs/algorithms.md, "Models and parameter counts" (3 input channels, 10 classes). ResNet-18 is hand-computed in
    // ResNet18Tests; ResNet-50's table row is for 1000 classes: 25,557,032 - 990 * 2049.
    let expected: [ModelKind: (parameters: Int, tensors: Int)] = [
      .resnet20: (269_722, 59),
      .resnet56: (853_018, 167),
      .resnet18: (11_173_962, 62),
      .resnet50: (25_557_032 - 990 * 2049, 161),
      .vgg16: (15_253_578, 58),
      .pyramidnet110: (28_485_477, 439),
      .densenet121: (6_956_298, 362),
      .wideresnet28x10: (36_479_194, 80),
      // conv1 8*3*9 = 216 (no bias); bn1 8+8; conv2 16*8*9 = 1152; bn2 16+16; fc 16*10 + 10.
      .tinyCNN: (1_586, 8),
    ]
    for kind in ModelKind.allCases {
      var generator = RandomGenerator(seed: 1)
      let model = try kind.make(inputChannels: 3, inputSize: 32, classes: 10, generator: &generator)
      let want = try XCTUnwrap(expected[kind], "\(kind) missing from the table")
      XCTAssertEqual(model.parameterCount, want.parameters, "\(kind)")
      XCTAssertEqual(model.namedParameters.count, want.tensors, "\(kind)")
    }
  }

  func testMake_acceptsFashionMNISTInputs() throws {
    for kind in [ModelKind.resnet20, .vgg16] {
      var generator = RandomGenerator(seed: 1)
      let model = try kind.make(inputChannels: 1, inputSize: 28, classes: 10, generator: &generator)
      try ModelTesting.assertForwardShape(model, channels: 1, size: 28, classes: 10)
    }
  }

  func testMake_isDeterministicInTheGenerator() throws {
    var first = RandomGenerator(seed: 8)
    var second = RandomGenerator(seed: 8)
    let a = try ModelKind.resnet56.make(
      inputChannels: 3, inputSize: 32, classes: 100, generator: &first)
    let b = try ModelKind.resnet56.make(
      inputChannels: 3, inputSize: 32, classes: 100, generator: &second)
    ModelTesting.assertIdenticalParameters(a, b)
    XCTAssertEqual(first, second, "both builds consumed the same draws")
  }

  func testMake_rejectsArgumentsAModelCannotTake() {
    var generator = RandomGenerator(seed: 1)
    XCTAssertThrowsError(
      try ModelKind.resnet20.make(
        inputChannels: 3, inputSize: 32, classes: 0, generator: &generator))
    XCTAssertThrowsError(
      try ModelKind.pyramidnet110.make(
        inputChannels: 3, inputSize: 30, classes: 10, generator: &generator))
  }
}
