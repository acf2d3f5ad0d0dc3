import XCTest

@testable import GrawaTensor

/// When the one-pixel path applies and which taps it reads. (Its outputs and gradients are
/// checked against a `Double` reference, for every kernel variant, in `ConvolutionTilesTests`.)
final class OnePixelConvolutionTests: XCTestCase {
  private func geometry(
    cin: Int = 3, size: Int, kernel: Int, stride: Int = 1, padding: Int
  ) -> ConvolutionGeometry {
    ConvolutionGeometry(
      batch: 2, inChannels: cin, height: size, width: size, outChannels: 4, kernelHeight: kernel,
      kernelWidth: kernel, stride: stride, padding: padding)
  }

  func testTaken_onlyForOutputsOfOnePixel() {
    XCTAssertNotNil(OnePixelConvolution(geometry(size: 1, kernel: 1, padding: 0)))
    XCTAssertNotNil(OnePixelConvolution(geometry(size: 1, kernel: 3, padding: 1)))
    XCTAssertNotNil(OnePixelConvolution(geometry(size: 2, kernel: 1, stride: 2, padding: 0)))
    XCTAssertNil(OnePixelConvolution(geometry(size: 2, kernel: 3, padding: 1)))
    XCTAssertNil(OnePixelConvolution(geometry(size: 2, kernel: 1, padding: 0)))
  }

  func testTaps_areTheOnesInsideTheImage_inPatchRowOrder() throws {
    // 3x3 kernel, padding 1, on a 1x1 map: only the centre tap, so the weight is gathered (one
    // column of nine per channel) and the input is used as it is.
    let centre = try XCTUnwrap(OnePixelConvolution(geometry(cin: 2, size: 1, kernel: 3, padding: 1)))
    XCTAssertEqual(centre.depth, 2)
    XCTAssertEqual(centre.taps.inputOffsets, [0, 1])
    XCTAssertEqual(centre.taps.weightColumns, [4, 13])
    XCTAssertTrue(centre.inputIsPatchRows)
    XCTAssertFalse(centre.weightIsBlock)
    // Stride 2, padding 1, on a 2x2 map: the window's lower-right 2x2 taps see the whole image.
    let corner = try XCTUnwrap(
      OnePixelConvolution(geometry(cin: 2, size: 2, kernel: 3, stride: 2, padding: 1)))
    XCTAssertEqual(corner.depth, 8)
    XCTAssertEqual(corner.taps.inputOffsets, [0, 1, 2, 3, 4, 5, 6, 7])
    XCTAssertEqual(corner.taps.weightColumns, [4, 5, 7, 8, 13, 14, 16, 17])
    XCTAssertTrue(corner.inputIsPatchRows)
    XCTAssertFalse(corner.weightIsBlock)
    // A strided 1x1 projection of a 2x2 map reads pixel (0, 0) of each channel.
    let projection = try XCTUnwrap(
      OnePixelConvolution(geometry(cin: 3, size: 2, kernel: 1, stride: 2, padding: 0)))
    XCTAssertEqual(projection.taps.inputOffsets, [0, 4, 8])
    XCTAssertEqual(projection.taps.weightColumns, [0, 1, 2])
    XCTAssertFalse(projection.inputIsPatchRows)
    XCTAssertTrue(projection.weightIsBlock)
  }
}
