// Convolutions of small maps (VGG-16's 512 channels at 4x4 and 2x2): the output pixels are grouped
// by the kernel taps that fall inside the image, so the zeros of the padding are never multiplied.

/// A convolution computed one class of output pixels at a time, where a class is the pixels whose
/// windows have the same kernel taps inside the image, and each class is a ``GEMM`` over those
/// taps only.
///
/// With a 3x3 kernel and padding 1, each pixel of a 2x2 map sees a different 2x2 block of the
/// kernel: 4 of the 9 taps, so 2.25x fewer multiply-adds than a patch matrix with its zeros. On a
/// 4x4 map the pixels see 100 of 144 taps (1.44x fewer). The path is taken when at most
/// ``maximumInsideFraction`` of the taps fall inside the image.
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
/// Deterministic, also across thread counts: every sum is one ``GEMM`` call (whose order depends
/// only on its shapes), or a sum over chunks, classes and taps in a fixed order.
struct TapClassConvolution {
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

  /// Take this path when at most this fraction of the taps fall inside the image: 2x2 maps (0.44)
  /// and 4x4 maps (0.69) with a 3x3 kernel and padding 1, not 7x7 (0.82) or 8x8 (0.84), where the
  /// patch matrix's longer products win.
  static let maximumInsideFraction = 0.75
  /// At most this many floats in one class's patch matrix (images are taken in chunks).
  static let chunkBudget = 1 << 22

  let geometry: ConvolutionGeometry
  let classes: [PixelClass]
  /// Images per chunk (the last chunk may have fewer).
  let imagesPerChunk: Int

  /// The class decomposition of `g`, or `nil` when the patch matrix suits it better (or when some
  /// output pixel sees no tap at all); images are taken in chunks whose largest patch matrix
  /// holds at most `chunkBudget` floats (at least one image a chunk).
  init?(_ g: ConvolutionGeometry, chunkBudget: Int = TapClassConvolution.chunkBudget) {
    let rowSpans = g.rowSpans
    let columnSpans = g.columnSpans
    let allSpans = rowSpans + columnSpans
    guard !allSpans.isEmpty, allSpans.allSatisfy({ !$0.taps.isEmpty }) else { return nil }
    let total = g.outHeight * g.kernelHeight * g.outWidth * g.kernelWidth
    guard Double(g.insideTaps) <= TapClassConvolution.maximumInsideFraction * Double(total) else {
      return nil
    }
    geometry = g
    classes = rowSpans.flatMap { rows in columnSpans.map { PixelClass(rows: rows, columns: $0) } }
    let perImage = classes.map { $0.pixels * $0.taps * g.inChannels }.max() ?? 1
    imagesPerChunk = max(1, min(g.batch, chunkBudget / max(1, perImage)))
  }

