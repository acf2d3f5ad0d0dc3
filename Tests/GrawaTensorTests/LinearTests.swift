import Foundation
import GrawaTensor
import XCTest
import _TestSupport

final class LinearTests: XCTestCase {
  /// All four (transposeA, transposeB) combinations.
  private let transposeCases: [(Bool, Bool)] = [
    (false, false), (true, false), (false, true), (true, true),
  ]

  /// Operands for `op(A)` of `m x k` and `op(B)` of `k x n`, stored transposed when asked.
  private func operands(
    m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, random: inout TestRandom
  ) -> (Tensor, Tensor) {
    let a = random.tensor(transposeA ? [k, m] : [m, k])
    let b = random.tensor(transposeB ? [n, k] : [k, n])
    return (a, b)
  }

  /// `op(A) * op(B)` by a plain triple loop in `Double`, indexing the stored layouts directly.
  private func naiveMatmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> [Float]
  {
    let m = transposeA ? a.shape[1] : a.shape[0]
    let k = transposeA ? a.shape[0] : a.shape[1]
    let n = transposeB ? b.shape[0] : b.shape[1]
    var c = [Float](repeating: 0, count: m * n)
    for i in 0..<m {
      for j in 0..<n {
        var total: Double = 0
        for p in 0..<k {
          let av = transposeA ? a.scalars[p * m + i] : a.scalars[i * k + p]
          let bv = transposeB ? b.scalars[j * k + p] : b.scalars[p * n + j]
          total += Double(av) * Double(bv)
        }
        c[i * n + j] = Float(total)
      }
    }
    return c
  }

  // MARK: - matmul values

  func testMatmul_handComputed2x2() throws {
    // [1 2; 3 4] [5 6; 7 8] = [1*5+2*7, 1*6+2*8; 3*5+4*7, 3*6+4*8] = [19 22; 43 50].
    let a = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
    let b = try Tensor(shape: [2, 2], scalars: [5, 6, 7, 8])
    XCTAssertEqual(try Tensor.matmul(a, b).scalars, [19, 22, 43, 50])
    // Aᵀ B = [1 3; 2 4] [5 6; 7 8] = [26 30; 38 44].
    XCTAssertEqual(try Tensor.matmul(a, b, transposeA: true).scalars, [26, 30, 38, 44])
    // A Bᵀ = [1 2; 3 4] [5 7; 6 8] = [17 23; 39 53].
    XCTAssertEqual(try Tensor.matmul(a, b, transposeB: true).scalars, [17, 23, 39, 53])
    // Aᵀ Bᵀ = [1 3; 2 4] [5 7; 6 8] = [23 31; 34 46].
    XCTAssertEqual(
      try Tensor.matmul(a, b, transposeA: true, transposeB: true).scalars, [23, 31, 34, 46])
  }

  func testMatmul_allTransposeCombinationsMatchNaiveTripleLoop() throws {
    var random = TestRandom(seed: 31)
    let sizes = [(1, 1, 1), (7, 13, 5), (1, 9, 17), (33, 2, 40), (130, 70, 90), (97, 131, 203)]
    for (m, n, k) in sizes {
      for (ta, tb) in transposeCases {
        let (a, b) = operands(m: m, n: n, k: k, transposeA: ta, transposeB: tb, random: &random)
        let c = try Tensor.matmul(a, b, transposeA: ta, transposeB: tb)
        XCTAssertEqual(c.shape, [m, n])
        assertClose(
          c.scalars, naiveMatmul(a, b, transposeA: ta, transposeB: tb), rtol: 1e-4, atol: 1e-4,
          "m \(m) n \(n) k \(k) transposeA \(ta) transposeB \(tb)")
      }
    }
  }

  func testMatmul_emptyInnerDimensionGivesZeros() throws {
    let a = Tensor.zeros([2, 0])
    let b = Tensor.zeros([0, 3])
    let c = try Tensor.matmul(a, b)
    XCTAssertEqual(c.shape, [2, 3])
    XCTAssertEqual(c.scalars, [Float](repeating: 0, count: 6))
  }

