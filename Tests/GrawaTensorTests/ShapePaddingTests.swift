import GrawaTensor
import XCTest
import _TestSupport

final class ShapePaddingTests: XCTestCase {
  func testSubsampled_keepsEveryStrideThPixelFromZero() throws {
    // 5x5 plane holding 0...24, stride 2: rows and columns 0, 2, 4 (ceil(5 / 2) = 3).
    let x = try Tensor(shape: [1, 1, 5, 5], scalars: (0..<25).map(Float.init))
    let y = try x.subsampled(stride: 2)
    XCTAssertEqual(y.shape, [1, 1, 3, 3])
    XCTAssertEqual(y.scalars, [0, 2, 4, 10, 12, 14, 20, 22, 24])
    // 4x5, stride 3: rows 0, 3 and columns 0, 3 in each of two planes.
    let z = try Tensor(shape: [1, 2, 4, 5], scalars: (0..<40).map(Float.init))
    let w = try z.subsampled(stride: 3)
    XCTAssertEqual(w.shape, [1, 2, 2, 2])
    XCTAssertEqual(w.scalars, [0, 3, 15, 18, 20, 23, 35, 38])
    XCTAssertEqual(try z.subsampled(stride: 1), z)
  }

  func testSubsampledGradient_matchesFiniteDifferences() throws {
    var random = TestRandom(seed: 41)
    for stride in [1, 2, 3] {
      try checkGradient(
        of: { try $0[0].subsampled(stride: stride) }, at: [random.tensor([2, 3, 7, 6])])
    }
  }

  func testSubsampledGradient_isZeroAtSkippedPixels() throws {
    let x = Tensor.zeros([1, 1, 3, 3]).requiringGradient()
    let y = try x.subsampled(stride: 2)
    try y.backward(seed: try Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4]))
    XCTAssertEqual(x.gradient?.scalars, [1, 0, 2, 0, 0, 0, 3, 0, 4])
  }

  func testPaddingChannels_addsZeroChannelsOnBothSides() throws {
    // Two images of one 1x2 channel; one zero channel before, two after.
    let x = try Tensor(shape: [2, 1, 1, 2], scalars: [1, 2, 3, 4])
    let y = try x.paddingChannels(before: 1, after: 2)
    XCTAssertEqual(y.shape, [2, 4, 1, 2])
    XCTAssertEqual(y.scalars, [0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 3, 4, 0, 0, 0, 0])
  }

  func testPaddingChannelsGradient_matchesFiniteDifferences() throws {
    var random = TestRandom(seed: 42)
    for (before, after) in [(0, 0), (2, 2), (0, 3), (1, 0)] {
      try checkGradient(
        of: { try $0[0].paddingChannels(before: before, after: after) },
        at: [random.tensor([2, 3, 4, 5])])
    }
  }

  func testOptionAShortcut_composesWithArithmetic() throws {
    // ResNet option A: x[:, :, ::2, ::2] padded with C/2 zero channels on both sides.
    var random = TestRandom(seed: 43)
    try checkGradient(
      of: { t in try (t[0].subsampled(stride: 2).paddingChannels(before: 2, after: 2)) + t[1] },
      at: [random.tensor([2, 4, 6, 6]), random.tensor([2, 8, 3, 3])])
  }

  func testShapeErrors() {
    XCTAssertThrowsError(try Tensor.zeros([2, 3]).subsampled(stride: 2)) { error in
      XCTAssertEqual("\(error)", "subsampled: input must be [N, C, H, W], got shape [2, 3]")
    }
    XCTAssertThrowsError(try Tensor.zeros([1, 1, 2, 2]).subsampled(stride: 0)) { error in
      XCTAssertEqual("\(error)", "subsampled: stride must be at least 1, got 0")
    }
    XCTAssertThrowsError(try Tensor.zeros([1, 1, 2, 2]).paddingChannels(before: -1, after: 0)) {
      error in
      XCTAssertEqual(
        "\(error)", "paddingChannels: channel padding must be non-negative, got -1 and 0")
    }
    XCTAssertThrowsError(try Tensor.zeros([1, 2, 2]).paddingChannels(before: 1, after: 1)) {
      error in
      XCTAssertEqual("\(error)", "paddingChannels: input must be [N, C, H, W], got shape [1, 2, 2]")
    }
  }
}
