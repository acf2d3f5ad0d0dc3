import XCTest

@testable import GrawaTensor

/// The patch-matrix transform and its adjoint (``Im2Col``), element by element against their
/// definitions, on every path: 1x1 stride 1, stride 1 with and without padding, the phase planes
/// of strides 2 and 3, and the subsampling 1x1 shortcuts; widths below, at and around the 8- and
/// 16-float vector steps, odd and even.
final class PatchMatrixTests: XCTestCase {
  private struct Case: CustomStringConvertible {
    var images, channels, height, width, kernelHeight, kernelWidth, stride, padding: Int
    var geometry: ConvolutionGeometry {
      ConvolutionGeometry(
        batch: images, inChannels: channels, height: height, width: width, outChannels: 1,
        kernelHeight: kernelHeight, kernelWidth: kernelWidth, stride: stride, padding: padding)
    }
    var description: String {
      "\(images)x\(channels)x\(height)x\(width) k\(kernelHeight)x\(kernelWidth) s\(stride) p\(padding)"
    }
  }

  private var cases: [Case] {
    var list: [Case] = []
    for width in [1, 5, 8, 15, 16, 17, 31, 32, 33, 34, 47, 64, 66] {
      list.append(Case(images: 2, channels: 2, height: 6, width: width, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 1))
      list.append(Case(images: 2, channels: 2, height: 5, width: width, kernelHeight: 1, kernelWidth: 1, stride: 2, padding: 0))
      list.append(Case(images: 1, channels: 2, height: 4, width: width, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1))
    }
    list += [
      Case(images: 2, channels: 3, height: 9, width: 8, kernelHeight: 5, kernelWidth: 5, stride: 2, padding: 2),
      Case(images: 2, channels: 2, height: 7, width: 9, kernelHeight: 7, kernelWidth: 7, stride: 2, padding: 3),
      Case(images: 2, channels: 2, height: 6, width: 7, kernelHeight: 2, kernelWidth: 3, stride: 3, padding: 0),
      Case(images: 1, channels: 1, height: 3, width: 3, kernelHeight: 5, kernelWidth: 5, stride: 3, padding: 1),
      Case(images: 2, channels: 2, height: 10, width: 35, kernelHeight: 1, kernelWidth: 1, stride: 3, padding: 0),
      Case(images: 2, channels: 2, height: 8, width: 20, kernelHeight: 3, kernelWidth: 3, stride: 4, padding: 1),
      Case(images: 2, channels: 2, height: 8, width: 9, kernelHeight: 3, kernelWidth: 3, stride: 2, padding: 0),
      Case(images: 2, channels: 3, height: 5, width: 6, kernelHeight: 1, kernelWidth: 1, stride: 1, padding: 0),
      Case(images: 2, channels: 2, height: 7, width: 32, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 0),
      Case(images: 2, channels: 2, height: 5, width: 6, kernelHeight: 2, kernelWidth: 3, stride: 1, padding: 2),
    ]
    return list
  }

  /// Distinct values with both signs and some negative zeros.
  private func values(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed
    return (0..<count).map { i in
      if i % 11 == 3 { return -0.0 }
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Float(Int(truncatingIfNeeded: state >> 41) - (1 << 22)) / Float(1 << 20)
    }
  }

  /// The input pixel that patch-matrix entry `(c, kh, kw), (i, oh, ow)` reads, or nil in the
  /// padding.
  private func pixel(_ g: ConvolutionGeometry, c: Int, kh: Int, kw: Int, i: Int, oh: Int, ow: Int)
    -> Int?
  {
    let h = oh * g.stride - g.padding + kh
    let w = ow * g.stride - g.padding + kw
    guard h >= 0, h < g.height, w >= 0, w < g.width else { return nil }
    return ((i * g.inChannels + c) * g.height + h) * g.width + w
  }

  /// Calls `body(entry, pixel)` for every entry of the patch matrix of `images` images (rows `ld`
  /// apart) with the input pixel it reads (nil in the padding), image by image, channel by
  /// channel, then kernel row, kernel column, output row and column.
  private func forEachEntry(
    _ g: ConvolutionGeometry, images: Int, ld: Int, _ body: (Int, Int?) -> Void
  ) {
    for i in 0..<images {
      for c in 0..<g.inChannels {
        for kh in 0..<g.kernelHeight {
          for kw in 0..<g.kernelWidth {
            let row = (c * g.kernelHeight + kh) * g.kernelWidth + kw
            for oh in 0..<g.outHeight {
              for ow in 0..<g.outWidth {
                body(
                  row * ld + (i * g.outHeight + oh) * g.outWidth + ow,
                  pixel(g, c: c, kh: kh, kw: kw, i: i, oh: oh, ow: ow))
              }
            }
          }
        }
      }
    }
  }

