import XCTest
import _TestSupport

@testable import GrawaTensor

/// The tap-class convolution for small maps: which geometries take it, its classes and products,
/// chunking of the batch, and the multiply-adds counted for it. (Its numbers are checked against a
/// `Double` reference for every kernel variant in `ConvolutionTilesTests`.)
final class TapClassConvolutionTests: XCTestCase {
  private func geometry(
    batch: Int = 2, channels: Int = 8, height: Int, width: Int? = nil, kernel: Int = 3,
    stride: Int = 1, padding: Int = 1
  ) -> ConvolutionGeometry {
    ConvolutionGeometry(
      batch: batch, inChannels: channels, height: height, width: width ?? height,
      outChannels: channels, kernelHeight: kernel, kernelWidth: kernel, stride: stride,
      padding: padding)
  }

  func testSpans_ofAFourByFourMap_areTopMiddleAndBottomRows() {
    typealias Span = TapClassConvolution.Span
    XCTAssertEqual(
      geometry(height: 4).rowSpans,
      [Span(outputs: 0..<1, taps: 1..<3), Span(outputs: 1..<3, taps: 0..<3),
       Span(outputs: 3..<4, taps: 0..<2)])
    // Stride 2 on 4 rows: output 0 reads rows -1...1, output 1 rows 1...3.
    XCTAssertEqual(
      geometry(height: 4, stride: 2).rowSpans,
      [Span(outputs: 0..<1, taps: 1..<3), Span(outputs: 1..<2, taps: 0..<3)])
    // No padding: every tap of every output is inside.
    XCTAssertEqual(
      geometry(height: 5, padding: 0).columnSpans, [Span(outputs: 0..<3, taps: 0..<3)])
  }

  func testInsideTaps_countOnlyTapsOffThePadding() {
    XCTAssertEqual(geometry(height: 2).insideTaps, 16, "2x2: every pixel sees 2x2 taps")
    XCTAssertEqual(geometry(height: 4).insideTaps, 100, "4x4: (2+3+3+2)^2")
    XCTAssertEqual(geometry(height: 8).insideTaps, 22 * 22)
    XCTAssertEqual(geometry(height: 1).insideTaps, 1)
    XCTAssertEqual(geometry(height: 6, padding: 0).insideTaps, 16 * 9)
    XCTAssertEqual(geometry(height: 2, width: 5).insideTaps, 4 * 13)
  }

  func testTakenForSmallMapsOnly() {
    XCTAssertNotNil(TapClassConvolution(geometry(height: 2)), "2x2: 44% of the taps inside")
    XCTAssertNotNil(TapClassConvolution(geometry(height: 4)), "4x4: 69%")
    XCTAssertNotNil(TapClassConvolution(geometry(height: 1)), "1x1: 11%")
    XCTAssertNotNil(TapClassConvolution(geometry(height: 7)), "7x7: 82%")
    XCTAssertNil(TapClassConvolution(geometry(height: 8)), "8x8: 84%")
    XCTAssertNotNil(TapClassConvolution(geometry(channels: 128, height: 8)), "8x8, 1152 deep")
    XCTAssertNil(TapClassConvolution(geometry(channels: 128, height: 10)), "10x10: 87%")
    XCTAssertNil(TapClassConvolution(geometry(height: 4, kernel: 1, padding: 0)), "1x1 kernel")
    XCTAssertNil(TapClassConvolution(geometry(height: 4, padding: 0)), "no padding")
    // Padding 3 with a 3x3 kernel: the corner outputs see only zeros.
    XCTAssertNil(TapClassConvolution(geometry(height: 2, padding: 3)))
  }

