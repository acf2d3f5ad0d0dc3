import GrawaExperiments
import XCTest
import _TestSupport

@testable import GrawaData

final class DatasetKindTests: XCTestCase {
  func testRawValues_areTheCommandLineNames() {
    XCTAssertEqual(
      DatasetKind.allCases.map(\.rawValue),
      ["fashion-mnist", "mnist", "cifar10", "cifar100", "synthetic"])
    XCTAssertEqual(DatasetKind(rawValue: "fashion-mnist"), .fashionMNIST)
  }

  func testProperties_describeEachDataset() {
    XCTAssertEqual(DatasetKind.fashionMNIST.defaultDirectory, "/usr/share/datasets/fashion-mnist")
    XCTAssertEqual(DatasetKind.mnist.defaultDirectory, "/usr/share/datasets/mnist")
    XCTAssertEqual(DatasetKind.cifar10.defaultDirectory, "data/cifar-10-batches-bin")
    XCTAssertEqual(DatasetKind.cifar100.defaultDirectory, "data/cifar-100-binary")
    XCTAssertNil(DatasetKind.synthetic.defaultDirectory)
    XCTAssertEqual(DatasetKind.allCases.map(\.classCount), [10, 10, 10, 100, 10])
    XCTAssertEqual(DatasetKind.mnist.imageShape, ImageShape(channels: 1, height: 28, width: 28))
    XCTAssertEqual(DatasetKind.cifar100.imageShape, ImageShape(channels: 3, height: 32, width: 32))
    XCTAssertEqual(DatasetKind.cifar10.fixedNormalization, .cifar10)
    XCTAssertEqual(DatasetKind.cifar100.fixedNormalization, .cifar100)
    XCTAssertNil(DatasetKind.fashionMNIST.fixedNormalization)
    XCTAssertTrue(DatasetKind.allCases.allSatisfy { !$0.summary.isEmpty })
  }

  /// `DatasetKind.synthetic.load()`, generated once for the tests that read it.
  private static let synthetic = Result {
    try DatasetKind.synthetic.load(directory: "/nonexistent")
  }

  func testNormalization_isFixedForCIFARAndComputedOtherwise() throws {
    let train = try Self.synthetic.get().train
    XCTAssertEqual(DatasetKind.cifar10.normalization(trainingSet: train), .cifar10)
    XCTAssertEqual(
      DatasetKind.synthetic.normalization(trainingSet: train), train.channelStatistics())
  }

  func testSynthetic_loadsWithoutFiles() throws {
    let splits = try Self.synthetic.get()
    XCTAssertEqual(splits.train.count, 5000)
    XCTAssertEqual(splits.test.count, 1000)
    XCTAssertEqual(splits.train.imageShape, DatasetKind.synthetic.imageShape)
  }

  func testCIFAR10_loadsFromAGivenDirectory() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let record = [UInt8(4)] + [UInt8](repeating: 9, count: 3072)
    for file in CIFARReader.cifar10TrainFiles + [CIFARReader.cifar10TestFile] {
      try directory.write(record, to: "cifar-10-batches-bin/" + file)
    }
    let splits = try DatasetKind.cifar10.load(directory: directory.path)
    XCTAssertEqual(splits.train.count, 5)
    XCTAssertEqual(splits.test.labels, [4])
  }

  func testMissingFiles_throwNamingTheFile() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    assertDataError(
      path: directory.file("train-images-idx3-ubyte.gz"), contains: ["file not found"]
    ) {
      _ = try DatasetKind.mnist.load(directory: directory.path)
    }
  }

  func testWrongImageSize_isRejected() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let images = idxFile(magic: 0x0803, dimensions: [1, 2, 2], payload: [1, 2, 3, 4])
    let labels = idxFile(magic: 0x0801, dimensions: [1], payload: [3])
    for prefix in ["train", "t10k"] {
      try directory.write(images, to: "\(prefix)-images-idx3-ubyte")
      try directory.write(labels, to: "\(prefix)-labels-idx1-ubyte")
    }
    assertDataError(path: directory.path, contains: ["1x2x2 images", "expects 1x28x28"]) {
      _ = try DatasetKind.mnist.load(directory: directory.path)
    }
  }

  func testFashionMNIST_loadsFromTheDefaultDirectory() throws {
    let splits = try FashionMNISTFixture.load()
    XCTAssertEqual(splits.train.name, "fashion-mnist/train")
    XCTAssertEqual(splits.train.imageShape, DatasetKind.fashionMNIST.imageShape)
  }
}
