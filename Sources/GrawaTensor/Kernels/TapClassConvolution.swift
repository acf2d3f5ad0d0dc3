// Convolutions of small maps (VGG-16's 512 channels at 4x4 and 2x2): the output pixels are grouped
// by the kernel taps that fall inside the image, so the zeros of the padding are never multiplied.

/// A convolution computed one class of output pixels at a time, where a class is the pixels whose
/// windows have the same kernel taps inside the image, and each class is a ``GEMM`` over those
/// taps only.
///
/// With a 3x3 kernel and padding 1, each pixel of a 2x2 map sees a different 2x2 block of the
/// kernel: 4 of the 9 taps, so 2.25x fewer multiply-adds than a patch matrix with its zeros. On a
/// 4x4 map the pixels see 100 of 144 taps (1.44x fewer). The path is taken when at most
/// ``maximumInsideFraction`` of the taps fall inside the image (``deepMaximumInsideFraction`` for
/// deep patches).
///
/// A class's rows and columns are runs of output rows (columns) that see the same kernel rows
/// (columns); a class is one run of rows crossed with one run of columns. Its patch matrix has one
/// row per output pixel, channels last: row `(n, i, j)` holds `x[n, c, i*s-p+kh, j*s-p+kw]` for the
/// class's taps `(kh, kw)` in order, `c` innermost. Each tap is then a copy of `Cin` contiguous
/// floats from a channels-last copy of the image. The weight is read tap-major
/// (`[Cout, KH, KW, Cin]`), so a class's taps in one kernel row are one block of columns, and all
/// of its taps are one block when it sees whole kernel rows.
///
/// The three passes for a class with pixel rows `P` (its patch matrix, `rows x depth`), output
/// gradient `dY` (`rows x Cout`) and tap-major weight block `W` (`Cout x depth`):
/// `Y = P Wᵀ`, `dP = dY W` (added back into the input gradient tap by tap), `dW += dYᵀ P`.
///
/// The batch is cut into slots of images (each with its own partial weight gradient, added in
/// order at the end) that run on the threads side by side, as on the patch-matrix path.
///
/// Deterministic, also across thread counts: every sum is one ``GEMM`` call (whose order depends
/// only on its shapes), or a sum over slots, chunks, classes and taps in a fixed order; slots and
/// chunks depend only on the geometry.
struct TapClassConvolution: WholeBatchConvolution {
  /// A run of output rows (or columns) and the kernel rows (columns) inside the image for each.
  struct Span: Equatable {
    var outputs: Range<Int>
    var taps: Range<Int>
  }

  /// The output pixels of a run of rows crossed with a run of columns.
  struct PixelClass: Equatable {
    var rows: Span
    var columns: Span
    /// Pixels of the class in one image.
    var pixels: Int { rows.outputs.count * columns.outputs.count }
    /// Taps each pixel sees.
    var taps: Int { rows.taps.count * columns.taps.count }
  }

  /// One product of a class: `depth` columns of its patch matrix from `column` on, against the
  /// weight's tap-major columns from `weightColumn` on.
  struct Segment {
    var column: Int
    var depth: Int
    var weightColumn: Int
  }

  /// Take this path when at most this fraction of the taps fall inside the image: 1x1, 2x2, 4x4
  /// and 7x7 maps with a 3x3 kernel and padding 1 (0.11, 0.44, 0.69, 0.82), not 14x14 and larger.
  static let maximumInsideFraction = 0.83
  /// The fraction for deep patches (at least ``Convolution/Plan/gemmDepth``, whose patch-matrix
  /// products run on the GEMM as these do): 8x8 maps too (0.84). Shallower 8x8 layers keep the
  /// patch matrix, whose tiles suit their 64-pixel planes and were as fast or faster (measured on
  /// 32 and 64 channels).
  static let deepMaximumInsideFraction = 0.85
  /// At most this many floats in one class's patch matrix (a slot's images are taken in chunks).
  static let chunkBudget = 1 << 21

  let geometry: ConvolutionGeometry
  let classes: [PixelClass]
  /// Slots of consecutive images, each with its own partial weight gradient; spread over the
  /// threads (or run one after the other, with the threads shared inside each product). Depends
  /// on the geometry only, never on the thread count.
  let slots: Int
  /// Images per chunk of a slot (a slot's last chunk may have fewer).
  let imagesPerChunk: Int

