import Dispatch
import GrawaTensor
import XCTest
import _TestSupport

/// One convolution layer to test: input `[batch, cin, height, width]`, weight
/// `[cout, cin, kh, kw]`.
private struct ConvCase: CustomStringConvertible {
  var batch: Int
  var cin: Int
  var cout: Int
  var height: Int
  var width: Int
  var kh: Int
  var kw: Int
  var stride: Int
  var padding: Int
  var bias: Bool

  var description: String {
    "x[\(batch),\(cin),\(height),\(width)] w[\(cout),\(cin),\(kh),\(kw)] "
      + "s\(stride) p\(padding) bias \(bias)"
  }

  func tensors(_ random: inout TestRandom) -> [Tensor] {
    var list = [
      random.tensor([batch, cin, height, width]), random.tensor([cout, cin, kh, kw], -0.5, 0.5),
    ]
    if bias { list.append(random.tensor([cout])) }
    return list
  }
}

/// The textbook 7-loop convolution, accumulated in Double.
private func naiveConv2d(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride: Int, padding: Int)
  -> Tensor
{
  let (n, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
  let (cout, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
  let oh = (h + 2 * padding - kh) / stride + 1
  let ow = (wd + 2 * padding - kw) / stride + 1
  var out: [Float] = []
  for image in 0..<n {
    for o in 0..<cout {
      for row in 0..<oh {
        for col in 0..<ow {
          var sum = Double(b?.scalars[o] ?? 0)
          for c in 0..<cin {
            for u in 0..<kh {
              for v in 0..<kw {
                let ih = row * stride - padding + u
                let iw = col * stride - padding + v
                guard ih >= 0, ih < h, iw >= 0, iw < wd else { continue }
                let xv = x.scalars[((image * cin + c) * h + ih) * wd + iw]
                let wv = w.scalars[((o * cin + c) * kh + u) * kw + v]
                sum += Double(xv) * Double(wv)
              }
            }
          }
          out.append(Float(sum))
        }
      }
    }
  }
  return (try? Tensor(shape: [n, cout, oh, ow], scalars: out)) ?? Tensor.zeros([0])
}

private func conv(_ inputs: [Tensor], _ c: ConvCase) throws -> Tensor {
  try inputs[0].conv2d(
    weight: inputs[1], bias: inputs.count > 2 ? inputs[2] : nil, stride: c.stride,
    padding: c.padding)
}

/// Output and the three gradients of one forward + backward pass, as flat arrays.
private func trainingStep(_ t: [Tensor], _ c: ConvCase, threads: Int) throws -> [[Float]] {
  try ComputeThreads.withLimit(threads) {
    let leaves = t.map { $0.requiringGradient() }
    let y = try conv(leaves, c)
    var random = TestRandom(seed: 99)
    try y.backward(seed: random.tensor(y.shape))
    return [y.scalars] + leaves.map { $0.gradient?.scalars ?? [] }
  }
}

final class ConvolutionTests: XCTestCase {
  /// Kernels 1x1, 3x3, 5x5, 2x3, 3x5 and 5x3; strides 1-3; paddings 0-2. Stride-1 convolutions
  /// whose input and output widths are multiples of 16 take the
  /// padded-plane path (here 1x1, 3x3 with an odd number of 16-pixel runs, 5x3 with different row
  /// and column padding of the output gradient, 10 -> 9 channels for partial 8-row weight panels,
  /// several images per group); all others take the explicit patch-matrix path with several
  /// images per group (including stride-2 outputs 16 and more wide, gathered 16 at a time).
  private let cases: [ConvCase] = [
    ConvCase(
      batch: 2, cin: 3, cout: 4, height: 5, width: 5, kh: 1, kw: 1, stride: 1, padding: 0,
      bias: true),
    ConvCase(
      batch: 2, cin: 2, cout: 3, height: 32, width: 32, kh: 1, kw: 1, stride: 1, padding: 0,
      bias: false),
    ConvCase(
      batch: 2, cin: 3, cout: 2, height: 7, width: 6, kh: 1, kw: 1, stride: 2, padding: 0,
      bias: false),
    ConvCase(
      batch: 3, cin: 2, cout: 3, height: 7, width: 7, kh: 3, kw: 3, stride: 1, padding: 1,
      bias: true),
    ConvCase(
      batch: 2, cin: 3, cout: 2, height: 8, width: 9, kh: 3, kw: 3, stride: 2, padding: 1,
      bias: false),
    ConvCase(
      batch: 2, cin: 2, cout: 3, height: 9, width: 8, kh: 5, kw: 5, stride: 2, padding: 2,
      bias: true),
    ConvCase(
      batch: 2, cin: 2, cout: 3, height: 6, width: 7, kh: 2, kw: 3, stride: 3, padding: 0,
      bias: true),
    ConvCase(
      batch: 2, cin: 3, cout: 2, height: 5, width: 6, kh: 2, kw: 3, stride: 1, padding: 2,
      bias: false),
    ConvCase(
      batch: 1, cin: 1, cout: 1, height: 3, width: 3, kh: 5, kw: 5, stride: 3, padding: 1,
      bias: true),
    ConvCase(
      batch: 9, cin: 2, cout: 3, height: 16, width: 16, kh: 3, kw: 3, stride: 1, padding: 1,
      bias: true),
    ConvCase(
      batch: 2, cin: 2, cout: 2, height: 33, width: 32, kh: 3, kw: 3, stride: 1, padding: 1,
      bias: true),
    ConvCase(
      batch: 2, cin: 2, cout: 3, height: 7, width: 32, kh: 3, kw: 3, stride: 1, padding: 0,
      bias: false),
    ConvCase(
      batch: 2, cin: 2, cout: 3, height: 6, width: 40, kh: 3, kw: 5, stride: 1, padding: 1,
      bias: true),
    ConvCase(
      batch: 1, cin: 2, cout: 3, height: 9, width: 36, kh: 5, kw: 5, stride: 1, padding: 2,
      bias: true),
    ConvCase(
      batch: 2, cin: 10, cout: 9, height: 5, width: 16, kh: 3, kw: 3, stride: 1, padding: 1,
      bias: true),
    ConvCase(
      batch: 3, cin: 10, cout: 9, height: 6, width: 6, kh: 3, kw: 3, stride: 1, padding: 1,
      bias: false),
    ConvCase(
      batch: 2, cin: 3, cout: 4, height: 9, width: 16, kh: 5, kw: 3, stride: 1, padding: 1,
      bias: true),
    ConvCase(
      batch: 2, cin: 3, cout: 5, height: 3, width: 16, kh: 1, kw: 1, stride: 1, padding: 0,
      bias: false),
    ConvCase(
      batch: 3, cin: 9, cout: 10, height: 6, width: 8, kh: 3, kw: 3, stride: 1, padding: 1,
      bias: true),
    ConvCase(
      batch: 2, cin: 3, cout: 2, height: 4, width: 8, kh: 1, kw: 1, stride: 1, padding: 0,
      bias: false),
    ConvCase(
      batch: 2, cin: 2, cout: 3, height: 8, width: 8, kh: 5, kw: 5, stride: 1, padding: 2,
      bias: true),
    ConvCase(
      batch: 2, cin: 2, cout: 3, height: 6, width: 35, kh: 3, kw: 3, stride: 2, padding: 1,
      bias: true),
    ConvCase(
      batch: 2, cin: 3, cout: 2, height: 5, width: 34, kh: 1, kw: 1, stride: 2, padding: 0,
      bias: false),
    // One output pixel (OnePixelConvolution): a 2x3 kernel over a whole 2x3 image, and 4 of 9
    // taps over part of a 3x3 image (input and weight gathered).
    ConvCase(
      batch: 3, cin: 4, cout: 3, height: 2, width: 3, kh: 2, kw: 3, stride: 1, padding: 0,
      bias: true),
    ConvCase(
      batch: 2, cin: 3, cout: 2, height: 3, width: 3, kh: 3, kw: 3, stride: 3, padding: 1,
      bias: true),
  ]

  func testForward_matchesNaiveSevenLoopReference() throws {
    var random = TestRandom(seed: 11)
    for c in cases {
      let t = c.tensors(&random)
      let expected = naiveConv2d(
        t[0], t[1], c.bias ? t[2] : nil, stride: c.stride, padding: c.padding)
      assertClose(try conv(t, c), expected, rtol: 1e-5, atol: 1e-5, "\(c)")
    }
  }

  func testForward_handComputedTwoByTwo() throws {
    // x = [[1, 2], [3, 4]], w = [[1, 0], [0, -1]] (one channel), padding 0: 1*1 + 4*(-1) = -3,
    // plus bias 0.5 -> -2.5.
    let x = try Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
    let w = try Tensor(shape: [1, 1, 2, 2], scalars: [1, 0, 0, -1])
    XCTAssertEqual(try x.conv2d(weight: w, bias: Tensor([0.5])).scalars, [-2.5])
    // Padding 1, stride 1 gives 3x3; the centre is the unpadded value -3 again.
    let padded = try x.conv2d(weight: w, padding: 1)
    XCTAssertEqual(padded.shape, [1, 1, 3, 3])
    XCTAssertEqual(padded.scalars, [-1, -2, 0, -3, -3, 2, 0, 3, 4])
  }

  func testGradients_allInputs_matchFiniteDifferences() throws {
    var random = TestRandom(seed: 12)
    for c in cases {
      try checkGradient(of: { try conv($0, c) }, at: c.tensors(&random), maxElementsPerInput: 150)
    }
  }

  func testGradients_subsetsRequiringGradient() throws {
    var random = TestRandom(seed: 13)
    let c = ConvCase(
      batch: 4, cin: 3, cout: 2, height: 6, width: 6, kh: 3, kw: 3, stride: 1, padding: 1,
      bias: true)
    let t = c.tensors(&random)
    try checkGradient(of: { try conv($0, c) }, at: t, checked: [1])
    try checkGradient(of: { try conv($0, c) }, at: t, checked: [0])
    try checkGradient(of: { try conv($0, c) }, at: t, checked: [2])
    try checkGradient(of: { try conv($0, c) }, at: t, checked: [0, 2])
  }

  func testWeightGradients_accumulateOverSeveralGroupsPerSlot() throws {
    // Ten single-image groups share eight slots, so two slots sum two groups each: once on the
    // padded-plane path (32x32, stride 1) and once on the explicit path (66x66, stride 2).
    var random = TestRandom(seed: 17)
    let cases = [
      ConvCase(
        batch: 10, cin: 1, cout: 2, height: 32, width: 32, kh: 3, kw: 3, stride: 1, padding: 1,
        bias: true),
      ConvCase(
        batch: 10, cin: 1, cout: 2, height: 66, width: 66, kh: 3, kw: 3, stride: 2, padding: 1,
        bias: true),
    ]
    for c in cases {
      try checkGradient(of: { try conv($0, c) }, at: c.tensors(&random), checked: [1, 2])
    }
  }

  func testBiasGradient_isSumOverBatchAndPixels() throws {
    // With an all-ones seed, d(sum y)/d(bias_o) = N * OH * OW exactly.
    var random = TestRandom(seed: 14)
    let x = random.tensor([5, 2, 6, 6])
    let w = random.tensor([3, 2, 3, 3])
    let b = Tensor([0, 0, 0]).requiringGradient()
    let y = try x.conv2d(weight: w, bias: b, stride: 2, padding: 1)
    try y.backward(seed: Tensor.ones(y.shape))
    XCTAssertEqual(b.gradient?.scalars, [45, 45, 45])
  }

  // MARK: - Shape errors

  private func assertThrows(
    _ expression: @autoclosure () throws -> Tensor, message: String, line: UInt = #line
  ) {
    XCTAssertThrowsError(try expression(), line: line) { error in
      XCTAssertEqual("\(error)", message, line: line)
    }
  }

  func testShapeErrors_nameTheShapes() {
    let x = Tensor.zeros([2, 3, 4, 4])
    assertThrows(
      try x.conv2d(weight: Tensor.zeros([5, 2, 3, 3])),
      message: "conv2d: input [2, 3, 4, 4] has 3 channels but weight [5, 2, 3, 3] expects 2")
    assertThrows(
      try x.conv2d(weight: Tensor.zeros([5, 3, 7, 3]), padding: 1),
      message: "conv2d: kernel 7x3 of weight [5, 3, 7, 3] is larger than the padded input 6x6 "
        + "(input [2, 3, 4, 4], padding 1)")
    assertThrows(
      try x.conv2d(weight: Tensor.zeros([5, 3, 3, 3]), bias: Tensor.zeros([4])),
      message: "conv2d: bias must be [5] for weight [5, 3, 3, 3], got shape [4]")
    assertThrows(
      try Tensor.zeros([3, 4, 4]).conv2d(weight: Tensor.zeros([5, 3, 3, 3])),
      message: "conv2d: input must be [N, Cin, H, W], got shape [3, 4, 4]")
    assertThrows(
      try x.conv2d(weight: Tensor.zeros([5, 3, 3])),
      message: "conv2d: weight must be [Cout, Cin, KH, KW], got shape [5, 3, 3]")
    assertThrows(
      try x.conv2d(weight: Tensor.zeros([5, 3, 3, 3]), stride: 0),
      message: "conv2d: stride must be at least 1, got 0")
    assertThrows(
      try x.conv2d(weight: Tensor.zeros([5, 3, 3, 3]), padding: -1),
      message: "conv2d: padding must be non-negative, got -1")
  }

  // MARK: - Determinism

  /// Bit-identical results for repeated runs and for 1 versus 2 threads (the grouping of images
  /// and the order of the weight-gradient sum depend only on the shapes).
  func testForwardAndBackward_bitIdenticalAcrossRunsAndThreadCounts() throws {
    var random = TestRandom(seed: 15)
    let configurations = [
      // Several images per group, several groups and slots.
      ConvCase(
        batch: 20, cin: 4, cout: 5, height: 12, width: 12, kh: 3, kw: 3, stride: 1, padding: 1,
        bias: true),
      // One image per group.
      ConvCase(
        batch: 6, cin: 3, cout: 4, height: 32, width: 32, kh: 3, kw: 3, stride: 1, padding: 1,
        bias: true),
      // A single group (padded-plane path): the threads share the tiles of each product.
      ConvCase(
        batch: 1, cin: 8, cout: 16, height: 32, width: 32, kh: 3, kw: 3, stride: 1, padding: 1,
        bias: true),
      // A single group (explicit path): tiles and the weight-gradient GEMM use the threads.
      ConvCase(
        batch: 1, cin: 16, cout: 24, height: 40, width: 40, kh: 3, kw: 3, stride: 2, padding: 1,
        bias: true),
    ]
    for c in configurations {
      let t = c.tensors(&random)
      let first = try trainingStep(t, c, threads: 2)
      let second = try trainingStep(t, c, threads: 2)
      let single = try trainingStep(t, c, threads: 1)
      XCTAssertEqual(first.count, 4, "output and three gradients")
      for part in first.indices {
        XCTAssertEqual(first[part], second[part], "\(c) part \(part): repeated run differs")
        XCTAssertEqual(first[part], single[part], "\(c) part \(part): 1 vs 2 threads differ")
      }
    }
  }

  func testConcurrentIndependentConvolutions_matchSequentialResults() throws {
    // Several threads, each running its own convolutions (as independent workers do), must not
    // share scratch memory.
    var random = TestRandom(seed: 16)
    let c = ConvCase(
      batch: 6, cin: 3, cout: 4, height: 10, width: 10, kh: 3, kw: 3, stride: 1, padding: 1,
      bias: true)
    let inputs = (0..<4).map { _ in c.tensors(&random) }
    let expected = try inputs.map { try trainingStep($0, c, threads: 1) }
    let results = UnsafeMutableBufferPointer<[[Float]]>.allocate(capacity: inputs.count)
    results.initialize(repeating: [])
    defer { results.deallocate() }
    let shared = UncheckedSendable(results)
    let sharedInputs = UncheckedSendable(inputs)
    DispatchQueue.concurrentPerform(iterations: inputs.count * 3) { job in
      let index = job % inputs.count
      let value = (try? trainingStep(sharedInputs.value[index], c, threads: 1)) ?? []
      if job < inputs.count { shared.value[index] = value }
    }
    for index in inputs.indices {
      XCTAssertEqual(results[index], expected[index], "worker \(index)")
    }
  }

  func testBenchmark_reportsPositiveTimings() throws {
    let result = try ConvBenchmark.measure(
      .init(
        batch: 2, inChannels: 3, outChannels: 4, height: 8, width: 8, kernelSize: 3, padding: 1,
        threads: 1, warmup: 1, repetitions: 3))
    XCTAssertGreaterThan(result.medianMilliseconds, 0)
    XCTAssertLessThanOrEqual(result.bestMilliseconds, result.medianMilliseconds)
    // Taps inside the 8x8 image: along each axis the first and last output see 2 of the 3 kernel
    // rows (columns), the other 6 all 3, so 22 x 22 (output pixel, tap) pairs instead of 64 x 9.
    XCTAssertEqual(result.configuration.flopsPerStep, 3 * 2 * 2 * 4 * 3 * 22 * 22)
  }
}
