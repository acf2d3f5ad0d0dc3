import XCTest

@testable import GrawaTensor

/// The weight-gradient dot products of the padded-plane passes, called directly: every variant's
/// tiles, over segment counts that span several chunks (and none), with row counts that leave
/// partial tiles, on 1 to 3 threads. Each output element must get the exact sum in `Double` to
/// float accuracy added to it, and every variant and thread count the same bits.
final class DotProductTilesTests: XCTestCase {
  private struct Case {
    var xCount: Int
    var yCount: Int
    var segmentCount: Int
  }

  /// `out` after ``ConvolutionKernels/dotProducts(segments:segmentCount:x:ldx:xCount:y:offsets:yCount:out:ldOut:threads:variant:workspace:)``.
  private func products(
    _ c: Case, x: [Float], ldx: Int, y: [Float], offsets: [Int], segments: [Int], start: [Float],
    threads: Int, variant: KernelVariant
  ) -> [Float] {
    var out = start
    let workspace = ConvolutionWorkspace()
    x.withUnsafeBufferPointer { xp in
      y.withUnsafeBufferPointer { yp in
        offsets.withUnsafeBufferPointer { op in
          segments.withUnsafeBufferPointer { sp in
            out.withUnsafeMutableBufferPointer { outp in
              ConvolutionKernels.dotProducts(
                segments: sp.baseAddress!, segmentCount: c.segmentCount, x: xp.baseAddress!,
                ldx: ldx, xCount: c.xCount, y: yp.baseAddress!, offsets: op.baseAddress!,
                yCount: c.yCount, out: outp.baseAddress!, ldOut: c.yCount, threads: threads,
                variant: variant, workspace: workspace)
            }
          }
        }
      }
    }
    return out
  }

  func testEveryVariant_addsTheExactDotProducts_inTheSameBits() {
    var rng = RandomGenerator(seed: 5)
    // 64 segments make a chunk: 0, 1, exactly one, one and one more, several and a partial one.
    // Row counts that no tile shape divides (4 x 5, 3 x 3), and one of each.
    let cases = [
      Case(xCount: 7, yCount: 11, segmentCount: 150), Case(xCount: 5, yCount: 17, segmentCount: 65),
      Case(xCount: 1, yCount: 1, segmentCount: 64), Case(xCount: 9, yCount: 4, segmentCount: 1),
      Case(xCount: 3, yCount: 23, segmentCount: 0), Case(xCount: 16, yCount: 30, segmentCount: 200),
    ]
    for c in cases {
      // x: rows of whole segments; y: one buffer read at row offsets and segment offsets that
      // are not multiples of 16 (as the shifted views of a padded plane are).
      let ldx = max(1, c.segmentCount) * 16
      let x = (0..<(c.xCount * ldx)).map { _ in Float.random(in: -1...1, using: &rng) }
      let yLength = 4000
      let y = (0..<yLength).map { _ in Float.random(in: -1...1, using: &rng) }
      let offsets = (0..<c.yCount).map { _ in Int.random(in: 0...300, using: &rng) }
      var segments: [Int] = []
      for s in 0..<max(1, c.segmentCount) {
        segments += [s * 16, Int.random(in: 0...(yLength - 320), using: &rng)]
      }
      let start = (0..<(c.xCount * c.yCount)).map { _ in Float.random(in: -1...1, using: &rng) }
      var expected = [Float](repeating: 0, count: start.count)
      for i in 0..<c.xCount {
        for j in 0..<c.yCount {
          var sum = Double(start[i * c.yCount + j])
          for s in 0..<c.segmentCount {
            for l in 0..<16 {
              sum += Double(x[i * ldx + segments[2 * s] + l])
                * Double(y[offsets[j] + segments[2 * s + 1] + l])
            }
          }
          expected[i * c.yCount + j] = Float(sum)
        }
      }
      let label = "\(c.xCount) x \(c.yCount), \(c.segmentCount) segments"
      var first: [Float]?
      for variant in KernelVariant.allCases {
        for threads in 1...3 {
          let got = products(
            c, x: x, ldx: ldx, y: y, offsets: offsets, segments: segments, start: start,
            threads: threads, variant: variant)
          for k in 0..<got.count {
            XCTAssertEqual(
              got[k], expected[k], accuracy: 1e-5 * Float(16 * c.segmentCount + 1),
              "\(label), \(variant), \(threads) threads, element \(k)")
          }
          if c.segmentCount == 0 { XCTAssertEqual(got, start, "\(label): nothing to add") }
          if let first {
            XCTAssertEqual(got, first, "\(label), \(variant), \(threads) threads: other bits")
          } else {
            first = got
          }
        }
      }
    }
  }
}
