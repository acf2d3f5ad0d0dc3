import GrawaTensor
import XCTest
import _TestSupport

/// Batch normalisation written out directly in Double: per-channel batch mean and biased variance
/// (or the given running ones), then `(x - mean) / sqrt(var + eps) * gamma + beta`.
private func naiveBatchNorm(
  _ x: Tensor, gamma: [Float], beta: [Float], running: (mean: [Float], variance: [Float])?,
  epsilon: Double = 1e-5
) -> [Float] {
  let (n, c, plane) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
  var out = x.scalars
  for channel in 0..<c {
    var values: [Double] = []
    for image in 0..<n {
      for i in 0..<plane { values.append(Double(x.scalars[(image * c + channel) * plane + i])) }
    }
    var mean = values.reduce(0, +) / Double(values.count)
    var variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
    if let running {
      mean = Double(running.mean[channel])
      variance = Double(running.variance[channel])
    }
    for image in 0..<n {
      for i in 0..<plane {
        let index = (image * c + channel) * plane + i
        let normalised = (Double(x.scalars[index]) - mean) / (variance + epsilon).squareRoot()
        out[index] = Float(normalised * Double(gamma[channel]) + Double(beta[channel]))
      }
    }
  }
  return out
}

final class BatchNormTests: XCTestCase {
  func testTrainingForward_matchesNaiveReference() throws {
    var random = TestRandom(seed: 31)
    let x = random.tensor([4, 3, 5, 5], -2, 3)
    let gamma = random.tensor([3], 0.5, 1.5)
    let beta = random.tensor([3])
    var statistics = BatchNormStatistics(channels: 3)
    let y = try x.batchNorm2d(gamma: gamma, beta: beta, statistics: &statistics, mode: .training)
    assertClose(
      y.scalars, naiveBatchNorm(x, gamma: gamma.scalars, beta: beta.scalars, running: nil),
      rtol: 1e-5, atol: 1e-5)
  }

  func testRunningStatistics_afterTwoTrainingSteps_matchHandComputedValues() throws {
    // N = 2, C = 2, H = 1, W = 2, so n = 4 values per channel; momentum 0.1.
    // Step 1: channel 0 = [1, 2, 3, 4]: mean 2.5, biased var 1.25, unbiased 5/3.
    //   mean: 0.9 * 0 + 0.1 * 2.5 = 0.25;   var: 0.9 * 1 + 0.1 * 5/3 = 1.0666667
    //   channel 1 = [2, 2, 2, 2]: mean 2, var 0.
    //   mean: 0.1 * 2 = 0.2;                var: 0.9 * 1 + 0 = 0.9
    // Step 2: channel 0 = [0, 0, 4, 8]: mean 3, squared deviations 9 + 9 + 1 + 25 = 44,
    //   unbiased 44/3.
    //   mean: 0.9 * 0.25 + 0.1 * 3 = 0.525
    //   var: 0.9 * 1.0666667 + 0.1 * 44/3 = 0.96 + 1.4666667 = 2.4266667
    //   channel 1 = [-1, 1, -1, 1]: mean 0, squared deviations 4, unbiased 4/3.
    //   mean: 0.9 * 0.2 + 0 = 0.18
    //   var: 0.9 * 0.9 + 0.1 * 4/3 = 0.81 + 0.1333333 = 0.9433333
    // Layout [n][c][w]: image 0 holds channel 0's first two values, then channel 1's first two.
    let step1 = try Tensor(shape: [2, 2, 1, 2], scalars: [1, 2, 2, 2, 3, 4, 2, 2])
    let step2 = try Tensor(shape: [2, 2, 1, 2], scalars: [0, 0, -1, 1, 4, 8, -1, 1])
    let gamma = Tensor.ones([2])
    let beta = Tensor.zeros([2])
    var statistics = BatchNormStatistics(channels: 2)
    _ = try step1.batchNorm2d(gamma: gamma, beta: beta, statistics: &statistics, mode: .training)
    _ = try step2.batchNorm2d(gamma: gamma, beta: beta, statistics: &statistics, mode: .training)
    assertClose(statistics.runningMean, [0.525, 0.18], rtol: 1e-6, atol: 1e-7)
    assertClose(statistics.runningVariance, [2.4266667, 0.9433333], rtol: 1e-6, atol: 1e-7)
    XCTAssertEqual(statistics.numBatchesTracked, 2)

    // Inference normalises with those running statistics.
    let y = try step2.batchNorm2d(
      gamma: gamma, beta: beta, statistics: &statistics, mode: .inference)
    let running = (statistics.runningMean, statistics.runningVariance)
    assertClose(
      y.scalars, naiveBatchNorm(step2, gamma: [1, 1], beta: [0, 0], running: running), rtol: 1e-5,
      atol: 1e-6)
    XCTAssertEqual(statistics.numBatchesTracked, 2)
  }

  func testBatchStatisticsMode_normalisesLikeTrainingButKeepsRunningStatistics() throws {
    var random = TestRandom(seed: 32)
    let x = random.tensor([3, 2, 4, 4])
    let (gamma, beta) = (random.tensor([2]), random.tensor([2]))
    var frozen = BatchNormStatistics(channels: 2)
    frozen.runningMean = [0.3, -0.2]
    let before = frozen
    var trained = frozen
    let y = try x.batchNorm2d(gamma: gamma, beta: beta, statistics: &frozen, mode: .batchStatistics)
    let z = try x.batchNorm2d(gamma: gamma, beta: beta, statistics: &trained, mode: .training)
    XCTAssertEqual(frozen, before)
    XCTAssertNotEqual(trained, before)
    XCTAssertEqual(y.scalars, z.scalars)
  }

