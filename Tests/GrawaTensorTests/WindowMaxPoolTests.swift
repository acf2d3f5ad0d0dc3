import XCTest
import _TestSupport

@testable import GrawaTensor

/// The eight-at-a-time max pooling of strides 1 and 2 (``PoolingKernels/maxPoolPlane``) against
/// the scalar window loops, bit for bit in the maxima and exactly in the indices, on inputs full
/// of ties, NaNs and infinities: every window size 1-5 with every padding it allows, widths
/// below, at and around the eight-output blocks.
final class WindowMaxPoolTests: XCTestCase {
  /// Values drawn from a few, so that most windows hold ties; NaN and both infinities among them.
  private func values(_ count: Int, _ random: inout TestRandom) -> [Float] {
    let pool: [Float] = [-1, 0, -0.0, 0.5, 2, 2, -.infinity, .infinity, .nan, 7]
    return (0..<count).map { _ in
      // NaN and +inf rarely, so that most windows are decided by ties among finite values.
      let pick = Int(random.next() % 40)
      return pick < pool.count ? pool[pick] : pool[pick % 6]
    }
  }

  private func run(_ g: PoolingGeometry, _ x: [Float], reference: Bool) -> ([UInt32], [Int32]) {
    let count = g.planes * g.outPlane
    var output = [Float](repeating: 1234, count: count)
    var indices = [Int32](repeating: -7, count: count)
    x.withUnsafeBufferPointer { input in
      output.withUnsafeMutableBufferPointer { y in
        indices.withUnsafeMutableBufferPointer { i in
          PoolingKernels.maxPoolForward(
            g, input: input.baseAddress!, output: y.baseAddress!, argmax: i.baseAddress!,
            reference: reference)
        }
      }
    }
    return (output.map(\.bitPattern), indices)
  }

  func testWindowPath_matchesScalarLoopsBitForBit() {
    var random = TestRandom(seed: 77)
    var checked = 0
    for kernel in 1...5 {
      for stride in 1...2 {
        for padding in 0...(kernel / 2) {
          for width in [1, 2, 5, 8, 9, 15, 16, 17, 24, 31, 33] {
            let height = 1 + Int(random.next() % 7)
            let g = PoolingGeometry(
              planes: 3, height: height, width: width, kernelSize: kernel, stride: stride,
              padding: padding)
            guard height + 2 * padding >= kernel, width + 2 * padding >= kernel else { continue }
            XCTAssertEqual(
              PoolingKernels.hasWindowPath(g), !(kernel == 2 && stride == 2 && padding == 0))
            let x = values(g.planes * g.inPlane, &random)
            let fast = run(g, x, reference: false)
            let slow = run(g, x, reference: true)
            XCTAssertEqual(fast.0, slow.0, "maxima, k\(kernel) s\(stride) p\(padding) \(height)x\(width)")
            XCTAssertEqual(fast.1, slow.1, "indices, k\(kernel) s\(stride) p\(padding) \(height)x\(width)")
            checked += 1
          }
        }
      }
    }
    XCTAssertGreaterThan(checked, 150)
  }

  func testResNetStemPool_handChecked() throws {
    // 3x3, stride 2, padding 1 over a 4x4 plane: windows clipped at the top and left.
    let x = try Tensor(shape: [1, 1, 4, 4], scalars: [
      1, 5, 2, 0,
      3, 5, 9, 9,
      4, 8, 6, 1,
      0, 7, 7, 2,
    ]).requiringGradient()
    let y = try x.maxPool2d(kernelSize: 3, stride: 2, padding: 1)
    XCTAssertEqual(y.scalars, [5, 9, 8, 9])
    try y.backward(seed: Tensor.ones(y.shape))
    // Ties go to the first in scan order: the 5 at (0, 1) for window 0, the 9 at (1, 2) for
    // windows 1 and 3 (both), the 8 at (2, 1) for window 2.
    var expected = [Float](repeating: 0, count: 16)
    expected[1] = 1
    expected[6] = 2
    expected[9] = 1
    XCTAssertEqual(x.gradient?.scalars, expected)
  }
}