  /// The class decomposition of `g`, or `nil` when the patch matrix suits it better (or when some
  /// output pixel sees no tap at all); a slot's images are taken in chunks whose largest patch
  /// matrix holds at most `chunkBudget` floats (at least one image a chunk).
  init?(_ g: ConvolutionGeometry, chunkBudget: Int = TapClassConvolution.chunkBudget) {
    let rowSpans = g.rowSpans
    let columnSpans = g.columnSpans
    let allSpans = rowSpans + columnSpans
    guard !allSpans.isEmpty, allSpans.allSatisfy({ !$0.taps.isEmpty }) else { return nil }
    let total = g.outHeight * g.kernelHeight * g.outWidth * g.kernelWidth
    let most =
      g.patchSize >= Convolution.Plan.gemmDepth
      ? TapClassConvolution.deepMaximumInsideFraction : TapClassConvolution.maximumInsideFraction
    guard Double(g.insideTaps) <= most * Double(total) else { return nil }
    geometry = g
    classes = rowSpans.flatMap { rows in columnSpans.map { PixelClass(rows: rows, columns: $0) } }
    let weightCount = max(1, g.outChannels * g.patchSize)
    slots = Convolution.Plan.powerOfTwo(
      atMost: min(
        g.batch, Convolution.Plan.maxSlots, max(1, Convolution.Plan.slotBudget / weightCount)))
    let perImage = classes.map { $0.pixels * $0.taps * g.inChannels }.max() ?? 1
    imagesPerChunk = max(1, min(g.batch, chunkBudget / max(1, perImage)))
  }

  /// The images of slot `index`: the batch cut into `slots` runs whose sizes differ by at most one.
  func images(ofSlot index: Int) -> Range<Int> {
    (geometry.batch * index / slots)..<(geometry.batch * (index + 1) / slots)
  }

  /// The chunks of slot `index`, in order.
  func chunks(ofSlot index: Int) -> [Range<Int>] {
    let images = images(ofSlot: index)
    return stride(from: images.lowerBound, to: images.upperBound, by: imagesPerChunk).map {
      $0..<min(images.upperBound, $0 + imagesPerChunk)
    }
  }

  /// The products of `pixelClass`: one over all its taps when it sees whole kernel rows (its taps
  /// are then consecutive tap-major columns), else one per kernel row.
  func segments(_ pixelClass: PixelClass) -> [Segment] {
    let g = geometry
    let cin = g.inChannels
    let rowDepth = pixelClass.columns.taps.count * cin
    func weightColumn(_ kh: Int) -> Int {
      (kh * g.kernelWidth + pixelClass.columns.taps.lowerBound) * cin
    }
    if pixelClass.columns.taps.count == g.kernelWidth {
      return [
        Segment(
          column: 0, depth: pixelClass.taps * cin,
          weightColumn: weightColumn(pixelClass.rows.taps.lowerBound))
      ]
    }
    return pixelClass.rows.taps.enumerated().map { index, kh in
      Segment(column: index * rowDepth, depth: rowDepth, weightColumn: weightColumn(kh))
    }
  }

  // MARK: - Forward

  /// `y = conv(x, w) + b` for the whole batch into `output` (`[N, Cout, OH, OW]`, every element
  /// written).
  func forward(
    input x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    output y: UnsafeMutablePointer<Float>, variant: KernelVariant
  ) {
    let tapMajor = TapClassLayout.tapMajor(weight, geometry)
    tapMajor.withUnsafeBufferPointer { w in
      Convolution.distribute(slots) { slot, threads in
        ConvolutionWorkspace.withCurrent { ws in
          for chunk in chunks(ofSlot: slot) {
            forwardChunk(
              chunk, x: x, tapMajor: w.start, bias: bias, y: y, threads: threads,
              variant: variant, workspace: ws)
          }
        }
      }
    }
  }

  /// The forward pass of one chunk of images on up to `threads` threads.
  private func forwardChunk(
    _ chunk: Range<Int>, x: UnsafePointer<Float>, tapMajor w: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, threads: Int,
    variant: KernelVariant, workspace ws: ConvolutionWorkspace
  ) {
    let g = geometry
    let (cin, cout) = (g.inChannels, g.outChannels)
    let images = chunk.count
    let xc = ws.buffer(0, count: images * g.inPlane * cin)
    TapClassLayout.transposeBlocks(
      x + chunk.lowerBound * cin * g.inPlane, blocks: images, rows: cin, columns: g.inPlane,
      into: xc, threads: threads)
    for pixelClass in classes {
      let rows = images * pixelClass.pixels
      let depth = pixelClass.taps * cin
      let patches = ws.buffer(2, count: rows * depth)
      gatherPatches(pixelClass, channelsLast: xc, images: images, into: patches, threads: threads)
      let products = ws.buffer(3, count: rows * cout)
      for (index, segment) in segments(pixelClass).enumerated() {
        GEMM.sgemm(
          transposeA: false, transposeB: true, m: rows, n: cout, k: segment.depth, alpha: 1,
          a: patches + segment.column, lda: depth, b: w + segment.weightColumn, ldb: g.patchSize,
          beta: index == 0 ? 0 : 1, c: products, ldc: cout, threads: threads, variant: variant)
      }
      scatterOutput(
        pixelClass, products, images: images, bias: bias,
        into: y + chunk.lowerBound * cout * g.outPlane, threads: threads)
    }
  }

  // MARK: - Backward

