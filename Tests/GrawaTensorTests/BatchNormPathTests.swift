import XCTest
import _TestSupport

@testable import GrawaTensor

/// The batch-norm kernels' fast paths (``SmallPlaneBatchNorm`` for planes under 32 values,
/// ``ChannelBlockBatchNorm`` for the gradient sums of larger ones) give the channel-by-channel
/// loops' bits exactly, for every plane size they take, channel counts that are not a multiple of
/// their 8 lanes, with and without the fused ReLU's mask and the fused residual, on one thread and
/// on several.
final class BatchNormPathTests: XCTestCase {
  /// Every kernel's output, from the fast paths or the channel-by-channel loops (`reference`).
  private func outputs(
    _ layout: ChannelLayout, x: [Float], dy: [Float], coefficients c: [[Float]], relu: Bool,
    residual: [Float]?, reference: Bool
  ) -> [[UInt64]] {
    let channels = layout.channels
    let count = layout.batch * channels * layout.plane
    var mean = [Double](repeating: 0, count: channels)
    var variance = [Double](repeating: 0, count: channels)
    var sums = [Double](repeating: 0, count: channels)
    var products = [Double](repeating: 0, count: channels)
    var y = [Float](repeating: 0, count: count)
    var dx = [Float](repeating: 0, count: count)
    BatchNormKernels.statistics(
      layout, input: x, mean: &mean, variance: &variance, reference: reference)
    withOptionalPointer(residual) { r in
      BatchNormKernels.affine(
        layout, input: x, scale: c[4], shift: c[5], residual: r, relu: relu, output: &y,
        reference: reference)
    }
    // The mask points into the coefficient arrays for as long as the two passes run.
    c[4].withUnsafeBufferPointer { scale in
      c[5].withUnsafeBufferPointer { shift in
        let mask = relu ? BatchNormKernels.ReLUMask(scale: scale.start, shift: shift.start) : nil
        BatchNormKernels.gradientSums(
          layout, input: x, outputGradient: dy, mean: c[0], relu: mask, sumGradient: &sums,
          sumCenteredProduct: &products, reference: reference)
        BatchNormKernels.inputGradient(
          layout, input: x, outputGradient: dy, mean: c[0], a: c[1], b: c[2], d: c[3], relu: mask,
          inputGradient: &dx, reference: reference)
      }
    }
    return [mean, variance, sums, products].map { $0.map(\.bitPattern) }
      + [y, dx].map { $0.map { UInt64($0.bitPattern) } }
  }

  func testFastPaths_areBitIdenticalToTheChannelByChannelLoops() {
    var random = TestRandom(seed: 7)
    let names = ["mean", "variance", "sum dy", "sum (x - mean) dy", "output", "input gradient"]
    // (batch, channels, plane): 1x1, 2x2, 3x3, 4x4 and 5x5 maps for the small-plane kernels;
    // planes of 32 and more for the channel blocks: 7x7 and 33 (a scalar tail after the vector
    // loop), 8x8, 16x16, and 5000 (two chunks of the 4096-value flush, the second with a tail);
    // 13, 21, 9 and 17 channels leave a partial block of lanes; (64, 300, 16), (128, 2051, 1)
    // and (16, 40, 1024) are large enough to be spread over threads.
    let layouts = [
      (5, 13, 1), (4, 21, 4), (3, 8, 9), (2, 13, 16), (3, 5, 25), (7, 3, 31),
      (64, 300, 16), (128, 2051, 1),
      (2, 9, 32), (3, 17, 33), (2, 8, 49), (4, 13, 64), (2, 3, 256), (2, 5, 5000),
      (16, 40, 1024),
    ]
    for (batch, channels, plane) in layouts {
      let layout = ChannelLayout(batch: batch, channels: channels, plane: plane)
      let count = batch * channels * plane
      // Channel means far from 0, so the second pass's shift matters, and some exact zeros.
      let offsets = random.uniforms(channels, -20, 20)
      var x = (0..<count).map { offsets[($0 / plane) % channels] + random.uniform(-2, 2) }
      for i in stride(from: 0, to: count, by: 11) { x[i] = 0 }
      let dy = random.uniforms(count, -1, 1)
      // mean, a, b, d, and the mask's scale and shift, which mask about half the values.
      var coefficients = (0..<4).map { _ in random.uniforms(channels, -1, 1) }
      let scale = random.uniforms(channels, 0.5, 1.5)
      coefficients.append(scale)
      coefficients.append((0..<channels).map { -offsets[$0] * scale[$0] })
      // A residual of the output's size (about as large as the normalised values).
      let residual = random.uniforms(count, -1, 1)
      for (relu, added) in [(false, false), (true, false), (false, true), (true, true)] {
        for threads in [1, 3] {
          let r = added ? residual : nil
          let (fast, reference) = ComputeThreads.withLimit(threads) {
            (
              outputs(
                layout, x: x, dy: dy, coefficients: coefficients, relu: relu, residual: r,
                reference: false),
              outputs(
                layout, x: x, dy: dy, coefficients: coefficients, relu: relu, residual: r,
                reference: true)
            )
          }
          for part in names.indices {
            XCTAssertEqual(
              fast[part], reference[part],
              "\(batch)x\(channels)x\(plane), relu \(relu), residual \(added), \(threads) "
                + "threads: \(names[part])")
          }
        }
      }
    }
  }

  /// Runs `body` with a pointer to `values`, or with `nil`.
  private func withOptionalPointer(
    _ values: [Float]?, _ body: (UnsafePointer<Float>?) -> Void
  ) {
    guard let values else { return body(nil) }
    values.withUnsafeBufferPointer { body($0.baseAddress) }
  }
}
