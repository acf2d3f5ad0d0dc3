import GrawaTensor
import XCTest
import _TestSupport

/// Direct window pooling over a padded plane: `max` with -inf padding or the mean with zero
/// padding counted (divisor k * k).
private func naivePool(_ x: Tensor, kernel: Int, stride: Int, padding: Int, max useMax: Bool)
  -> Tensor
{
  let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
  let oh = (h + 2 * padding - kernel) / stride + 1
  let ow = (w + 2 * padding - kernel) / stride + 1
  var out: [Float] = []
  for plane in 0..<(n * c) {
    for i in 0..<oh {
      for j in 0..<ow {
        var best = -Float.infinity
        var sum: Double = 0
        for u in 0..<kernel {
          for v in 0..<kernel {
            let (ih, iw) = (i * stride - padding + u, j * stride - padding + v)
            let value =
              ih >= 0 && ih < h && iw >= 0 && iw < w ? x.scalars[(plane * h + ih) * w + iw] : nil
            if let value { best = max(best, value) }
            sum += Double(value ?? 0)
          }
        }
        out.append(useMax ? best : Float(sum / Double(kernel * kernel)))
      }
    }
  }
  return (try? Tensor(shape: [n, c, oh, ow], scalars: out)) ?? Tensor.zeros([0])
}

/// Distinct values `0.05 * permutation` (shifted to be centred on 0): neighbouring values differ by
/// at least 0.05, so a finite-difference step of 1e-3 never changes which element is the maximum.
private func shuffledDistinct(_ shape: [Int], _ random: inout TestRandom) -> Tensor {
  let count = shape.reduce(1, *)
  var values = (0..<count).map { Float($0) * 0.05 - Float(count) * 0.025 }
  for i in stride(from: count - 1, to: 0, by: -1) {
    values.swapAt(i, Int(random.next() % UInt64(i + 1)))
  }
  return (try? Tensor(shape: shape, scalars: values)) ?? Tensor.zeros([0])
}

/// (kernel, stride, padding) combinations, including overlapping windows and padding.
private let windows = [(2, 2, 0), (3, 2, 1), (3, 1, 1), (2, 1, 0), (3, 3, 0), (4, 2, 2), (1, 2, 0)]

final class PoolingTests: XCTestCase {
  func testMaxPool_matchesNaiveReference() throws {
    var random = TestRandom(seed: 21)
    for (k, s, p) in windows {
      let x = random.tensor([2, 3, 7, 6])
      assertClose(
        try x.maxPool2d(kernelSize: k, stride: s, padding: p),
        naivePool(x, kernel: k, stride: s, padding: p, max: true))
    }
    // The default stride is the kernel size.
    let x = random.tensor([1, 2, 6, 6])
    XCTAssertEqual(try x.maxPool2d(kernelSize: 2), try x.maxPool2d(kernelSize: 2, stride: 2))
  }

  func testHalvingPools_vectorisedRowsMatchNaiveReference() throws {
    // 2x2 stride-2 windows take eight outputs at a time: width 20 gives 8 vectorised outputs and 2
    // scalar ones per row.
    var random = TestRandom(seed: 29)
    let x = shuffledDistinct([2, 3, 6, 20], &random)
    assertClose(
      try x.maxPool2d(kernelSize: 2), naivePool(x, kernel: 2, stride: 2, padding: 0, max: true))
    assertClose(
      try x.avgPool2d(kernelSize: 2), naivePool(x, kernel: 2, stride: 2, padding: 0, max: false),
      rtol: 1e-6,
      atol: 1e-7)
    try checkGradient(of: { try $0[0].maxPool2d(kernelSize: 2) }, at: [x], epsilon: 1e-3)
    try checkGradient(of: { try $0[0].avgPool2d(kernelSize: 2) }, at: [x])
  }