  /// The images of every chunk, in order.
  var chunks: [Range<Int>] {
    stride(from: 0, to: geometry.batch, by: imagesPerChunk).map {
      $0..<min(geometry.batch, $0 + imagesPerChunk)
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
    let g = geometry
    let (cin, cout) = (g.inChannels, g.outChannels)
    let tapMajor = TapClassLayout.tapMajor(weight, g)
    tapMajor.withUnsafeBufferPointer { w in
      ConvolutionWorkspace.withCurrent { ws in
        for chunk in chunks {
          let images = chunk.count
          let xc = ws.buffer(0, count: images * g.inPlane * cin)
          TapClassLayout.transposeBlocks(
            x + chunk.lowerBound * cin * g.inPlane, blocks: images, rows: cin,
            columns: g.inPlane, into: xc)
          for pixelClass in classes {
            let rows = images * pixelClass.pixels
            let depth = pixelClass.taps * cin
            let patches = ws.buffer(2, count: rows * depth)
            gatherPatches(pixelClass, channelsLast: xc, images: images, into: patches)
            let products = ws.buffer(3, count: rows * cout)
            for (index, segment) in segments(pixelClass).enumerated() {
              GEMM.sgemm(
                transposeA: false, transposeB: true, m: rows, n: cout, k: segment.depth,
                alpha: 1, a: patches + segment.column, lda: depth,
                b: w.start + segment.weightColumn, ldb: g.patchSize, beta: index == 0 ? 0 : 1,
                c: products, ldc: cout, threads: nil, variant: variant)
            }
            scatterOutput(
              pixelClass, products, images: images, bias: bias,
              into: y + chunk.lowerBound * cout * g.outPlane)
          }
        }
      }
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
    let cout = g.outChannels
    let tapMajor = needs.input ? TapClassLayout.tapMajor(weight, g) : []
    var weightGradient = [Float](repeating: 0, count: needs.weight ? cout * g.patchSize : 0)
    var inputGradient: [Float]?
    tapMajor.withUnsafeBufferPointer { w in
      weightGradient.withUnsafeMutableBufferPointer { dw in
        ConvolutionWorkspace.withCurrent { ws in
          let dwStart = needs.weight ? dw.start : nil
          func pass(_ dx: UnsafeMutablePointer<Float>?) {
            for chunk in chunks {
              backwardChunk(
                chunk, x: x, tapMajor: w.start, dy: dy, weightGradient: dwStart,
                inputGradient: dx, variant: variant, workspace: ws)
            }
          }
          if needs.input {
            inputGradient = makeScalars(count: inputCount) { pass($0) }
          } else {
            pass(nil)
          }
        }
      }
    }
    var result = Convolution.Gradients()
    result.input = inputGradient
    if needs.weight { result.weight = TapClassLayout.channelsFirstWeight(weightGradient, g) }
    if needs.bias { result.bias = Self.biasGradient(dy, g) }
    return result
  }

  /// The backward pass of one chunk of images: the weight gradient added into the tap-major
  /// `weightGradient`, the chunk's input gradient written into `inputGradient`.
  private func backwardChunk(
    _ chunk: Range<Int>, x: UnsafePointer<Float>, tapMajor w: UnsafePointer<Float>,
    dy: UnsafePointer<Float>, weightGradient: UnsafeMutablePointer<Float>?,
    inputGradient: UnsafeMutablePointer<Float>?, variant: KernelVariant,
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
        into: xc)
    }
    let dxc = ws.buffer(1, count: imageFloats)
    if inputGradient != nil { dxc.update(repeating: 0, count: imageFloats) }
    for pixelClass in classes {
      let rows = images * pixelClass.pixels
      let depth = pixelClass.taps * cin
      let gradients = ws.buffer(3, count: rows * cout)
      gatherOutputGradient(
        pixelClass, dy + chunk.lowerBound * cout * g.outPlane, images: images, into: gradients)
      let patches = ws.buffer(2, count: rows * depth)
      if let weightGradient {
        gatherPatches(pixelClass, channelsLast: xc, images: images, into: patches)
        for segment in segments(pixelClass) {
          GEMM.sgemm(
            transposeA: true, transposeB: false, m: cout, n: segment.depth, k: rows, alpha: 1,
            a: gradients, lda: cout, b: patches + segment.column, ldb: depth, beta: 1,
            c: weightGradient + segment.weightColumn, ldc: g.patchSize, threads: nil,
            variant: variant)
        }
      }
      if inputGradient != nil {
        for segment in segments(pixelClass) {
          GEMM.sgemm(
            transposeA: false, transposeB: false, m: rows, n: segment.depth, k: cout, alpha: 1,
            a: gradients, lda: cout, b: w + segment.weightColumn, ldb: g.patchSize, beta: 0,
            c: patches + segment.column, ldc: depth, threads: nil, variant: variant)
        }
        scatterAddPatches(pixelClass, patches, images: images, into: dxc)
      }
    }
    if let inputGradient {
      TapClassLayout.transposeBlocks(
        dxc, blocks: images, rows: g.inPlane, columns: cin,
        into: inputGradient + chunk.lowerBound * cin * g.inPlane)
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
