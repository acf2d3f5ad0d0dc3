import Foundation
import GrawaTensor
import XCTest
import _TestSupport

final class LossTests: XCTestCase {
  /// Row-wise log-softmax in `Double`: x - (max + log sum exp(x - max)).
  private func referenceLogSoftmax(_ values: [Float], columns: Int) -> [Float] {
    var out: [Float] = []
    for r in 0..<(values.count / columns) {
      let row = values[(r * columns)..<((r + 1) * columns)].map(Double.init)
      let top = row.max() ?? 0
      let logTotal = top + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - top) })
      out += row.map { Float($0 - logTotal) }
    }
    return out
  }

  // MARK: - logSoftmax

  func testLogSoftmax_matchesDoubleReference() throws {
    var random = TestRandom(seed: 41)
    for (rows, columns) in [(1, 1), (3, 4), (5, 10), (2, 100)] {
      let x = random.tensor([rows, columns], -5, 5)
      let y = x.logSoftmax()
      XCTAssertEqual(y.shape, x.shape)
      assertClose(
        y.scalars, referenceLogSoftmax(x.scalars, columns: columns), rtol: 1e-5, atol: 2e-6)
    }
  }

  func testLogSoftmax_rowsExponentiateToOne() {
    var random = TestRandom(seed: 42)
    let x = random.tensor([4, 7], -3, 3)
    let y = x.logSoftmax()
    for r in 0..<4 {
      let total = (0..<7).reduce(0.0) { $0 + Foundation.exp(Double(y.scalars[r * 7 + $1])) }
      XCTAssertEqual(total, 1, accuracy: 1e-5, "row \(r)")
    }
  }

  func testLogSoftmax_largeLogitsStayFinite() throws {
    let x = try Tensor(
      shape: [3, 3],
      scalars: [
        1000, 1001, 999,
        -1000, 0, 1000,
        -1000, -1000, -1000,
      ])
    let y = x.logSoftmax()
    XCTAssertTrue(y.scalars.allSatisfy(\.isFinite), "\(y.scalars)")
    assertClose(y.scalars, referenceLogSoftmax(x.scalars, columns: 3), rtol: 1e-6, atol: 1e-6)
    // Equal logits give log(1/3) whatever their size.
    XCTAssertEqual(y.scalars[6], -Float(Foundation.log(3.0)), accuracy: 1e-6)
    // The gradient stays finite too.
    let leaf = x.requiringGradient()
    try leaf.logSoftmax().backward(seed: Tensor.ones([3, 3]))
    XCTAssertTrue(leaf.gradient?.scalars.allSatisfy(\.isFinite) ?? false)
  }

  func testLogSoftmaxGradient_matchesFiniteDifferences() throws {
    var random = TestRandom(seed: 43)
    try checkGradient(of: { $0[0].logSoftmax() }, at: [random.tensor([3, 5], -2, 2)])
    try checkGradient(of: { $0[0].logSoftmax() }, at: [random.tensor([2, 3, 4], -2, 2)])
  }

  func testLogSoftmaxGradient_closedFormWithUniformSeed() throws {
    // With every seed element 1, d/dx_j sum_c logsoftmax_c = 1 - C * softmax_j. For equal logits
    // softmax = 1/C, so the gradient is 0 everywhere; for [0, ln 3], softmax = [1/4, 3/4] and the
    // gradient is [1 - 2/4, 1 - 6/4] = [0.5, -0.5].
    let x = try Tensor(shape: [1, 2], scalars: [0, Float(Foundation.log(3.0))]).requiringGradient()
    try x.logSoftmax().backward(seed: Tensor.ones([1, 2]))
    assertClose(x.gradient?.scalars ?? [], [0.5, -0.5], rtol: 1e-6, atol: 1e-6)
  }

  // MARK: - crossEntropy

  /// Logits [[0, 0, 0], [0, ln 2, ln 5]] with labels [1, 2].
  private func twoByThree() throws -> Tensor {
    try Tensor(
      shape: [2, 3],
      scalars: [0, 0, 0, 0, Float(Foundation.log(2.0)), Float(Foundation.log(5.0))])
  }

  func testCrossEntropy_meanAndSum_matchHandComputedValues() throws {
    // Row 0: softmax = [1/3, 1/3, 1/3], label 1: -log(1/3) = ln 3 = 1.0986123.
    // Row 1: exp = [1, 2, 5], softmax = [1/8, 2/8, 5/8], label 2: -log(5/8) = ln 1.6 = 0.4700036.
    // sum = ln 3 + ln 1.6 = ln 4.8 = 1.5686159; mean = ln 4.8 / 2 = 0.7843080.
    let logits = try twoByThree()
    let sum = try logits.crossEntropy(labels: [1, 2], reduction: .sum)
    let mean = try logits.crossEntropy(labels: [1, 2], reduction: .mean)
    XCTAssertEqual(sum.shape, [])
    XCTAssertEqual(mean.shape, [])
    XCTAssertEqual(sum.scalar, Float(Foundation.log(4.8)), accuracy: 1e-6)
    XCTAssertEqual(mean.scalar, Float(Foundation.log(4.8) / 2), accuracy: 1e-6)
    XCTAssertEqual(
      try logits.crossEntropy(labels: [1, 2]).scalar, mean.scalar, "mean is the default")
  }

  func testCrossEntropyGradient_matchesHandComputedValues() throws {
    // d/dx = (softmax - onehot) / N for the mean:
    // row 0: ([1/3, 1/3, 1/3] - [0, 1, 0]) / 2 = [1/6, -1/3, 1/6];
    // row 1: ([1/8, 2/8, 5/8] - [0, 0, 1]) / 2 = [1/16, 1/8, -3/16].
    // For the sum, the same without the division by N = 2.
    let mean = try twoByThree().requiringGradient()
    try mean.crossEntropy(labels: [1, 2], reduction: .mean).backward()
    assertClose(
      mean.gradient?.scalars ?? [], [1.0 / 6, -1.0 / 3, 1.0 / 6, 1.0 / 16, 1.0 / 8, -3.0 / 16])
    let sum = try twoByThree().requiringGradient()
    try sum.crossEntropy(labels: [1, 2], reduction: .sum).backward()
    assertClose(
      sum.gradient?.scalars ?? [], [1.0 / 3, -2.0 / 3, 1.0 / 3, 1.0 / 8, 2.0 / 8, -3.0 / 8])
  }

  func testCrossEntropyGradient_bothReductionsMatchFiniteDifferences() throws {
    var random = TestRandom(seed: 44)
    let logits = random.tensor([5, 4], -2, 2)
    let labels = [3, 0, 1, 1, 2]
    try checkGradient(
      of: { try $0[0].crossEntropy(labels: labels, reduction: .mean) }, at: [logits])
    try checkGradient(of: { try $0[0].crossEntropy(labels: labels, reduction: .sum) }, at: [logits])
  }

  func testCrossEntropyGradient_withUpstreamScaling() throws {
    // The loss feeding a further op: d(3 * CE)/dx = 3 * dCE/dx.
    var random = TestRandom(seed: 45)
    let logits = random.tensor([3, 4], -2, 2)
    try checkGradient(
      of: { try $0[0].crossEntropy(labels: [0, 3, 2]).scaled(by: 3) }, at: [logits])
  }

  func testCrossEntropy_sumIsBatchSizeTimesMean() throws {
    var random = TestRandom(seed: 46)
    let logits = random.tensor([16, 10], -4, 4)
    let labels = (0..<16).map { _ in Int(random.next() % 10) }
    let sum = try logits.crossEntropy(labels: labels, reduction: .sum).scalar
    let mean = try logits.crossEntropy(labels: labels, reduction: .mean).scalar
    XCTAssertEqual(sum, 16 * mean, accuracy: 1e-5 * abs(sum))
  }

  func testCrossEntropy_largeLogitsStayFinite() throws {
    // Row 0 puts all mass on its label: loss 0. Row 1's label has logit 2000 below the best:
    // loss 2000.
    let logits = try Tensor(shape: [2, 3], scalars: [1000, 0, -1000, 1000, 0, -1000])
      .requiringGradient()
    let loss = try logits.crossEntropy(labels: [0, 2], reduction: .sum)
    XCTAssertEqual(loss.scalar, 2000, accuracy: 1e-3)
    try loss.backward()
    XCTAssertTrue(logits.gradient?.scalars.allSatisfy(\.isFinite) ?? false)
    assertClose(logits.gradient?.scalars ?? [], [0, 0, 0, 1, 0, -1], atol: 1e-6)
  }

  func testCrossEntropy_matchesLogSoftmaxReference() throws {
    var random = TestRandom(seed: 47)
    let logits = random.tensor([6, 5], -3, 3)
    let labels = [4, 0, 2, 2, 1, 3]
    let reference = referenceLogSoftmax(logits.scalars, columns: 5)
    let expected =
      -labels.enumerated().reduce(0.0) { $0 + Double(reference[$1.offset * 5 + $1.element]) } / 6
    XCTAssertEqual(Double(try logits.crossEntropy(labels: labels).scalar), expected, accuracy: 1e-6)
  }

  // MARK: - Errors

  func testCrossEntropy_labelOutOfRange_namesLabelAndIndex() {
    let logits = Tensor.zeros([2, 3])
    XCTAssertThrowsError(try logits.crossEntropy(labels: [0, 3])) { error in
      XCTAssertEqual("\(error)", "crossEntropy: label 3 at index 1 is outside 0..<3")
    }
    XCTAssertThrowsError(try logits.crossEntropy(labels: [-1, 0])) { error in
      XCTAssertEqual("\(error)", "crossEntropy: label -1 at index 0 is outside 0..<3")
    }
  }

  func testCrossEntropy_labelCountMismatch_throws() {
    XCTAssertThrowsError(try Tensor.zeros([2, 3]).crossEntropy(labels: [0, 1, 2])) { error in
      XCTAssertEqual("\(error)", "crossEntropy: 3 labels for 2 rows of logits [2, 3]")
    }
  }

  func testCrossEntropy_nonRank2Logits_throws() {
    XCTAssertThrowsError(try Tensor.zeros([2, 3, 1]).crossEntropy(labels: [0, 1])) { error in
      XCTAssertEqual("\(error)", "crossEntropy: needs [N, C] logits, got [2, 3, 1]")
    }
    XCTAssertThrowsError(try Tensor.zeros([3]).crossEntropy(labels: [0])) { error in
      XCTAssertEqual("\(error)", "crossEntropy: needs [N, C] logits, got [3]")
    }
  }
}

final class LossEmptyBatchTests: XCTestCase {
  func testCrossEntropyMeanOfEmptyBatch_isNaNAsInPyTorch() throws {
    let loss = try Tensor.zeros([0, 3]).crossEntropy(labels: [], reduction: .mean)
    XCTAssertTrue(loss.scalar.isNaN)
    XCTAssertEqual(try Tensor.zeros([0, 3]).crossEntropy(labels: [], reduction: .sum).scalar, 0)
  }
}