  func testHalvingMaxPool_vectorisedTiesAndNaNFollowScanOrder() throws {
    // Ties: the first position in scan order; a NaN wins its window (as in PyTorch).
    var values = [Float](repeating: 1, count: 2 * 16)
    values[16 + 5] = .nan  // bottom row, column 5: window 2
    let x = try Tensor(shape: [1, 1, 2, 16], scalars: values).requiringGradient()
    let y = try x.maxPool2d(kernelSize: 2)
    XCTAssertTrue(y.scalars[2].isNaN)
    XCTAssertEqual(
      y.scalars.enumerated().filter { $0.offset != 2 }.map(\.element),
      [Float](repeating: 1, count: 7))
    try y.backward(seed: Tensor.ones(y.shape))
    var expected = [Float](repeating: 0, count: 32)
    for window in 0..<8 { expected[2 * window] = 1 }
    expected[4] = 0
    expected[16 + 5] = 1
    XCTAssertEqual(x.gradient?.scalars, expected)
  }

  func testMaxPool_paddingIsMinusInfinity() throws {
    // All values negative: zero padding would wrongly win at the borders.
    let x = try Tensor(shape: [1, 1, 2, 2], scalars: [-4, -3, -2, -1])
    XCTAssertEqual(try x.maxPool2d(kernelSize: 3, stride: 1, padding: 1).scalars, [-1, -1, -1, -1])
  }

  func testMaxPool_tiesSendGradientToFirstInScanOrder() throws {
    let x = Tensor.ones([1, 1, 2, 4]).requiringGradient()
    let y = try x.maxPool2d(kernelSize: 2)
    try y.backward(seed: try Tensor(shape: [1, 1, 1, 2], scalars: [3, 5]))
    XCTAssertEqual(x.gradient?.scalars, [3, 0, 5, 0, 0, 0, 0, 0])
  }

  func testMaxPool_gradientAccumulatesWhereWindowsShareTheMaximum() throws {
    // Overlapping 2x2 windows with stride 1 over [[0, 9, 0], [0, 0, 0]]: both windows pick the 9.
    let x = try Tensor(shape: [1, 1, 2, 3], scalars: [0, 9, 0, 0, 0, 0]).requiringGradient()
    let y = try x.maxPool2d(kernelSize: 2, stride: 1)
    try y.backward(seed: try Tensor(shape: [1, 1, 1, 2], scalars: [1, 2]))
    XCTAssertEqual(x.gradient?.scalars, [0, 3, 0, 0, 0, 0])
  }

  func testMaxPoolGradient_matchesFiniteDifferences() throws {
    var random = TestRandom(seed: 22)
    for (k, s, p) in windows {
      let x = shuffledDistinct([2, 2, 7, 6], &random)
      try checkGradient(
        of: { try $0[0].maxPool2d(kernelSize: k, stride: s, padding: p) }, at: [x], epsilon: 1e-3)
    }
  }

  func testAvgPool_matchesNaiveReferenceCountingPadding() throws {
    var random = TestRandom(seed: 23)
    for (k, s, p) in windows {
      let x = random.tensor([2, 3, 7, 6])
      assertClose(
        try x.avgPool2d(kernelSize: k, stride: s, padding: p),
        naivePool(x, kernel: k, stride: s, padding: p, max: false),
        rtol: 1e-5, atol: 1e-6)
    }
    // Corner of a 3x3, padding-1 window over ones: 4 real values / 9.
    let ones = Tensor.ones([1, 1, 3, 3])
    XCTAssertEqual(
      try ones.avgPool2d(kernelSize: 3, stride: 1, padding: 1).scalars[0], 4 / 9, accuracy: 1e-7)
  }

  func testAvgPoolGradient_matchesFiniteDifferences() throws {
    var random = TestRandom(seed: 24)
    for (k, s, p) in windows {
      try checkGradient(
        of: { try $0[0].avgPool2d(kernelSize: k, stride: s, padding: p) },
        at: [random.tensor([2, 2, 7, 6])])
    }
  }

