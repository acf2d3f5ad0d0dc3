import XCTest
import _TestSupport

@testable import GrawaTensor

/// Every kernel variant's convolution tiles (product tiles, dot-product tiles, weight packing and
/// the weight-gradient SGEMM), forced on this machine with
/// ``KernelConfiguration/withVariant(_:_:)``:
/// the output and all three gradients match a textbook reference in `Double`, and all variants
/// give the same bits.
final class ConvolutionTilesTests: XCTestCase {
  /// `[batch, cin, height, width]`, `[cout, cin, k, k]`, stride, padding.
  private struct Layer: CustomStringConvertible {
    var batch, cin, cout, height, width, kernel, stride, padding: Int
    var description: String {
      "x[\(batch),\(cin),\(height),\(width)] w[\(cout),\(cin),\(kernel),\(kernel)] "
        + "s\(stride) p\(padding)"
    }
    var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
  }

  /// Channel counts that are not multiples of 6 or 8 (partial weight panels for every variant),
  /// on both convolution paths: padded planes (stride 1, widths 16 and 32, an odd number of
  /// 16-pixel runs per image; widths padded up to whole runs) and the explicit patch matrix (8x8,
  /// 7x7, stride 2).
  private let layers = [
    Layer(batch: 3, cin: 5, cout: 13, height: 16, width: 16, kernel: 3, stride: 1, padding: 1),
    Layer(batch: 2, cin: 10, cout: 9, height: 5, width: 32, kernel: 3, stride: 1, padding: 1),
    Layer(batch: 2, cin: 7, cout: 11, height: 3, width: 16, kernel: 1, stride: 1, padding: 0),
    Layer(batch: 4, cin: 9, cout: 14, height: 8, width: 8, kernel: 3, stride: 1, padding: 1),
    Layer(batch: 3, cin: 6, cout: 7, height: 7, width: 7, kernel: 3, stride: 1, padding: 1),
    Layer(batch: 2, cin: 3, cout: 17, height: 15, width: 15, kernel: 3, stride: 2, padding: 1),
    // Padded planes whose rows are padded up to whole runs, the extra columns dropped: 28 and 14
    // columns (Fashion-MNIST), a 1x1 convolution 14 wide, no padding (30 to 28 columns; the
    // input gradient's pass 30 to 32), and a 5x5 kernel on 13 columns.
    Layer(batch: 3, cin: 4, cout: 10, height: 6, width: 28, kernel: 3, stride: 1, padding: 1),
    Layer(batch: 5, cin: 11, cout: 6, height: 14, width: 14, kernel: 3, stride: 1, padding: 1),
    Layer(batch: 2, cin: 7, cout: 9, height: 3, width: 14, kernel: 1, stride: 1, padding: 0),
    Layer(batch: 2, cin: 3, cout: 8, height: 5, width: 30, kernel: 3, stride: 1, padding: 0),
    Layer(batch: 3, cin: 2, cout: 5, height: 9, width: 13, kernel: 5, stride: 1, padding: 2),
    // A patch matrix too tall for the L2 budget: groups of 3 images anyway (300 columns for the
    // weight-gradient SGEMM), the last group partial; 1170 deep, so its forward and
    // input-gradient products run on the packed GEMM.
    Layer(batch: 7, cin: 130, cout: 5, height: 10, width: 10, kernel: 3, stride: 1, padding: 1),
    // Small maps, where many taps fall on the padding: classes of output pixels that see the
    // same taps (TapClassConvolution). 7x7 above, 4x4 and 2x2 (VGG-16's last stages), a map
    // narrower than the kernel is tall, one pixel (which OnePixelConvolution takes), stride 2, a
    // 5x5 kernel on 3x3, and a deep 8x8.
    Layer(batch: 3, cin: 6, cout: 10, height: 4, width: 4, kernel: 3, stride: 1, padding: 1),
    Layer(batch: 4, cin: 9, cout: 7, height: 2, width: 2, kernel: 3, stride: 1, padding: 1),
    Layer(batch: 2, cin: 5, cout: 6, height: 2, width: 5, kernel: 3, stride: 1, padding: 1),
    Layer(batch: 3, cin: 4, cout: 5, height: 1, width: 1, kernel: 3, stride: 1, padding: 1),
    Layer(batch: 2, cin: 7, cout: 9, height: 4, width: 4, kernel: 3, stride: 2, padding: 1),
    Layer(batch: 2, cin: 3, cout: 4, height: 3, width: 3, kernel: 5, stride: 1, padding: 2),
    Layer(batch: 2, cin: 130, cout: 6, height: 8, width: 8, kernel: 3, stride: 1, padding: 1),
    // One output pixel (OnePixelConvolution; the 1x1 map above is one too): a 1x1 convolution
    // of a 1x1 map (the input and weight used as they are), a strided 1x1 projection to 1x1 (the
    // input gathered), 4 of 9 taps seeing a whole 2x2 image (the weight gathered), 4 of 9 taps
    // seeing part of a 3x3 image (both gathered), a 3x3 kernel over a whole 3x3 image, and one
    // large enough for the GEMM to use both threads.
    Layer(batch: 5, cin: 13, cout: 7, height: 1, width: 1, kernel: 1, stride: 1, padding: 0),
    Layer(batch: 3, cin: 9, cout: 11, height: 2, width: 2, kernel: 1, stride: 2, padding: 0),
    Layer(batch: 2, cin: 6, cout: 5, height: 2, width: 2, kernel: 3, stride: 2, padding: 1),
    Layer(batch: 3, cin: 5, cout: 4, height: 3, width: 3, kernel: 3, stride: 3, padding: 1),
    Layer(batch: 4, cin: 3, cout: 6, height: 3, width: 3, kernel: 3, stride: 1, padding: 0),
    Layer(batch: 40, cin: 520, cout: 260, height: 1, width: 1, kernel: 1, stride: 1, padding: 0),
    // 1x1 convolutions of small maps on the patch matrix, whose rows are the input planes copied
    // (DenseNet's 4x4 and ResNet-50's 2x2 stages).
    Layer(batch: 5, cin: 12, cout: 7, height: 4, width: 4, kernel: 1, stride: 1, padding: 0),
    Layer(batch: 3, cin: 9, cout: 10, height: 2, width: 2, kernel: 1, stride: 1, padding: 0),
  ]

