import GrawaData
import XCTest
import _TestSupport

final class SyntheticDatasetTests: XCTestCase {
  private let small = SyntheticDataset(
    imageShape: ImageShape(channels: 3, height: 16, width: 16), classCount: 5, trainCount: 500,
    testCount: 200, seed: 4)

  func testSameSeed_sameImagesAndDifferentSeed_differentImages() throws {
    let first = try small.makeSplits()
    let second = try small.makeSplits()
    XCTAssertEqual(first.train, second.train)
    XCTAssertEqual(first.test, second.test)
    var other = small
    other.seed = 5
    XCTAssertNotEqual(try other.makeSplits().train.images, first.train.images)
    XCTAssertNotEqual(
      first.train.images, first.test.images.prefix(first.train.images.count).map { $0 })
  }

  func testLabels_areBalancedAndShuffled() throws {
    let train = try small.makeSplits().train
    XCTAssertEqual(train.classCounts(), [100, 100, 100, 100, 100])
    XCTAssertNotEqual(train.labels, (0..<500).map { $0 % 5 })
  }

  /// "Learnable": class means estimated from the training split classify the test split.
  private func nearestMeanAccuracy(_ task: SyntheticDataset) throws -> Double {
    let (train, test) = try task.makeSplits()
    let size = train.imageShape.elementCount
    var means = [[Float]](repeating: [Float](repeating: 0, count: size), count: train.classCount)
    for index in 0..<train.count {
      for (offset, byte) in train.pixels(at: index).enumerated() {
        means[train.labels[index]][offset] += Float(byte)
      }
    }
    let counts = train.classCounts()
    means = means.enumerated().map { label, sum in sum.map { $0 / Float(counts[label]) } }
    var correct = 0
    for index in 0..<test.count {
      let pixels = test.pixels(at: index).map(Float.init)
      let distances = means.map { mean in
        zip(mean, pixels).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
      }
      if distances.firstIndex(of: distances.min() ?? 0) == test.labels[index] {
        correct += 1
      }
    }
    return Double(correct) / Double(test.count)
  }

  func testNearestClassMean_learnsTheTaskAtDefaultNoise() throws {
    XCTAssertGreaterThan(try nearestMeanAccuracy(small), 0.95)
    // The test can fail: with overwhelming noise the same classifier is near chance (0.2).
    var noisy = small
    noisy.noise = 1_000_000
    XCTAssertLessThan(try nearestMeanAccuracy(noisy), 0.4)
  }

  func testTemplates_areSmoothAndInRange() {
    let templates = small.classTemplates()
    XCTAssertEqual(templates.count, 5)
    for template in templates {
      XCTAssertTrue(template.allSatisfy { $0 >= 32 && $0 <= 223 })
      // Neighbouring pixels of a bilinear 4x4 -> 16x16 stretch differ by at most 191 / 5.
      for row in 0..<16 {
        for column in 0..<15 {
          XCTAssertLessThanOrEqual(
            abs(template[row * 16 + column + 1] - template[row * 16 + column]), 191 / 5 + 1e-3)
        }
      }
    }
  }

  func testInvalidConfiguration_throws() {
    var bad = small
    bad.trainCount = 0
    assertDataError(path: nil, contains: ["train and test counts"]) { _ = try bad.makeSplits() }
    bad = small
    bad.noise = -1
    assertDataError(path: nil, contains: ["noise -1.0"]) { _ = try bad.makeSplits() }
  }
}
