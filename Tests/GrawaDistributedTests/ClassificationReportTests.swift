import GrawaData
import GrawaDistributed
import GrawaNN
import GrawaTensor
import XCTest

/// Batches held in memory, visited in order.
private struct FixedBatches: BatchSequence {
  var batches: [Batch]
  func forEachBatch(_ body: (Batch) throws -> Void) throws {
    for batch in batches { try body(batch) }
  }
}

final class ClassificationReportTests: XCTestCase {
  /// A 2 -> 3 linear model whose logits are the inputs' first two values and their sum, so
  /// each prediction is known by hand.
  private func model() throws -> Linear {
    var generator = RandomGenerator(seed: 0)
    let layer = Linear(inputFeatures: 2, outputFeatures: 3, generator: &generator)
    try layer.weight.value.assign([1, 0, 0, 1, 1, 1])
    try layer.bias!.value.assign([0, 0, 0])
    return layer
  }

  func testClassify_countsTrueAgainstPredictedClasses() throws {
    // Logits (x0, x1, x0 + x1); a tie goes to the first class. [2, 0]: (2, 0, 2) -> 0, label 0.
    // [0, 1]: (0, 1, 1) -> 1, label 2. [1, 1]: (1, 1, 2) -> 2, label 2. [-1, -1]: (-1, -1, -2) -> 0, label 1.
    let first = Batch(
      index: 0, images: try Tensor(shape: [2, 2], scalars: [2, 0, 0, 1]), labels: [0, 2], sampleIndices: [0, 1])
    let second = Batch(
      index: 1, images: try Tensor(shape: [2, 2], scalars: [1, 1, -1, -1]), labels: [2, 1], sampleIndices: [2, 3])
    let report = try Evaluation.classify(try model(), on: FixedBatches(batches: [first, second]), classes: 3)
    XCTAssertEqual(report.confusion, [[1, 0, 0], [1, 0, 0], [0, 1, 1]])
    XCTAssertEqual(report.count, 4)
    XCTAssertEqual(report.correct, 2)
    XCTAssertEqual(report.error, 0.5)
    XCTAssertEqual(report.classCounts, [1, 1, 2])
    XCTAssertEqual(report.classAccuracy, [1, 0, 0.5])
    // The loss and error are those of `evaluate` on the same batches.
    let plain = try Evaluation.evaluate(try model(), on: FixedBatches(batches: [first, second]))
    XCTAssertEqual(report.result, plain)
  }

  func testClassify_refusesOutputsAndLabelsThatDoNotFit() throws {
    let batch = Batch(index: 0, images: try Tensor(shape: [1, 2], scalars: [0, 0]), labels: [3], sampleIndices: [0])
    XCTAssertThrowsError(try Evaluation.classify(try model(), on: FixedBatches(batches: [batch]), classes: 3)) {
      XCTAssertTrue("\($0)".contains("label 3"), "\($0)")
    }
    XCTAssertThrowsError(try Evaluation.classify(try model(), on: FixedBatches(batches: [batch]), classes: 4)) {
      XCTAssertTrue("\($0)".contains("expected [1, 4]"), "\($0)")
    }
  }

  func testEmptyClass_hasNaNAccuracy() {
    let report = ClassificationReport(loss: 0, count: 1, confusion: [[1, 0], [0, 0]])
    XCTAssertEqual(report.classAccuracy[0], 1)
    XCTAssertTrue(report.classAccuracy[1].isNaN)
  }
}