  /// Output, input gradient, weight gradient and bias gradient, computed with the seven loops
  /// in `Double`: `dx[n,c,ih,iw] += w[o,c,u,v] dy[n,o,i,j]`, `dw[o,c,u,v] += x[n,c,ih,iw]
  /// dy[n,o,i,j]`, `db[o] += dy[n,o,i,j]` over every window position inside the image.
  private func reference(_ l: Layer, x: [Float], w: [Float], b: [Float], dy: [Float]) -> [[Float]] {
    let (oh, ow) = (l.outHeight, l.outWidth)
    var y = [Double](repeating: 0, count: l.batch * l.cout * oh * ow)
    var dx = [Double](repeating: 0, count: x.count)
    var dw = [Double](repeating: 0, count: w.count)
    var db = [Double](repeating: 0, count: b.count)
    for n in 0..<l.batch {
      for o in 0..<l.cout {
        for i in 0..<oh {
          for j in 0..<ow {
            let outIndex = ((n * l.cout + o) * oh + i) * ow + j
            let g = Double(dy[outIndex])
            var sum = Double(b[o])
            db[o] += g
            for c in 0..<l.cin {
              for u in 0..<l.kernel {
                for v in 0..<l.kernel {
                  let ih = i * l.stride - l.padding + u
                  let iw = j * l.stride - l.padding + v
                  guard ih >= 0, ih < l.height, iw >= 0, iw < l.width else { continue }
                  let xIndex = ((n * l.cin + c) * l.height + ih) * l.width + iw
                  let wIndex = ((o * l.cin + c) * l.kernel + u) * l.kernel + v
                  sum += Double(x[xIndex]) * Double(w[wIndex])
                  dx[xIndex] += Double(w[wIndex]) * g
                  dw[wIndex] += Double(x[xIndex]) * g
                }
              }
            }
            y[outIndex] = sum
          }
        }
      }
    }
    return [y, dx, dw, db].map { $0.map { Float($0) } }
  }

