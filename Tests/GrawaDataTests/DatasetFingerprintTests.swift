import GrawaData
import XCTest

/// The training-set fingerprint a run records (issue 16): equal for equal contents wherever they
/// come from, different, and saying how, for any change of an image byte, a label or the count.
final class DatasetFingerprintTests: XCTestCase {
  private func dataset(images: [UInt8], labels: [Int], name: String = "tiny") throws -> Dataset {
    try Dataset(
      name: name, imageShape: ImageShape(channels: 1, height: 2, width: 2), classCount: 3, images: images,
      labels: labels)
  }

  private let images: [UInt8] = [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]
  private let labels = [2, 0, 1]

  func testEqualContents_giveEqualFingerprints_whateverTheName() throws {
    let first = DatasetFingerprint(of: try dataset(images: images, labels: labels))
    let second = DatasetFingerprint(of: try dataset(images: images, labels: labels, name: "elsewhere"))
    XCTAssertEqual(first, second)
    XCTAssertEqual(first.differences(from: second), [])
    XCTAssertEqual(first.count, 3)
    XCTAssertEqual(first.imageShape, "1x2x2")
    XCTAssertEqual(first.imagesCRC32.count, 8)
  }

  func testImagesCRC32_isZlibsCRC32OfTheBytes() throws {
    // The standard check value of CRC-32 over "123456789".
    let check = DatasetFingerprint(
      of: try Dataset(name: "x", imageShape: ImageShape(channels: 1, height: 1, width: 9), classCount: 1,
        images: Array("123456789".utf8), labels: [0]))
    XCTAssertEqual(check.imagesCRC32, "cbf43926")
  }

  func testEveryChange_isDetectedAndNamed() throws {
    let recorded = DatasetFingerprint(of: try dataset(images: images, labels: labels))
    var changedPixel = images
    changedPixel[7] ^= 1
    XCTAssertEqual(
      DatasetFingerprint(of: try dataset(images: changedPixel, labels: labels)).differences(from: recorded).count, 1)
    XCTAssertTrue(
      DatasetFingerprint(of: try dataset(images: changedPixel, labels: labels)).differences(from: recorded)[0]
        .hasPrefix("the image bytes differ"))
    XCTAssertTrue(
      DatasetFingerprint(of: try dataset(images: images, labels: [2, 1, 1])).differences(from: recorded)[0]
        .hasPrefix("the labels differ"))
    XCTAssertEqual(
      DatasetFingerprint(of: try dataset(images: Array(images.prefix(8)), labels: [2, 0])).differences(from: recorded),
      ["2 images, the run's 3"])
  }
}