  // MARK: - Empty outputs

  func testMatmul_emptyOutputDimensionsGiveEmptyTensors() throws {
    // Regression: these used to trap in GEMM's leading-dimension preconditions (ldb = ldc = 0).
    XCTAssertEqual(try Tensor.matmul(Tensor.zeros([2, 3]), Tensor.zeros([3, 0])).shape, [2, 0])
    XCTAssertEqual(
      try Tensor.matmul(Tensor.zeros([3, 0]), Tensor.zeros([3, 2]), transposeA: true).shape, [0, 2])
    XCTAssertEqual(try Tensor.zeros([2, 3]).linear(weight: Tensor.zeros([0, 3])).shape, [2, 0])
  }

  func testLinear_emptyBatchGivesEmptyOutputAndZeroWeightGradient() throws {
    let x = Tensor.zeros([0, 3]).requiringGradient()
    let w = Tensor.ones([4, 3]).requiringGradient()
    let b = Tensor.ones([4]).requiringGradient()
    let y = try x.linear(weight: w, bias: b)
    XCTAssertEqual(y.shape, [0, 4])
    try y.backward(seed: Tensor.zeros([0, 4]))
    XCTAssertEqual(x.gradient?.shape, [0, 3])
    XCTAssertEqual(w.gradient, Tensor.zeros([4, 3]))
    XCTAssertEqual(b.gradient, Tensor.zeros([4]))
  }

  // MARK: - matmul gradients

  func testMatmulGradient_allTransposeCombinations() throws {
    var random = TestRandom(seed: 32)
    for (m, n, k) in [(1, 1, 1), (7, 13, 5), (4, 3, 6)] {
      for (ta, tb) in transposeCases {
        let (a, b) = operands(m: m, n: n, k: k, transposeA: ta, transposeB: tb, random: &random)
        try checkGradient(
          of: { try Tensor.matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }, at: [a, b])
      }
    }
  }

