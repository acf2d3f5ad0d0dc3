import GrawaNN
import GrawaTensor
import XCTest
import _TestSupport

final class ResNet18Tests: XCTestCase {
  private func resNet18(channels: Int = 3, size: Int = 32, classes: Int = 10, seed: UInt64 = 42)
    throws -> ResNet18
  {
    var generator = RandomGenerator(seed: seed)
    return try ResNet18(
      inputChannels: channels, inputSize: size, classes: classes, generator: &generator)
  }

  func testCounts_matchTheHandComputedFigures() throws {
    // Not in docs/algorithms.md's table ("Models and parameter counts"); computed by hand for 3 input channels:
    //   stem:   conv 64*3*9 = 1,728 + bn 128                                        =     1,856
    //   layer1: 2 x (2 * 64*64*9 = 73,728 + 2 bn 256)                               =   147,968
    //   layer2: block 0: 128*64*9 + 128*128*9 + 512 + shortcut 128*64 + 256 = 230,144
    //           block 1: 2 * 147,456 + 512 = 295,424                                =   525,568
    //   layer3: block 0: 294,912 + 589,824 + 1,024 + 32,768 + 512 = 919,040
    //           block 1: 2 * 589,824 + 1,024 = 1,180,672                            = 2,099,712
    //   layer4: block 0: 1,179,648 + 2,359,296 + 2,048 + 131,072 + 1,024 = 3,673,088
    //           block 1: 2 * 2,359,296 + 2,048 = 4,720,640                          = 8,393,728
    //   linear: 512*10 + 10                                                         =     5,130
    //   total 11,173,962 (the well-known figure); 100 classes add 90 * 513 = 46,170.
    // Tensors: 3 (stem) + 8 blocks * 6 + 3 shortcuts * 3 + 2 (linear) = 62.
    try ModelTesting.assertCounts(try resNet18(classes: 10), parameters: 11_173_962, tensors: 62)
    try ModelTesting.assertCounts(try resNet18(classes: 100), parameters: 11_220_132, tensors: 62)
  }

  func testNames_followKuangliusCIFARResNet() throws {
    let model = try resNet18()
    let names = model.namedParameters.map(\.name)
    XCTAssertEqual(
      Array(names.prefix(4)), ["conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.conv1.weight"])
    XCTAssertEqual(Array(names.suffix(2)), ["linear.weight", "linear.bias"])
    let shapes = Dictionary(
      uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.shape) })
    XCTAssertEqual(shapes["conv1.weight"], [64, 3, 3, 3], "3x3 stem")
    XCTAssertEqual(shapes["layer2.0.shortcut.0.weight"], [128, 64, 1, 1], "projection convolution")
    XCTAssertEqual(shapes["layer2.0.shortcut.1.weight"], [128], "projection batch norm")
    XCTAssertNil(shapes["layer1.0.shortcut.0.weight"], "identity shortcut in layer1")
    XCTAssertNil(shapes["layer2.1.shortcut.0.weight"], "identity shortcut after the first block")
    XCTAssertEqual(shapes["linear.weight"], [10, 512])
    ModelTesting.assertNamesUniqueAndBatchNormFresh(model)
    XCTAssertTrue(model.namedBuffers.map(\.name).contains("layer4.0.shortcut.1.running_var"))
  }

  func testForward_givesLogitsForFashionMNISTAndCIFARInputs() throws {
    try ModelTesting.assertForwardShape(
      try resNet18(channels: 1, size: 28), channels: 1, size: 28, classes: 10)
    try ModelTesting.assertForwardShape(
      try resNet18(classes: 100), channels: 3, size: 32, classes: 100)
  }

  func testSameSeed_givesIdenticalParameters() throws {
    ModelTesting.assertIdenticalParameters(try resNet18(seed: 1), try resNet18(seed: 1))
  }
}
