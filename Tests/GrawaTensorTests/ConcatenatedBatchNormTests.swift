import GrawaTensor
import XCTest
import _TestSupport

/// Batch norm of a channel concatenation that is never formed: the bits of `concatenate` then
/// batch norm (and ReLU), with statistics carried between calls or not, on every path that splits
/// the parts over threads; finite differences; clear errors.
final class ConcatenatedBatchNormTests: XCTestCase {
  /// Output and gradients (every part that requires one, gamma, beta) of one pass.
  private func pass(
    _ parts: [Tensor], leaves: [Bool], _ gamma: Tensor, _ beta: Tensor, relu: Bool,
    statistics: BatchNormStatistics, mode: BatchNormMode, seed: Tensor, fused: Bool,
    carried: inout [ChannelStatistics?]
  ) throws -> (values: [[Float]], statistics: BatchNormStatistics) {
    let inputs = zip(parts, leaves).map { $1 ? $0.requiringGradient() : $0 }
    let (g, b) = (gamma.requiringGradient(), beta.requiringGradient())
    var copy = statistics
    let y: Tensor
    if fused {
      y = try Tensor.batchNorm2d(
        concatenating: inputs, gamma: g, beta: b, statistics: &copy, mode: mode, relu: relu,
        partStatistics: &carried)
    } else {
      let whole = try Tensor.concatenate(inputs, axis: 1)
      y =
        relu
        ? try whole.batchNormReLU2d(gamma: g, beta: b, statistics: &copy, mode: mode)
        : try whole.batchNorm2d(gamma: g, beta: b, statistics: &copy, mode: mode)
    }
    try y.backward(seed: seed)
    let gradients = (inputs + [g, b]).map { $0.gradient?.scalars ?? [] }
    return ([y.scalars] + gradients, copy)
  }

  func testParts_giveTheBitsOfTheirConcatenation_onEveryThreadPath() throws {
    var random = TestRandom(seed: 93)
    // (batch, channels of each part, map side): a 6x6 map (vector loops and tails), a 2x2 map
    // (the small-plane kernels), and 8x8 maps with 32 images large enough for threads: parts of
    // 128 and 8 x 16 channels split into two equal groups, run side by side; 128 and 16 leave one
    // part too large for a fair share, run one after the other.
    let cases: [(Int, [Int], Int)] = [
      (3, [5, 3, 4], 6), (5, [2, 7, 1], 2), (32, [128] + Array(repeating: 16, count: 8), 8),
      (32, [128, 16], 8), (4, [6], 5),
    ]
    for (batch, widths, side) in cases {
      let parts = widths.map { random.tensor([batch, $0, side, side], -2, 2) }
      let channels = widths.reduce(0, +)
      let gamma = random.tensor([channels], 0.5, 1.5)
      let beta = random.tensor([channels], -0.5, 0.5)
      let seed = random.tensor([batch, channels, side, side])
      var statistics = BatchNormStatistics(channels: channels)
      statistics.runningMean = random.uniforms(channels, -0.5, 0.5)
      statistics.runningVariance = random.uniforms(channels, 0.5, 2)
      // The second part (when there is one) needs no gradient.
      let leaves = widths.indices.map { $0 != 1 }
      for mode in BatchNormMode.allCases {
        for relu in [true, false] {
          for threads in [1, 2] {
            let label = "\(batch)x\(widths)x\(side) \(mode) relu \(relu) \(threads) threads"
            var fresh = [ChannelStatistics?](repeating: nil, count: widths.count)
            var none = fresh
            let (fused, separate) = try ComputeThreads.withLimit(threads) {
              (
                try pass(
                  parts, leaves: leaves, gamma, beta, relu: relu, statistics: statistics,
                  mode: mode, seed: seed, fused: true, carried: &fresh),
                try pass(
                  parts, leaves: leaves, gamma, beta, relu: relu, statistics: statistics,
                  mode: mode, seed: seed, fused: false, carried: &none)
              )
            }
            for part in fused.values.indices {
              XCTAssertEqual(
                fused.values[part].map(\.bitPattern), separate.values[part].map(\.bitPattern),
                "\(label): part \(part)")
            }
            XCTAssertEqual(fused.statistics, separate.statistics, "\(label): statistics")
            // The batch-statistics modes hand back every part's statistics, and a second call
            // given them gives the same bits again.
            XCTAssertEqual(fresh.allSatisfy { $0 != nil }, mode.usesBatchStatistics, label)
            var carried = fresh
            let again = try pass(
              parts, leaves: leaves, gamma, beta, relu: relu, statistics: statistics, mode: mode,
              seed: seed, fused: true, carried: &carried)
            XCTAssertEqual(again.values, fused.values, label)
            XCTAssertEqual(carried, fresh, label)
          }
        }
      }
    }
  }

  func testGradients_matchFiniteDifferences() throws {
    var random = TestRandom(seed: 94)
    let inputs = [
      random.tensor([2, 2, 3, 3], -2, 2), random.tensor([2, 1, 3, 3], -2, 2),
      Tensor([0.8, 1.2, 1.0]), Tensor([0.05, -0.05, 0.1]),
    ]
    for mode in BatchNormMode.allCases {
      var statistics = BatchNormStatistics(channels: 3)
      statistics.runningMean = [0.05, 0.15, -0.1]
      statistics.runningVariance = [2, 3, 1.5]
      try checkGradient(
        of: { t in
          var copy = statistics
          return try Tensor.batchNorm2d(
            concatenating: [t[0], t[1]], gamma: t[2], beta: t[3], statistics: &copy, mode: mode)
        },
        at: inputs)
    }
  }

  func testBadParts_areRefusedNamingThePart() {
    var statistics = BatchNormStatistics(channels: 4)
    let (gamma, beta) = (Tensor.ones([4]), Tensor.zeros([4]))
    func message(_ parts: [Tensor], carried: Int? = nil) -> String {
      var known = [ChannelStatistics?](repeating: nil, count: carried ?? parts.count)
      do {
        _ = try Tensor.batchNorm2d(
          concatenating: parts, gamma: gamma, beta: beta, statistics: &statistics,
          mode: .training, partStatistics: &known)
        return "no error"
      } catch {
        return "\(error)"
      }
    }
    XCTAssertEqual(message([]), "concatenatedBatchNorm2d: needs at least one part")
    XCTAssertEqual(
      message([Tensor.zeros([2, 2, 3, 3]), Tensor.zeros([2, 2, 9])]),
      "concatenatedBatchNorm2d: part 1 must be [N, C, H, W], got shape [2, 2, 9]")
    XCTAssertEqual(
      message([Tensor.zeros([2, 2, 3, 3]), Tensor.zeros([2, 2, 3, 4])]),
      "concatenatedBatchNorm2d: part 1 of shape [2, 2, 3, 4] differs from part 0 of shape "
        + "[2, 2, 3, 3] outside the channels")
    XCTAssertEqual(
      message([Tensor.zeros([2, 2, 3, 3]), Tensor.zeros([2, 2, 3, 3])], carried: 1),
      "concatenatedBatchNorm2d: 1 part statistics given for 2 parts")
    // Channels that do not add up to gamma's: the batch norm's own message, for the whole.
    XCTAssertEqual(
      message([Tensor.zeros([2, 2, 3, 3]), Tensor.zeros([2, 3, 3, 3])]),
      "concatenatedBatchNorm2d: gamma must be [5] for input [2, 5, 3, 3], got shape [4]")
    // A refused call leaves the running statistics alone.
    XCTAssertEqual(statistics, BatchNormStatistics(channels: 4))
  }
}