  /// `batchNorm2d` with fresh copies of `statistics` on every call, so finite differences see the
  /// same running statistics each time.
  private func gradientCheck(mode: BatchNormMode, statistics: BatchNormStatistics, seed: UInt64)
    throws
  {
    var random = TestRandom(seed: seed)
    let inputs = [
      random.tensor([3, 2, 3, 3], -1, 2), random.tensor([2], 0.5, 1.5), random.tensor([2]),
    ]
    try checkGradient(
      of: { t in
        var copy = statistics
        return try t[0].batchNorm2d(gamma: t[1], beta: t[2], statistics: &copy, mode: mode)
      },
      at: inputs)
  }

  func testTrainingModeGradients_throughBatchStatistics_matchFiniteDifferences() throws {
    try gradientCheck(mode: .training, statistics: BatchNormStatistics(channels: 2), seed: 33)
  }

  func testBatchStatisticsModeGradients_matchFiniteDifferences() throws {
    try gradientCheck(
      mode: .batchStatistics, statistics: BatchNormStatistics(channels: 2), seed: 34)
  }

  func testInferenceModeGradients_matchFiniteDifferences() throws {
    var statistics = BatchNormStatistics(channels: 2)
    statistics.runningMean = [0.4, -0.3]
    statistics.runningVariance = [0.5, 2]
    try gradientCheck(mode: .inference, statistics: statistics, seed: 35)
  }

  func testGradientOfNormalisedSum_isZeroForInput() throws {
    // In training mode, sum(y) = C * N*H*W * beta does not depend on x: dx must vanish.
    var random = TestRandom(seed: 36)
    let x = random.tensor([2, 3, 4, 4]).requiringGradient()
    var statistics = BatchNormStatistics(channels: 3)
    let y = try x.batchNorm2d(
      gamma: random.tensor([3]), beta: random.tensor([3]), statistics: &statistics, mode: .training)
    try y.backward(seed: Tensor.ones(y.shape))
    assertClose(
      x.gradient?.scalars ?? [], [Float](repeating: 0, count: x.count), rtol: 0, atol: 1e-5)
  }

  func testLargeInput_identicalOnOneAndTwoThreads() throws {
    // Large enough (> 2^18 elements) that channels are spread over threads.
    var random = TestRandom(seed: 37)
    let x = random.tensor([8, 16, 48, 48])
    let (gamma, beta) = (random.tensor([16]), random.tensor([16]))
    let seedGradient = random.tensor(x.shape)
    var results: [[[Float]]] = []
    for threads in [1, 2] {
      let parts = try ComputeThreads.withLimit(threads) {
        let leaves = [x, gamma, beta].map { $0.requiringGradient() }
        var statistics = BatchNormStatistics(channels: 16)
        let y = try leaves[0].batchNorm2d(
          gamma: leaves[1], beta: leaves[2], statistics: &statistics, mode: .training)
        try y.backward(seed: seedGradient)
        return [y.scalars, statistics.runningMean, statistics.runningVariance]
          + leaves.map { $0.gradient?.scalars ?? [] }
      }
      results.append(parts)
    }
    XCTAssertEqual(results[0], results[1])
    assertClose(
      results[0][0], naiveBatchNorm(x, gamma: gamma.scalars, beta: beta.scalars, running: nil),
      rtol: 1e-4, atol: 1e-5)
  }

  func testShapeErrors_nameTheShapes() {
    let x = Tensor.zeros([2, 3, 4, 4])
    var statistics = BatchNormStatistics(channels: 3)
    XCTAssertThrowsError(
      try x.batchNorm2d(
        gamma: Tensor.ones([2]), beta: Tensor.zeros([3]), statistics: &statistics, mode: .training)
    ) { error in
      XCTAssertEqual(
        "\(error)", "batchNorm2d: gamma must be [3] for input [2, 3, 4, 4], got shape [2]")
    }
    XCTAssertThrowsError(
      try x.batchNorm2d(
        gamma: Tensor.ones([3]), beta: Tensor.zeros([3, 1]), statistics: &statistics,
        mode: .training)
    ) { error in
      XCTAssertEqual(
        "\(error)", "batchNorm2d: beta must be [3] for input [2, 3, 4, 4], got shape [3, 1]")
    }
    var wrong = BatchNormStatistics(channels: 4)
    XCTAssertThrowsError(
      try x.batchNorm2d(
        gamma: Tensor.ones([3]), beta: Tensor.zeros([3]), statistics: &wrong, mode: .inference)
    ) { error in
      XCTAssertEqual(
        "\(error)",
        "batchNorm2d: running statistics have 4 means and 4 variances, "
          + "input [2, 3, 4, 4] has 3 channels"
      )
    }
    XCTAssertThrowsError(
      try Tensor.zeros([1, 3, 1, 1]).batchNorm2d(
        gamma: Tensor.ones([3]), beta: Tensor.zeros([3]), statistics: &statistics, mode: .training)
    ) { error in
      XCTAssertEqual(
        "\(error)",
        "batchNorm2d: batch statistics need more than one value per channel, got input [1, 3, 1, 1]"
      )
    }
    XCTAssertThrowsError(
      try Tensor.zeros([3, 4, 4]).batchNorm2d(
        gamma: Tensor.ones([3]), beta: Tensor.zeros([3]), statistics: &statistics, mode: .training)
    ) { error in
      XCTAssertEqual("\(error)", "batchNorm2d: input must be [N, C, H, W], got shape [3, 4, 4]")
    }
    XCTAssertEqual(
      statistics, BatchNormStatistics(channels: 3), "a rejected call must not touch the statistics")
  }
}