  /// Output and the three gradients of one training step of `l` under `variant`.
  private func step(
    _ l: Layer, _ inputs: [Tensor], dy: Tensor, variant: KernelVariant, threads: Int
  ) throws -> [[Float]] {
    try KernelConfiguration.withVariant(variant) {
      try ComputeThreads.withLimit(threads) {
        let leaves = inputs.map { $0.requiringGradient() }
        let y = try leaves[0].conv2d(
          weight: leaves[1], bias: leaves[2], stride: l.stride, padding: l.padding)
        try y.backward(seed: dy)
        return [y.scalars] + leaves.map { $0.gradient?.scalars ?? [] }
      }
    }
  }

  func testEveryVariant_forwardAndGradients_matchReference_andEachOther() throws {
    var random = TestRandom(seed: 41)
    let parts = ["output", "input gradient", "weight gradient", "bias gradient"]
    for l in layers {
      let x = random.tensor([l.batch, l.cin, l.height, l.width])
      let w = random.tensor([l.cout, l.cin, l.kernel, l.kernel], -0.5, 0.5)
      let b = random.tensor([l.cout])
      let dy = random.tensor([l.batch, l.cout, l.outHeight, l.outWidth])
      let want = reference(l, x: x.scalars, w: w.scalars, b: b.scalars, dy: dy.scalars)
      var first: [[Float]]?
      for variant in KernelVariant.allCases {
        for threads in [1, 2] {
          let got = try step(l, [x, w, b], dy: dy, variant: variant, threads: threads)
          for part in parts.indices {
            assertClose(
              got[part], want[part], rtol: 1e-4, atol: 1e-4,
              "\(l) \(variant) threads=\(threads): \(parts[part])")
          }
          if let first {
            for part in parts.indices {
              XCTAssertEqual(
                zip(first[part], got[part]).filter { $0.bitPattern != $1.bitPattern }.count, 0,
                "\(l) \(variant) threads=\(threads): \(parts[part]) differs from avx512")
            }
          } else {
            first = got
          }
        }
      }
    }
  }

  func testPointwiseConvolutionsOfSmallMaps_takeThePatchMatrix() {
    for side in [2, 4, 8] {
      let g = ConvolutionGeometry(
        batch: 8, inChannels: 12, height: side, width: side, outChannels: 7, kernelHeight: 1,
        kernelWidth: 1, stride: 1, padding: 0)
      XCTAssertTrue(g.isPointwise)
      XCTAssertNil(Convolution.Plan(g, variant: .avx512).padded, "\(side)x\(side)")
      XCTAssertNil(TapClassConvolution(g), "\(side)x\(side)")
      XCTAssertNil(OnePixelConvolution(g), "\(side)x\(side)")
    }
  }

  func testExplicitPlan_givesTheWeightGradientProductAtLeast256Columns() {
    // 512 channels at 4x4 (VGG-16's last stages): 3 images would fit the L2 budget, 16 are used.
    let g = ConvolutionGeometry(
      batch: 128, inChannels: 512, height: 4, width: 4, outChannels: 512, kernelHeight: 3,
      kernelWidth: 3, stride: 1, padding: 1)
    let plan = Convolution.Plan(g, variant: .avx512)
    XCTAssertNil(plan.padded)
    // 14 images is the larger budget's limit; 10 groups of 13 (or 11) images balance 2 slots.
    XCTAssertEqual(plan.imagesPerGroup, 13)
    XCTAssertEqual(plan.groups, 10)
    XCTAssertEqual(plan.slots, 2, "two partial weight gradients of 512 x 4608 fit the slot budget")
    XCTAssertTrue(plan.gemmProducts, "a 4608-deep patch runs its products on the packed GEMM")
    // Small patch matrices keep the 1024-column target.
    let small = ConvolutionGeometry(
      batch: 128, inChannels: 16, height: 8, width: 8, outChannels: 16, kernelHeight: 3,
      kernelWidth: 3, stride: 1, padding: 1)
    XCTAssertEqual(Convolution.Plan(small, variant: .avx2).imagesPerGroup, 16)
    XCTAssertFalse(Convolution.Plan(small, variant: .avx2).gemmProducts)
  }