  /// The gradients of ``forward(input:weight:bias:output:variant:)`` given the output gradient
  /// `dy` (`[N, Cout, OH, OW]`); only those in `needs` are computed.
  func backward(
    input x: UnsafePointer<Float>, inputCount: Int, weight: UnsafePointer<Float>,
    outputGradient dy: UnsafePointer<Float>, needs: Convolution.Needs, variant: KernelVariant
  ) -> Convolution.Gradients {
    let g = geometry
    let weightCount = g.outChannels * g.patchSize
    let tapMajor = needs.input ? TapClassLayout.tapMajor(weight, g) : []
    // One tap-major partial weight gradient per slot, added in slot order.
    var partials = [Float](repeating: 0, count: needs.weight ? slots * weightCount : 0)
    var inputGradient: [Float]?
    tapMajor.withUnsafeBufferPointer { w in
      partials.withUnsafeMutableBufferPointer { partial in
        func pass(_ dx: UnsafeMutablePointer<Float>?) {
          Convolution.distribute(slots) { slot, threads in
            ConvolutionWorkspace.withCurrent { ws in
              for chunk in chunks(ofSlot: slot) {
                backwardChunk(
                  chunk, x: x, tapMajor: w.start, dy: dy,
                  weightGradient: needs.weight ? partial.start + slot * weightCount : nil,
                  inputGradient: dx, threads: threads, variant: variant, workspace: ws)
              }
            }
          }
        }
        if needs.input {
          inputGradient = makeScalars(count: inputCount) { pass($0) }
        } else {
          pass(nil)
        }
      }
    }
    var result = Convolution.Gradients()
    result.input = inputGradient
    if needs.weight {
      let total = Convolution.reduceSlots(partials, slots: slots, count: weightCount)
      result.weight = TapClassLayout.channelsFirstWeight(total, g)
    }
    if needs.bias { result.bias = Self.biasGradient(dy, g) }
    return result
  }

  /// The backward pass of one chunk of images on up to `threads` threads: the weight gradient
  /// added into the tap-major `weightGradient`, the chunk's input gradient written into
  /// `inputGradient`.
  private func backwardChunk(
    _ chunk: Range<Int>, x: UnsafePointer<Float>, tapMajor w: UnsafePointer<Float>,
    dy: UnsafePointer<Float>, weightGradient: UnsafeMutablePointer<Float>?,
    inputGradient: UnsafeMutablePointer<Float>?, threads: Int, variant: KernelVariant,
    workspace ws: ConvolutionWorkspace
  ) {
    let g = geometry
    let (cin, cout) = (g.inChannels, g.outChannels)
    let images = chunk.count
    let imageFloats = images * g.inPlane * cin
    let xc = ws.buffer(0, count: imageFloats)
    if weightGradient != nil {
      TapClassLayout.transposeBlocks(
        x + chunk.lowerBound * cin * g.inPlane, blocks: images, rows: cin, columns: g.inPlane,
        into: xc, threads: threads)
    }
    let dxc = ws.buffer(1, count: imageFloats)
    if inputGradient != nil { dxc.update(repeating: 0, count: imageFloats) }
    for pixelClass in classes {
      let rows = images * pixelClass.pixels
      let depth = pixelClass.taps * cin
      let gradients = ws.buffer(3, count: rows * cout)
      gatherOutputGradient(
        pixelClass, dy + chunk.lowerBound * cout * g.outPlane, images: images, into: gradients,
        threads: threads)
      let patches = ws.buffer(2, count: rows * depth)
      if let weightGradient {
        gatherPatches(
          pixelClass, channelsLast: xc, images: images, into: patches, threads: threads)
        for segment in segments(pixelClass) {
          GEMM.sgemm(
            transposeA: true, transposeB: false, m: cout, n: segment.depth, k: rows, alpha: 1,
            a: gradients, lda: cout, b: patches + segment.column, ldb: depth, beta: 1,
            c: weightGradient + segment.weightColumn, ldc: g.patchSize, threads: threads,
            variant: variant)
        }
      }
      if inputGradient != nil {
        for segment in segments(pixelClass) {
          GEMM.sgemm(
            transposeA: false, transposeB: false, m: rows, n: segment.depth, k: cout, alpha: 1,
            a: gradients, lda: cout, b: w + segment.weightColumn, ldb: g.patchSize, beta: 0,
            c: patches + segment.column, ldc: depth, threads: threads, variant: variant)
        }
        scatterAddPatches(pixelClass, patches, images: images, into: dxc, threads: threads)
      }
    }
    if let inputGradient {
      TapClassLayout.transposeBlocks(
        dxc, blocks: images, rows: g.inPlane, columns: cin,
        into: inputGradient + chunk.lowerBound * cin * g.inPlane, threads: threads)
    }
  }

  /// `db[o] = sum_{n, i, j} dy[n, o, i, j]`, image by image in `Double`.
  static func biasGradient(_ dy: UnsafePointer<Float>, _ g: ConvolutionGeometry) -> [Float] {
    var sums = [Double](repeating: 0, count: g.outChannels)
    for n in 0..<g.batch {
      for o in 0..<g.outChannels {
        sums[o] += Double(
          ElementwiseKernels.sum(dy + (n * g.outChannels + o) * g.outPlane, count: g.outPlane))
      }
    }
    return sums.map { Float($0) }
  }
}
