import GrawaData
import XCTest
import _TestSupport

final class NormalizationTests: XCTestCase {
  func testCIFARConstants_matchTheAuthorsCode() {
    XCTAssertEqual(Normalization.cifar10.mean, [0.4914, 0.4822, 0.4465])
    XCTAssertEqual(Normalization.cifar10.std, [0.2023, 0.1994, 0.2010])
    XCTAssertEqual(Normalization.cifar100.mean, [0.5071, 0.4867, 0.4408])
    XCTAssertEqual(Normalization.cifar100.std, [0.2675, 0.2565, 0.2761])
  }

  func testDescription_roundsToFourDecimals() {
    XCTAssertEqual(
      Normalization(mean: [0.28604], std: [0.35302]).description, "mean [0.2860], std [0.3530]")
    XCTAssertEqual(
      Normalization(mean: [-0.5, 1], std: [0.00007, 2]).description,
      "mean [-0.5000, 1.0000], std [0.0001, 2.0000]")
  }

  func testValidation_rejectsWrongChannelCountAndBadStd() {
    let step = AugmentationStep.normalize(Normalization(mean: [0.5], std: [0.5]))
    assertDataError(path: nil, contains: ["1 means", "3-channel"]) {
      _ = try AugmentationPipeline([step]).outputShape(
        for: ImageShape(channels: 3, height: 2, width: 2))
    }
    let zeroStd = AugmentationStep.normalize(Normalization(mean: [0.5], std: [0]))
    assertDataError(path: nil, contains: ["standard deviation 0.0"]) {
      _ = try AugmentationPipeline([zeroStd]).outputShape(
        for: ImageShape(channels: 1, height: 2, width: 2))
    }
  }
}