  func testPaddedPlanes_takeWidthsWholeRunsCoverWithLittleWaste() {
    func plan(side: Int, kernel: Int = 3, padding: Int = 1, stride: Int = 1) -> Convolution.Plan {
      Convolution.Plan(
        ConvolutionGeometry(
          batch: 8, inChannels: 16, height: side, width: side, outChannels: 16,
          kernelHeight: kernel, kernelWidth: kernel, stride: stride, padding: padding),
        variant: .avx512)
    }
    // Whole runs: the dense tensors are written in place.
    for side in [16, 32] {
      let padded = try? XCTUnwrap(plan(side: side).padded)
      XCTAssertEqual(padded?.input.isDense, true, "\(side)x\(side)")
      XCTAssertEqual(padded?.gradient.isDense, true, "\(side)x\(side)")
    }
    // 28 and 14 columns: rows of 32 and 16, the extra columns staged and dropped.
    for (side, pass) in [(28, 32), (14, 16), (30, 32)] {
      let padded = try? XCTUnwrap(plan(side: side).padded)
      XCTAssertEqual(padded?.input.outWidth, pass, "\(side)x\(side)")
      XCTAssertEqual(padded?.input.validWidth, side, "\(side)x\(side)")
      XCTAssertEqual(padded?.input.isDense, false, "\(side)x\(side)")
      XCTAssertEqual(padded?.gradient.validWidth, side, "\(side)x\(side)")
    }
    // 16 columns for 7 or 8 would more than double the work: the patch matrix instead. Strided
    // convolutions always take it.
    for side in [7, 8, 4, 12] { XCTAssertNil(plan(side: side).padded, "\(side)x\(side)") }
    XCTAssertNil(plan(side: 32, stride: 2).padded)
  }

  func testPlan_givesEverySlotTheSameNumberOfGroups_ofNearlyEqualSize() {
    // (batch, channels, side): the explicit path at 2x2, 4x4, 7x7 and odd batches; the padded
    // path at 16x16 and 32x32.
    let cases = [
      (128, 512, 2), (128, 512, 4), (128, 64, 7), (100, 256, 4), (37, 64, 8), (128, 16, 32),
      (128, 32, 16), (3, 512, 4), (1, 64, 8),
    ]
    for (batch, channels, side) in cases {
      let g = ConvolutionGeometry(
        batch: batch, inChannels: channels, height: side, width: side, outChannels: channels,
        kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
      let plan = Convolution.Plan(g, variant: .avx512)
      let label = "batch \(batch), \(channels) channels at \(side)x\(side)"
      XCTAssertEqual(plan.slots & (plan.slots - 1), 0, "\(label): \(plan.slots) slots")
      XCTAssertLessThanOrEqual(plan.slots, plan.groups, label)
      let sizes = (0..<plan.groups).map { plan.images(ofGroup: $0).count }
      XCTAssertEqual(sizes.reduce(0, +), batch, label)
      XCTAssertEqual(plan.images(ofGroup: plan.groups - 1).upperBound, batch, label)
      // Every group but the last has the same size; the last is at most a group smaller.
      XCTAssertEqual(Set(sizes.dropLast()).count <= 1, true, "\(label): \(sizes)")
      XCTAssertGreaterThan(sizes.last!, 0, label)
      if plan.groups % plan.slots == 0 {
        let perSlot = (0..<plan.slots).map { plan.groups(ofSlot: $0).count }
        XCTAssertEqual(Set(perSlot).count, 1, "\(label): groups per slot \(perSlot)")
      }
      if let padded = plan.padded { XCTAssertEqual(padded.imagesPerGroup, plan.imagesPerGroup) }
    }
    // 128 images in groups of at most 14 (512 channels at 4x4): 10 groups, the last of 11.
    let g = ConvolutionGeometry(
      batch: 128, inChannels: 512, height: 4, width: 4, outChannels: 512, kernelHeight: 3,
      kernelWidth: 3, stride: 1, padding: 1)
    let plan = Convolution.Plan(g, variant: .avx512)
    XCTAssertEqual(plan.images(ofGroup: 9), 117..<128)
  }
}
