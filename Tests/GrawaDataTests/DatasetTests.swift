import GrawaData
import XCTest
import _TestSupport

final class DatasetTests: XCTestCase {
  /// Two 2x1x2 images: channel 0 holds [0, 255] and [255, 0], channel 1 holds [51, 51] twice.
  private func tiny() throws -> Dataset {
    try Dataset(
      name: "tiny", imageShape: ImageShape(channels: 2, height: 1, width: 2), classCount: 3,
      images: [0, 255, 51, 51, 255, 0, 51, 51], labels: [2, 0])
  }

  func testPixelsAndCounts() throws {
    let dataset = try tiny()
    XCTAssertEqual(dataset.count, 2)
    XCTAssertEqual(Array(dataset.pixels(at: 1)), [255, 0, 51, 51])
    XCTAssertEqual(dataset.classCounts(), [1, 0, 1])
    XCTAssertEqual(dataset.imageShape.elementCount, 4)
    XCTAssertEqual(dataset.imageShape.description, "2x1x2")
  }

  func testChannelStatistics_matchHandComputedValues() throws {
    // Channel 0: values 0, 1, 1, 0 in [0, 1] scale: mean 0.5, population std 0.5.
    // Channel 1: 0.2 four times: mean 0.2, std 0.
    let statistics = try tiny().channelStatistics()
    XCTAssertEqual(statistics.mean[0], 0.5, accuracy: 1e-7)
    XCTAssertEqual(statistics.std[0], 0.5, accuracy: 1e-7)
    XCTAssertEqual(statistics.mean[1], 0.2, accuracy: 1e-7)
    XCTAssertEqual(statistics.std[1], 0, accuracy: 1e-4)
  }

  func testSubset_copiesImagesLabelsAndCoarseLabelsInOrder() throws {
    let dataset = try Dataset(
      name: "d", imageShape: ImageShape(channels: 1, height: 1, width: 1), classCount: 5,
      images: [10, 11, 12], labels: [4, 3, 2],
      coarseLabels: CoarseLabels(labels: [1, 0, 1], classCount: 2))
    let subset = try dataset.subset([2, 0, 2], name: "s")
    XCTAssertEqual(subset.name, "s")
    XCTAssertEqual(subset.images, [12, 10, 12])
    XCTAssertEqual(subset.labels, [2, 4, 2])
    XCTAssertEqual(subset.coarseLabels?.labels, [1, 1, 1])
    assertDataError(path: nil, contains: ["subset index 3"]) { _ = try dataset.subset([3]) }
  }

  func testInit_rejectsInconsistentData() {
    let shape = ImageShape(channels: 1, height: 2, width: 2)
    assertDataError(path: nil, contains: ["dataset bad", "2 labels", "need 8 bytes, got 7"]) {
      _ = try Dataset(
        name: "bad", imageShape: shape, classCount: 2, images: [UInt8](repeating: 0, count: 7),
        labels: [0, 1])
    }
    assertDataError(path: nil, contains: ["label 2 at index 1", "2 classes"]) {
      _ = try Dataset(
        name: "bad", imageShape: shape, classCount: 2, images: [UInt8](repeating: 0, count: 8),
        labels: [0, 2])
    }
    assertDataError(path: nil, contains: ["coarse label 5"]) {
      _ = try Dataset(
        name: "bad", imageShape: shape, classCount: 2, images: [UInt8](repeating: 0, count: 4),
        labels: [0],
        coarseLabels: CoarseLabels(labels: [5], classCount: 2))
    }
    assertDataError(path: nil, contains: ["non-positive dimension"]) {
      _ = try Dataset(
        name: "bad", imageShape: ImageShape(channels: 0, height: 1, width: 1), classCount: 2,
        images: [], labels: [])
    }
  }
}
