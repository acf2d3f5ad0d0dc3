import GrawaTensor
import XCTest
import _TestSupport

/// The fused batch norm + ReLU: the same bits as the two operations one after the other, and
/// gradients that match finite differences.
final class BatchNormReLUTests: XCTestCase {
  /// Output and gradients (input, gamma, beta) of one pass, fused or as two operations.
  private func pass(
    _ x: Tensor, _ gamma: Tensor, _ beta: Tensor, statistics: BatchNormStatistics,
    mode: BatchNormMode, seed: Tensor, fused: Bool
  ) throws -> (values: [[Float]], statistics: BatchNormStatistics) {
    let leaves = [x, gamma, beta].map { $0.requiringGradient() }
    var copy = statistics
    let y =
      fused
      ? try leaves[0].batchNormReLU2d(gamma: leaves[1], beta: leaves[2], statistics: &copy, mode: mode)
      : try leaves[0].batchNorm2d(gamma: leaves[1], beta: leaves[2], statistics: &copy, mode: mode)
        .relu()
    try y.backward(seed: seed)
    return ([y.scalars] + leaves.map { $0.gradient?.scalars ?? [] }, copy)
  }

  func testFused_isBitIdenticalToBatchNormThenReLU_inEveryMode() throws {
    var random = TestRandom(seed: 91)
    // Planes of 25 (16 in SIMD, 9 one by one), 4, and a tensor large enough for several threads.
    for shape in [[3, 4, 5, 5], [5, 3, 2, 2], [8, 16, 32, 32]] {
      let channels = shape[1]
      let x = random.tensor(shape, -2, 2)
      let gamma = random.tensor([channels], 0.5, 1.5)
      let beta = random.tensor([channels], -0.5, 0.5)
      let seed = random.tensor(shape)
      var statistics = BatchNormStatistics(channels: channels)
      statistics.runningMean = random.uniforms(channels, -0.5, 0.5)
      statistics.runningVariance = random.uniforms(channels, 0.5, 2)
      for mode in BatchNormMode.allCases {
        let fused = try pass(
          x, gamma, beta, statistics: statistics, mode: mode, seed: seed, fused: true)
        let separate = try pass(
          x, gamma, beta, statistics: statistics, mode: mode, seed: seed, fused: false)
        let parts = ["output", "input gradient", "gamma gradient", "beta gradient"]
        for part in parts.indices {
          XCTAssertEqual(
            fused.values[part].map(\.bitPattern), separate.values[part].map(\.bitPattern),
            "\(shape) \(mode): \(parts[part])")
        }
        XCTAssertEqual(fused.statistics, separate.statistics, "\(shape) \(mode): statistics")
        // Both branches of the ReLU are exercised.
        let zeros = fused.values[0].filter { $0 == 0 }.count
        XCTAssertGreaterThan(zeros, 0, "\(shape) \(mode)")
        XCTAssertLessThan(zeros, fused.values[0].count, "\(shape) \(mode)")
      }
    }
  }

  func testGradients_matchFiniteDifferences_onBothSidesOfTheKink() throws {
    // Values of alternating sign, |x - mean| from 0.5 to 4.75 per channel, so the normalised
    // values stay at least ~0.15 from the kink for every perturbation of 1e-2: about half the
    // outputs are clipped and the rest pass.
    let shape = [2, 2, 3, 3]
    var values = [Float](repeating: 0, count: 36)
    for n in 0..<2 {
      for c in 0..<2 {
        for i in 0..<9 {
          let k = n * 9 + i
          values[(n * 2 + c) * 9 + i] =
            (k % 2 == 0 ? 1 : -1) * (0.5 + 0.25 * Float(k)) + 0.1 * Float(c)
        }
      }
    }
    let inputs = [
      try Tensor(shape: shape, scalars: values), Tensor([0.8, 1.2]), Tensor([0.05, -0.05]),
    ]
    for mode in BatchNormMode.allCases {
      var statistics = BatchNormStatistics(channels: 2)
      statistics.runningMean = [0.05, 0.15]
      statistics.runningVariance = [6, 7]
      try checkGradient(
        of: { t in
          var copy = statistics
          return try t[0].batchNormReLU2d(gamma: t[1], beta: t[2], statistics: &copy, mode: mode)
        },
        at: inputs)
    }
  }
}
