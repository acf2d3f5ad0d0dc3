import GrawaTensor
import XCTest
import _TestSupport

/// Batch norm fused with a residual sum (and ReLU): the same bits as the operations one after the
/// other, gradients that match finite differences, and a clear error for a residual of another
/// shape.
final class BatchNormAddReLUTests: XCTestCase {
  /// Output and gradients (input, gamma, beta, residual) of one pass, fused or as separate
  /// operations; `residualLeaf` says whether the residual requires a gradient.
  private func pass(
    _ x: Tensor, _ gamma: Tensor, _ beta: Tensor, _ residual: Tensor, relu: Bool,
    residualLeaf: Bool, statistics: BatchNormStatistics, mode: BatchNormMode, seed: Tensor,
    fused: Bool
  ) throws -> (values: [[Float]], statistics: BatchNormStatistics) {
    let leaves = [x, gamma, beta].map { $0.requiringGradient() }
    let r = residualLeaf ? residual.requiringGradient() : residual
    var copy = statistics
    let y: Tensor
    switch (fused, relu) {
    case (true, true):
      y = try leaves[0].batchNormAddReLU2d(
        adding: r, gamma: leaves[1], beta: leaves[2], statistics: &copy, mode: mode)
    case (true, false):
      y = try leaves[0].batchNormAdd2d(
        adding: r, gamma: leaves[1], beta: leaves[2], statistics: &copy, mode: mode)
    case (false, _):
      let sum =
        try leaves[0].batchNorm2d(gamma: leaves[1], beta: leaves[2], statistics: &copy, mode: mode)
        + r
      y = relu ? sum.relu() : sum
    }
    try y.backward(seed: seed)
    let gradients = (leaves + [r]).map { $0.gradient?.scalars ?? [] }
    return ([y.scalars] + gradients, copy)
  }

  func testFused_isBitIdenticalToBatchNormThenAddThenReLU_inEveryMode() throws {
    var random = TestRandom(seed: 92)
    // Planes of 25 (16 in SIMD, 9 one by one), 4 (the small-plane kernels), and a tensor large
    // enough for several threads.
    for shape in [[3, 4, 5, 5], [5, 3, 2, 2], [8, 16, 32, 32]] {
      let channels = shape[1]
      let x = random.tensor(shape, -2, 2)
      let gamma = random.tensor([channels], 0.5, 1.5)
      let beta = random.tensor([channels], -0.5, 0.5)
      let residual = random.tensor(shape, -1, 1)
      let seed = random.tensor(shape)
      var statistics = BatchNormStatistics(channels: channels)
      statistics.runningMean = random.uniforms(channels, -0.5, 0.5)
      statistics.runningVariance = random.uniforms(channels, 0.5, 2)
      for mode in BatchNormMode.allCases {
        for relu in [true, false] {
          for residualLeaf in [true, false] {
            let label = "\(shape) \(mode) relu \(relu) residual leaf \(residualLeaf)"
            let fused = try pass(
              x, gamma, beta, residual, relu: relu, residualLeaf: residualLeaf,
              statistics: statistics, mode: mode, seed: seed, fused: true)
            let separate = try pass(
              x, gamma, beta, residual, relu: relu, residualLeaf: residualLeaf,
              statistics: statistics, mode: mode, seed: seed, fused: false)
            let parts = [
              "output", "input gradient", "gamma gradient", "beta gradient", "residual gradient",
            ]
            for part in parts.indices {
              XCTAssertEqual(
                fused.values[part].map(\.bitPattern), separate.values[part].map(\.bitPattern),
                "\(label): \(parts[part])")
            }
            XCTAssertEqual(fused.statistics, separate.statistics, "\(label): statistics")
            XCTAssertEqual(fused.values[4].isEmpty, !residualLeaf, label)
            if relu {
              // Both branches of the ReLU are exercised.
              let zeros = fused.values[0].filter { $0 == 0 }.count
              XCTAssertGreaterThan(zeros, 0, label)
              XCTAssertLessThan(zeros, fused.values[0].count, label)
            }
          }
        }
      }
    }
  }

  func testGradients_matchFiniteDifferences_onBothSidesOfTheKink() throws {
    // Normalised values stay within about +-5 (18 values per channel); residuals of +-6 put every
    // sum at least ~1 from the kink, so a perturbation of 1e-2 never crosses it: about half the
    // outputs are clipped and the rest pass.
    let shape = [2, 2, 3, 3]
    var values = [Float](repeating: 0, count: 36)
    var residual = [Float](repeating: 0, count: 36)
    for n in 0..<2 {
      for c in 0..<2 {
        for i in 0..<9 {
          let k = n * 9 + i
          let index = (n * 2 + c) * 9 + i
          values[index] = (k % 2 == 0 ? 1 : -1) * (0.5 + 0.25 * Float(k)) + 0.1 * Float(c)
          residual[index] = (k % 3 == 0 ? 6 : -6) + 0.05 * Float(i)
        }
      }
    }
    let inputs = [
      try Tensor(shape: shape, scalars: values), Tensor([0.8, 1.2]), Tensor([0.05, -0.05]),
      try Tensor(shape: shape, scalars: residual),
    ]
    for mode in BatchNormMode.allCases {
      var statistics = BatchNormStatistics(channels: 2)
      statistics.runningMean = [0.05, 0.15]
      statistics.runningVariance = [6, 7]
      for relu in [true, false] {
        try checkGradient(
          of: { t in
            var copy = statistics
            return relu
              ? try t[0].batchNormAddReLU2d(
                adding: t[3], gamma: t[1], beta: t[2], statistics: &copy, mode: mode)
              : try t[0].batchNormAdd2d(
                adding: t[3], gamma: t[1], beta: t[2], statistics: &copy, mode: mode)
          },
          at: inputs)
      }
    }
  }

  func testResidualOfAnotherShape_isRefusedNamingBothShapes() {
    var statistics = BatchNormStatistics(channels: 2)
    let x = Tensor.zeros([2, 2, 3, 3])
    let (gamma, beta) = (Tensor.ones([2]), Tensor.zeros([2]))
    for residual in [Tensor.zeros([2, 2, 3, 4]), Tensor.zeros([2]), Tensor.zeros([1, 2, 3, 3])] {
      XCTAssertThrowsError(
        try x.batchNormAddReLU2d(
          adding: residual, gamma: gamma, beta: beta, statistics: &statistics, mode: .training)
      ) { error in
        let message = "\(error)"
        XCTAssertTrue(message.contains("batchNormAddReLU2d"), message)
        XCTAssertTrue(message.contains("residual must have the input's shape"), message)
        XCTAssertTrue(message.contains("[2, 2, 3, 3]"), message)
      }
    }
    // A refused call leaves the running statistics alone.
    XCTAssertEqual(statistics, BatchNormStatistics(channels: 2))
  }
}