  func testIm2col_writesEveryEntryOfItsDefinition() {
    for testCase in cases {
      let g = testCase.geometry
      let x = values(testCase.images * g.inChannels * g.inPlane, seed: 7)
      let used = testCase.images * g.outPlane
      let ld = used + 5
      var col = [Float](repeating: .nan, count: g.patchSize * ld)
      x.withUnsafeBufferPointer { input in
        col.withUnsafeMutableBufferPointer { out in
          Im2Col.im2col(g, input: input.baseAddress!, images: testCase.images, col: out.baseAddress!, ld: ld)
        }
      }
      var wrong = 0
      forEachEntry(g, images: testCase.images, ld: ld) { entry, pixel in
        let expected = pixel.map { x[$0] } ?? 0
        if col[entry].bitPattern != expected.bitPattern { wrong += 1 }
      }
      for row in 0..<g.patchSize {
        for j in used..<ld where col[row * ld + j].bitPattern != Float(0).bitPattern { wrong += 1 }
      }
      XCTAssertEqual(wrong, 0, "\(testCase)")
    }
  }

  /// Each pixel's gradient is `0 + e1 + e2 + ...` over the entries that read it, in the order
  /// (kernel row, kernel column), bit for bit; pixels no entry reads are `+0`.
  func testCol2im_sumsTheEntriesOfEachPixelInTapOrder() {
    for testCase in cases {
      let g = testCase.geometry
      let used = testCase.images * g.outPlane
      let ld = used + 3
      let col = values(g.patchSize * ld, seed: 99)
      var expected = [Float](repeating: 0, count: testCase.images * g.inChannels * g.inPlane)
      forEachEntry(g, images: testCase.images, ld: ld) { entry, pixel in
        if let pixel { expected[pixel] += col[entry] }
      }
      var gradient = [Float](repeating: .nan, count: expected.count)
      col.withUnsafeBufferPointer { source in
        gradient.withUnsafeMutableBufferPointer { out in
          Im2Col.col2im(g, col: source.baseAddress!, ld: ld, images: testCase.images, gradient: out.baseAddress!)
        }
      }
      let wrong = zip(gradient, expected).filter { $0.bitPattern != $1.bitPattern }.count
      XCTAssertEqual(wrong, 0, "\(testCase)")
    }
  }

  /// Filling phase planes and reading them back returns the plane; every other position of the
  /// phases (the padding) stays as it was.
  func testPhasePlanes_roundTripThePlaneAndLeaveThePaddingAlone() {
    for (stride, padding, width) in [(2, 1, 32), (2, 0, 17), (2, 2, 9), (3, 1, 10), (4, 3, 33)] {
      let g = ConvolutionGeometry(
        batch: 1, inChannels: 1, height: 5, width: width, outChannels: 1, kernelHeight: 3,
        kernelWidth: 3, stride: stride, padding: padding)
      let layout = PhasePlanes(g)
      let plane = values(g.inPlane, seed: 3)
      var phases = [Float](repeating: 42, count: layout.count)
      var back = [Float](repeating: .nan, count: g.inPlane)
      plane.withUnsafeBufferPointer { source in
        phases.withUnsafeMutableBufferPointer { layout.fill(from: source.baseAddress!, into: $0.baseAddress!) }
      }
      phases.withUnsafeBufferPointer { layout.extract(from: $0.baseAddress!, into: &back) }
      XCTAssertEqual(back.map(\.bitPattern), plane.map(\.bitPattern), "s\(stride) p\(padding) w\(width)")
      // Interior positions hold the plane; all others are untouched.
      var interior = Set<Int>()
      for h in 0..<g.height {
        for x in 0..<width {
          let q = x + padding
          interior.insert((q % stride) * layout.phaseSize + (h + padding) * layout.phaseWidth + q / stride)
        }
      }
      XCTAssertEqual(interior.count, g.inPlane)
      let touched = phases.indices.filter { !interior.contains($0) && phases[$0] != 42 }
      XCTAssertEqual(touched, [], "s\(stride) p\(padding) w\(width)")
    }
  }
}