  func testClassesAndProducts_ofAFourByFourMap() throws {
    let g = geometry(batch: 3, channels: 5, height: 4)
    let convolution = try XCTUnwrap(TapClassConvolution(g))
    XCTAssertEqual(convolution.classes.count, 9)
    XCTAssertEqual(convolution.classes.map(\.pixels).reduce(0, +), 16)
    XCTAssertEqual(convolution.classes.map { $0.pixels * $0.taps }.reduce(0, +), 100)
    XCTAssertEqual(convolution.imagesPerChunk, 3)
    XCTAssertEqual(convolution.slots, 2, "3 images: the largest power of two not above 3")
    // The middle class sees whole kernel rows: one product over all 9 taps.
    let middle = try XCTUnwrap(convolution.classes.first { $0.taps == 9 })
    let whole = convolution.segments(middle)
    XCTAssertEqual(whole.count, 1)
    XCTAssertEqual(whole.first?.depth, 45)
    XCTAssertEqual(whole.first?.weightColumn, 0)
    // The top-left corner sees kernel rows 1 and 2, columns 1 and 2: one product per kernel row,
    // each over 2 taps, at tap-major columns (1*3+1)*5 and (2*3+1)*5.
    let corner = convolution.classes[0]
    XCTAssertEqual(corner.taps, 4)
    let rows = convolution.segments(corner)
    XCTAssertEqual(rows.map(\.column), [0, 10])
    XCTAssertEqual(rows.map(\.depth), [10, 10])
    XCTAssertEqual(rows.map(\.weightColumn), [20, 35])
  }

  func testChunkedBatch_matchesOneChunk() throws {
    var random = TestRandom(seed: 7)
    let g = geometry(batch: 7, channels: 6, height: 4)
    let x = random.uniforms(7 * 6 * 16)
    let w = random.uniforms(6 * 6 * 9)
    let b = random.uniforms(6)
    let dy = random.uniforms(7 * 6 * 16)
    let whole = try XCTUnwrap(TapClassConvolution(g))
    // The middle class's patch matrix holds 4 pixels x 9 taps x 6 channels an image: a budget
    // under two images makes chunks of one.
    let chunked = try XCTUnwrap(TapClassConvolution(g, chunkBudget: 2 * 4 * 9 * 6 - 1))
    // Four slots (partial weight gradients) of 1 or 2 images.
    XCTAssertEqual(whole.slots, 4)
    XCTAssertEqual((0..<4).map { whole.images(ofSlot: $0) }, [0..<1, 1..<3, 3..<5, 5..<7])
    XCTAssertEqual(whole.chunks(ofSlot: 3), [5..<7])
    XCTAssertEqual(chunked.chunks(ofSlot: 3), [5..<6, 6..<7])
    func run(_ c: TapClassConvolution) -> [[Float]] {
      let y = makeScalars(count: dy.count) { out in
        c.forward(input: x, weight: w, bias: b, output: out, variant: KernelConfiguration.active)
      }
      let grads = c.backward(
        input: x, inputCount: x.count, weight: w, outputGradient: dy,
        needs: .init(input: true, weight: true, bias: true), variant: KernelConfiguration.active)
      return [y, grads.input ?? [], grads.weight ?? [], grads.bias ?? []]
    }
    let (one, many) = (run(whole), run(chunked))
    // Every output and input-gradient element comes from one product row: the same bits.
    XCTAssertEqual(one[0], many[0], "output")
    XCTAssertEqual(one[1], many[1], "input gradient")
    // The weight gradient adds the chunks one after the other: the same sum, in another order.
    assertClose(many[2], one[2], rtol: 1e-5, atol: 1e-5, "weight gradient")
    XCTAssertEqual(one[3], many[3], "bias gradient")
  }

  func testMultiplyAddCounter_countsTheTapsInsideTheImage() throws {
    var random = TestRandom(seed: 3)
    let x = random.tensor([2, 3, 4, 4]).requiringGradient()
    let w = random.tensor([5, 3, 3, 3]).requiringGradient()
    let counted = try MultiplyAddCounter.counting {
      let y = try x.conv2d(weight: w, padding: 1)
      try y.sum().backward()
    }
    // Forward, input gradient and weight gradient: 3 x N x Cout x Cin x 100.
    XCTAssertEqual(counted.multiplyAdds, 3 * 2 * 5 * 3 * 100)
  }
}