  func testMatmulGradient_closedFormForSumOfProduct() throws {
    // L = sum(A B) = sum_i sum_j sum_p A_ip B_pj, so dL/dA_ip = sum_j B_pj (row sums of B) and
    // dL/dB_pj = sum_i A_ip (column sums of A).
    // A = [1 2; 3 4], B = [5 6; 7 8]: row sums of B = [11, 15], column sums of A = [4, 6].
    let a = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]).requiringGradient()
    let b = try Tensor(shape: [2, 2], scalars: [5, 6, 7, 8]).requiringGradient()
    try Tensor.matmul(a, b).sum().backward()
    XCTAssertEqual(a.gradient?.scalars, [11, 15, 11, 15])
    XCTAssertEqual(b.gradient?.scalars, [4, 4, 6, 6])
  }

  func testMatmulGradient_onlyForTheOperandThatRequiresIt() throws {
    var random = TestRandom(seed: 33)
    let a = random.tensor([3, 4]).requiringGradient()
    let b = random.tensor([4, 2])
    try Tensor.matmul(a, b).sum().backward()
    XCTAssertNotNil(a.gradient)
    XCTAssertNil(b.gradient)
    try checkGradient(
      of: { try Tensor.matmul($0[0], $0[1], transposeA: true) }, at: [random.tensor([4, 3]), b],
      checked: [0])
  }

  // MARK: - linear

  func testLinear_withAndWithoutBias_handComputed() throws {
    // x = [1 2; 3 4], W = [1 0; 0 1; 1 1] (out 3, in 2): x Wᵀ = [1 2 3; 3 4 7]; + b [10 20 30].
    let x = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
    let w = try Tensor(shape: [3, 2], scalars: [1, 0, 0, 1, 1, 1])
    let b = Tensor([10, 20, 30])
    let noBias = try x.linear(weight: w)
    XCTAssertEqual(noBias.shape, [2, 3])
    XCTAssertEqual(noBias.scalars, [1, 2, 3, 3, 4, 7])
    XCTAssertEqual(try x.linear(weight: w, bias: b).scalars, [11, 22, 33, 13, 24, 37])
  }

  func testLinear_matchesNaive() throws {
    var random = TestRandom(seed: 34)
    let x = random.tensor([5, 7])
    let w = random.tensor([3, 7])
    let b = random.tensor([3])
    let y = try x.linear(weight: w, bias: b)
    var expected = naiveMatmul(x, w, transposeA: false, transposeB: true)
    for i in 0..<5 {
      for j in 0..<3 { expected[i * 3 + j] += b.scalars[j] }
    }
    assertClose(y.scalars, expected, rtol: 1e-5, atol: 1e-5)
  }

  func testLinearGradient_inputWeightAndBias() throws {
    var random = TestRandom(seed: 35)
    let x = random.tensor([4, 6])
    let w = random.tensor([5, 6])
    let b = random.tensor([5])
    try checkGradient(of: { try $0[0].linear(weight: $0[1], bias: $0[2]) }, at: [x, w, b])
    try checkGradient(of: { try $0[0].linear(weight: $0[1]) }, at: [x, w])
  }

  func testLinearGradient_biasIsColumnSumOfSeed() throws {
    // dL/db_j = sum over the batch of the seed's column j: [1+4, 2+5, 3+6] = [5, 7, 9].
    let x = Tensor.ones([2, 2])
    let w = Tensor.ones([3, 2])
    let b = Tensor.zeros([3]).requiringGradient()
    let y = try x.linear(weight: w, bias: b)
    try y.backward(seed: try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]))
    XCTAssertEqual(b.gradient?.scalars, [5, 7, 9])
  }

  // MARK: - Errors

  func testMatmul_shapeErrorsNameTheShapes() {
    XCTAssertThrowsError(try Tensor.matmul(Tensor.zeros([3]), Tensor.zeros([3, 2]))) { error in
      XCTAssertEqual("\(error)", "matmul: needs rank-2 operands, got [3] and [3, 2]")
    }
    XCTAssertThrowsError(try Tensor.matmul(Tensor.zeros([2, 3]), Tensor.zeros([4, 5]))) { error in
      XCTAssertEqual("\(error)", "matmul: inner dimensions differ: [2, 3] x [4, 5]")
    }
    XCTAssertThrowsError(
      try Tensor.matmul(
        Tensor.zeros([2, 3]), Tensor.zeros([2, 5]), transposeA: true, transposeB: true)
    ) { error in
      XCTAssertEqual("\(error)", "matmul: inner dimensions differ: [2, 3]ᵀ x [2, 5]ᵀ")
    }
  }

  func testLinear_shapeErrorsNameTheShapes() {
    let x = Tensor.zeros([2, 3])
    XCTAssertThrowsError(try x.linear(weight: Tensor.zeros([4, 5]))) { error in
      XCTAssertEqual(
        "\(error)", "linear: input [2, 3] does not fit weight [4, 5] (expected [N, 5])")
    }
    XCTAssertThrowsError(try Tensor.zeros([3]).linear(weight: Tensor.zeros([4, 3]))) { error in
      XCTAssertEqual("\(error)", "linear: input [3] does not fit weight [4, 3] (expected [N, 3])")
    }
    XCTAssertThrowsError(try x.linear(weight: Tensor.zeros([4, 3]), bias: Tensor.zeros([3]))) {
      error in
      XCTAssertEqual("\(error)", "linear: bias [3] does not fit weight [4, 3]")
    }
    XCTAssertThrowsError(try x.linear(weight: Tensor.zeros([4, 3]), bias: Tensor.zeros([1, 4]))) {
      error in
      XCTAssertEqual("\(error)", "linear: bias [1, 4] does not fit weight [4, 3]")
    }
  }
}
