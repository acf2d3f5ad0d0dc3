import GrawaTensor
import XCTest
import _TestSupport

final class ReductionTests: XCTestCase {
  /// Sizes around the kernels' SIMD width (16), unroll (32) and Double-flush block (4096).
  private let kernelSizes = [0, 1, 15, 16, 17, 31, 33, 4095, 4097, 100_003]

  /// Multiples of 1/8 in [-4, 4]: every partial sum the kernels form (Float lanes of at most 128
  /// terms, Double totals) is exact, so the kernels must match the reference bit for bit.
  private func dyadicValues(_ count: Int, seed: UInt64) -> [Float] {
    var random = TestRandom(seed: seed)
    return (0..<count).map { _ in Float(Int(random.next() % 65) - 32) / 8 }
  }

  // MARK: - sum and mean

  func testSum_ofAllElementsIsRankZero() throws {
    let t = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    let s = t.sum()
    XCTAssertEqual(s.shape, [])
    XCTAssertEqual(s.scalar, 21)
    XCTAssertEqual(Tensor.zeros([0]).sum().scalar, 0)
  }

  func testMean_dividesByCount() throws {
    let t = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 6])
    XCTAssertEqual(t.mean().scalar, 3)
    XCTAssertEqual(t.mean().shape, [])
    XCTAssertTrue(Tensor.zeros([0, 3]).mean().scalar.isNaN, "documented: NaN for an empty tensor")
  }

  func testSumAndMeanGradients_areConstant() throws {
    let x = Tensor([1, 2, 3, 4]).requiringGradient()
    try x.sum().backward()
    XCTAssertEqual(x.gradient?.scalars, [1, 1, 1, 1])
    let y = Tensor([1, 2, 3, 4]).requiringGradient()
    try y.mean().backward()
    XCTAssertEqual(y.gradient?.scalars, [0.25, 0.25, 0.25, 0.25])
    var random = TestRandom(seed: 21)
    try checkGradient(of: { $0[0].sum() }, at: [random.tensor([3, 4])])
    try checkGradient(of: { $0[0].mean() }, at: [random.tensor([3, 4])])
  }

  // MARK: - sum(alongAxis:)

  func testSumAlongAxis_matchesNaiveOnEveryAxisOfRank3() throws {
    var random = TestRandom(seed: 22)
    let shape = [2, 3, 4]
    let x = random.tensor(shape)
    func at(_ i: Int, _ j: Int, _ k: Int) -> Float { x.scalars[(i * 3 + j) * 4 + k] }
    // Axis 0 -> [3, 4].
    var expected0: [Float] = []
    for j in 0..<3 {
      for k in 0..<4 { expected0.append(at(0, j, k) + at(1, j, k)) }
    }
    // Axis 1 -> [2, 4].
    var expected1: [Float] = []
    for i in 0..<2 {
      for k in 0..<4 { expected1.append(at(i, 0, k) + at(i, 1, k) + at(i, 2, k)) }
    }
    // Axis 2 -> [2, 3].
    var expected2: [Float] = []
    for i in 0..<2 {
      for j in 0..<3 { expected2.append(at(i, j, 0) + at(i, j, 1) + at(i, j, 2) + at(i, j, 3)) }
    }
    let s0 = try x.sum(alongAxis: 0)
    let s1 = try x.sum(alongAxis: 1)
    let s2 = try x.sum(alongAxis: 2)
    XCTAssertEqual(s0.shape, [3, 4])
    XCTAssertEqual(s1.shape, [2, 4])
    XCTAssertEqual(s2.shape, [2, 3])
    assertClose(s0.scalars, expected0)
    assertClose(s1.scalars, expected1)
    assertClose(s2.scalars, expected2)
  }

  func testSumAlongAxis_ofExtentOneRemovesTheAxis() throws {
    let x = try Tensor(shape: [2, 1, 2], scalars: [1, 2, 3, 4])
    let s = try x.sum(alongAxis: 1)
    XCTAssertEqual(s.shape, [2, 2])
    XCTAssertEqual(s.scalars, [1, 2, 3, 4])
  }

  func testSumAlongAxis_overEmptyExtentsGivesZeros() throws {
    XCTAssertEqual(try Tensor.zeros([2, 0, 3]).sum(alongAxis: 1), Tensor.zeros([2, 3]))
    XCTAssertEqual(try Tensor.zeros([0, 3]).sum(alongAxis: 0), Tensor.zeros([3]))
    XCTAssertEqual(try Tensor.ones([0, 3]).sum(alongAxis: 1), Tensor.zeros([0]))
  }

  func testSumAlongAxisGradient_onEveryAxis() throws {
    var random = TestRandom(seed: 23)
    let x = random.tensor([2, 3, 4])
    for axis in 0..<3 {
      try checkGradient(of: { try $0[0].sum(alongAxis: axis) }, at: [x])
    }
  }

  func testSumAlongAxis_badAxis_throws() {
    let x = Tensor.zeros([2, 3, 4])
    XCTAssertThrowsError(try x.sum(alongAxis: 3)) { error in
      XCTAssertEqual("\(error)", "sum(alongAxis:): axis 3 out of range for shape [2, 3, 4]")
    }
    XCTAssertThrowsError(try x.sum(alongAxis: -1)) { error in
      XCTAssertEqual("\(error)", "sum(alongAxis:): axis -1 out of range for shape [2, 3, 4]")
    }
  }

  // MARK: - maximum, argmax, norm

  func testMaximum_findsLargestAndPropagatesNaN() {
    XCTAssertEqual(Tensor([-3, 7, 2, 7, -10]).maximum(), 7)
    XCTAssertEqual(Tensor([-3, -1]).maximum(), -1)
    XCTAssertTrue(Tensor([1, .nan, 5]).maximum().isNaN)
    XCTAssertTrue(Tensor([.nan, 1]).maximum().isNaN)
    XCTAssertTrue(Tensor([1, 5, .nan]).maximum().isNaN)
    XCTAssertEqual(Tensor.zeros([0]).maximum(), -Float.infinity)
    XCTAssertEqual(Tensor([-Float.infinity, 3]).maximum(), 3)
  }

  func testArgmaxLastAxis_picksFirstIndexOnTies() throws {
    let logits = try Tensor(
      shape: [4, 3],
      scalars: [
        1, 5, 2,
        7, 7, 7,
        -1, -3, -1,
        0, 2, 2,
      ])
    XCTAssertEqual(logits.argmaxLastAxis(), [1, 0, 0, 1])
  }

  func testArgmaxLastAxis_rowsOfHigherRankAndSingleColumn() throws {
    let t = try Tensor(shape: [2, 2, 2], scalars: [1, 2, 4, 3, -5, -6, 9, 9])
    XCTAssertEqual(t.argmaxLastAxis(), [1, 0, 0, 0])
    XCTAssertEqual(Tensor.zeros([3, 1]).argmaxLastAxis(), [0, 0, 0])
    XCTAssertEqual(Tensor.zeros([0, 4]).argmaxLastAxis(), [])
  }

  func testNorm_matchesDoubleReference() {
    var random = TestRandom(seed: 24)
    for count in [0, 1, 17, 1000, 5000] {
      let values = random.uniforms(count, -3, 3)
      let expected = values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
      let actual = Tensor(values).norm()
      XCTAssertEqual(actual, expected, accuracy: 1e-5 * max(expected, 1), "count \(count)")
    }
    XCTAssertEqual(Tensor([3, 4]).norm(), 5)
  }

  // MARK: - Kernels

  func testElementwiseSum_isExactOnDyadicValuesAtEverySize() {
    for size in kernelSizes {
      let values = dyadicValues(size, seed: UInt64(size) + 1)
      let expected = values.reduce(0.0) { $0 + Double($1) }
      let actual = values.withUnsafeBufferPointer { ElementwiseKernels.sum($0.start, count: size) }
      XCTAssertEqual(Double(actual), expected, "size \(size)")
    }
  }

  func testElementwiseSumOfSquares_isExactOnDyadicValuesAtEverySize() {
    for size in kernelSizes {
      let values = dyadicValues(size, seed: UInt64(size) + 100)
      let expected = values.reduce(0.0) { $0 + Double($1) * Double($1) }
      let actual = values.withUnsafeBufferPointer {
        ElementwiseKernels.sumOfSquares($0.start, count: size)
      }
      XCTAssertEqual(actual, expected, "size \(size)")
    }
  }

  func testElementwiseSum_randomValuesWithinRoundingBound() {
    for size in kernelSizes {
      var random = TestRandom(seed: UInt64(size) + 200)
      let values = random.uniforms(size, -1, 1)
      let expected = values.reduce(0.0) { $0 + Double($1) }
      let absolute = values.reduce(0.0) { $0 + Double(abs($1)) }
      let actual = values.withUnsafeBufferPointer { ElementwiseKernels.sum($0.start, count: size) }
      // Float lanes sum at most 128 terms before the Double flush: error <= 128 eps sum|x|, plus
      // the final rounding to Float.
      let bound = 128 * Double(Float.ulpOfOne) * absolute + Double(Float.ulpOfOne) * abs(expected)
      XCTAssertEqual(Double(actual), expected, accuracy: bound, "size \(size)")
    }
  }

  func testElementwiseSumOfSquares_randomValuesWithinRoundingBound() {
    for size in kernelSizes {
      var random = TestRandom(seed: UInt64(size) + 300)
      let values = random.uniforms(size, -2, 2)
      let expected = values.reduce(0.0) { $0 + Double($1) * Double($1) }
      let actual = values.withUnsafeBufferPointer {
        ElementwiseKernels.sumOfSquares($0.start, count: size)
      }
      XCTAssertEqual(
        actual, expected, accuracy: 128 * Double(Float.ulpOfOne) * expected + 1e-12, "size \(size)")
    }
  }
}