  func testAdaptiveAvgPool_usesPyTorchBins() throws {
    // 5 columns to 3 bins: floor(i*5/3) ..< ceil((i+1)*5/3) = 0..<2, 1..<4, 3..<5 (overlapping).
    let x = try Tensor(shape: [1, 1, 1, 5], scalars: [1, 2, 3, 4, 5])
    assertClose(
      try x.adaptiveAvgPool2d(outputSize: (1, 3)),
      try Tensor(shape: [1, 1, 1, 3], scalars: [1.5, 3, 4.5]))
    // 4x4 to 2x2: plain 2x2 average pooling.
    var random = TestRandom(seed: 25)
    let y = random.tensor([2, 3, 4, 4])
    assertClose(
      try y.adaptiveAvgPool2d(outputSize: (2, 2)), try y.avgPool2d(kernelSize: 2), rtol: 1e-6,
      atol: 1e-7)
    // 2 rows to 3 bins: 0..<1, 0..<2, 1..<2 (upsampling).
    let z = try Tensor(shape: [1, 1, 2, 1], scalars: [2, 4])
    assertClose(
      try z.adaptiveAvgPool2d(outputSize: (3, 1)),
      try Tensor(shape: [1, 1, 3, 1], scalars: [2, 3, 4]))
  }

  func testAdaptiveAvgPoolGradient_matchesFiniteDifferences() throws {
    var random = TestRandom(seed: 26)
    for size in [(3, 2), (1, 1), (4, 4), (7, 3)] {
      try checkGradient(
        of: { try $0[0].adaptiveAvgPool2d(outputSize: size) }, at: [random.tensor([2, 2, 7, 5])])
    }
  }

  func testGlobalAvgPool_givesNByC() throws {
    let x = try Tensor(shape: [2, 2, 1, 2], scalars: [1, 3, 10, 20, -1, 1, 0, 5])
    let y = try x.globalAvgPool2d()
    XCTAssertEqual(y.shape, [2, 2])
    XCTAssertEqual(y.scalars, [2, 15, 0, 2.5])
    var random = TestRandom(seed: 27)
    try checkGradient(of: { try $0[0].globalAvgPool2d() }, at: [random.tensor([3, 4, 5, 6])])
  }

  func testLargeInputs_sameResultOnOneAndTwoThreads() throws {
    // Large enough (> 2^18 elements) to be split over threads.
    var random = TestRandom(seed: 28)
    let x = random.tensor([8, 16, 48, 48])
    for threads in [1, 2] {
      let results = try ComputeThreads.withLimit(threads) {
        [
          try x.maxPool2d(kernelSize: 3, stride: 2, padding: 1).scalars,
          try x.avgPool2d(kernelSize: 2).scalars,
        ]
      }
      XCTAssertEqual(results[0], naivePool(x, kernel: 3, stride: 2, padding: 1, max: true).scalars)
      assertClose(
        results[1], naivePool(x, kernel: 2, stride: 2, padding: 0, max: false).scalars, rtol: 1e-6,
        atol: 1e-7)
    }
  }

  func testShapeErrors_nameTheShapes() {
    let x = Tensor.zeros([1, 2, 3, 3])
    XCTAssertThrowsError(try x.maxPool2d(kernelSize: 5)) { error in
      XCTAssertEqual(
        "\(error)",
        "maxPool2d: kernel 5x5 is larger than the padded input 3x3 (input [1, 2, 3, 3], padding 0)")
    }
    XCTAssertThrowsError(try x.avgPool2d(kernelSize: 2, padding: 2)) { error in
      XCTAssertEqual(
        "\(error)", "avgPool2d: padding must be between 0 and half the kernel size 2, got 2")
    }
    XCTAssertThrowsError(try Tensor.zeros([2, 3, 3]).maxPool2d(kernelSize: 2)) { error in
      XCTAssertEqual("\(error)", "maxPool2d: input must be [N, C, H, W], got shape [2, 3, 3]")
    }
    XCTAssertThrowsError(try x.adaptiveAvgPool2d(outputSize: (0, 2))) { error in
      XCTAssertEqual("\(error)", "adaptiveAvgPool2d: output size must be at least 1x1, got 0x2")
    }
    XCTAssertThrowsError(try Tensor.zeros([2, 3]).globalAvgPool2d()) { error in
      XCTAssertEqual(
        "\(error)", "globalAvgPool2d: input must be [N, C, H, W] with H, W > 0, got shape [2, 3]")
    }
  }
}
