// Convolutions whose output is a single pixel per channel: the 1x1 maps at the end of ImageNet-style
// networks run on small images (ResNet-50's last stage on 32x32 inputs), 1x1 convolutions on pooled
// maps, and strided projections down to 1x1. Such a convolution is a fully connected layer over the
// kernel taps that fall inside the image, and runs as three matrix products over the whole batch.

/// A convolution with a `1 x 1` output map, computed as ``GEMM`` products over the batch.
///
/// The one output pixel of image `n` sees the kernel taps `T` that fall inside the image (for a
/// 3x3 kernel with padding 1 on a 1x1 map, only the centre). With `X` the batch's patch rows
/// (`N x Cin*|T|`, row `n` holding `x[n, c, kh - p, kw - p]` for `c`, then the taps in order) and
/// `W` the weight's columns of those taps (`Cout x Cin*|T|`):
/// `Y = X Wᵀ` (`N x Cout`, which is the `[N, Cout, 1, 1]` output), `dX = dY W`, `dW = dYᵀ X`.
/// When the taps are every pixel of the image in order (a 1x1 convolution of a 1x1 map), `X` is
/// the input itself; when they are every tap of the kernel, `W` is the weight itself.
///
/// Compared with the patch-matrix and tap-class paths, nothing is padded to tiles, no weight is
/// transposed, and the weight gradient is one product over the batch rather than one partial per
/// slot of images. Deterministic, also across thread counts: every sum is one ``GEMM`` call
/// (whose order depends only on its shapes), and the bias gradient is summed image by image.
struct OnePixelConvolution: WholeBatchConvolution {
  let geometry: ConvolutionGeometry
  /// Kernel rows and columns inside the image.
  let rows: Range<Int>
  let columns: Range<Int>
  /// For each patch-row column in order: the input offset within an image and the weight column
  /// it reads.
  let taps: (inputOffsets: [Int], weightColumns: [Int])

  /// The one-pixel form of `g`, or `nil` when its output has more than one pixel (or the pixel
  /// sees no tap).
  init?(_ g: ConvolutionGeometry) {
    guard g.outHeight == 1, g.outWidth == 1, let rowSpan = g.rowSpans.first,
      let columnSpan = g.columnSpans.first, !rowSpan.taps.isEmpty, !columnSpan.taps.isEmpty
    else { return nil }
    geometry = g
    rows = rowSpan.taps
    columns = columnSpan.taps
    var inputOffsets: [Int] = []
    var weightColumns: [Int] = []
    for c in 0..<g.inChannels {
      for kh in rows {
        for kw in columns {
          inputOffsets.append((c * g.height + kh - g.padding) * g.width + kw - g.padding)
          weightColumns.append((c * g.kernelHeight + kh) * g.kernelWidth + kw)
        }
      }
    }
    taps = (inputOffsets, weightColumns)
  }

  /// Columns of the patch rows and of the weight block: `Cin * |T|`.
  var depth: Int { geometry.inChannels * rows.count * columns.count }
  /// Whether the patch rows are the input itself (the taps see every pixel, in order).
  var inputIsPatchRows: Bool { rows.count == geometry.height && columns.count == geometry.width }
  /// Whether the weight block is the weight itself (every tap is inside the image).
  var weightIsBlock: Bool {
    rows.count == geometry.kernelHeight && columns.count == geometry.kernelWidth
  }

  /// `count` rows of `depth` values: `to[r * depth + j] = from[r * stride + index[j]]`.
  static func gather(
    _ from: UnsafePointer<Float>, stride: Int, index: [Int], rows: Int,
    into to: UnsafeMutablePointer<Float>
  ) {
    let depth = index.count
    for r in 0..<rows {
      let source = from + r * stride
      let target = to + r * depth
      for j in 0..<depth { target[j] = source[index[j]] }
    }
  }

  /// The way back: `to[r * stride + index[j]] = from[r * depth + j]` (the other elements of `to`
  /// are left as they are; each is written at most once, since `index` has no repeats).
  static func scatter(
    _ from: UnsafePointer<Float>, index: [Int], rows: Int, into to: UnsafeMutablePointer<Float>,
    stride: Int
  ) {
    let depth = index.count
    for r in 0..<rows {
      let source = from + r * depth
      let target = to + r * stride
      for j in 0..<depth { target[index[j]] = source[j] }
    }
  }

  /// Runs `body` with the patch rows (`N x depth`) of the input `x`.
  func withPatchRows<R>(_ x: UnsafePointer<Float>, _ body: (UnsafePointer<Float>) -> R) -> R {
    if inputIsPatchRows { return body(x) }
    let g = geometry
    let rows = makeScalars(count: g.batch * depth) { p in
      Self.gather(
        x, stride: g.inChannels * g.inPlane, index: taps.inputOffsets, rows: g.batch, into: p)
    }
    return rows.withUnsafeBufferPointer { body($0.start) }
  }

  /// Runs `body` with the weight block (`Cout x depth`) of `weight`.
  func withWeightBlock<R>(_ weight: UnsafePointer<Float>, _ body: (UnsafePointer<Float>) -> R) -> R {
    if weightIsBlock { return body(weight) }
    let g = geometry
    let block = makeScalars(count: g.outChannels * depth) { b in
      Self.gather(
        weight, stride: g.patchSize, index: taps.weightColumns, rows: g.outChannels, into: b)
    }
    return block.withUnsafeBufferPointer { body($0.start) }
  }

  /// `y = conv(x, w) + b` for the whole batch into `output` (`[N, Cout, 1, 1]`, every element
  /// written).
  func forward(
    input x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    output y: UnsafeMutablePointer<Float>, variant: KernelVariant
  ) {
    let g = geometry
    let cout = g.outChannels
    if let bias {
      for n in 0..<g.batch { (y + n * cout).update(from: bias, count: cout) }
    }
    withPatchRows(x) { patches in
      withWeightBlock(weight) { w in
        GEMM.sgemm(
          transposeA: false, transposeB: true, m: g.batch, n: cout, k: depth, alpha: 1,
          a: patches, lda: depth, b: w, ldb: depth, beta: bias == nil ? 0 : 1, c: y, ldc: cout,
          threads: nil, variant: variant)
      }
    }
  }

  /// The gradients given the output gradient `dy` (`[N, Cout, 1, 1]`).
  func backward(
    input x: UnsafePointer<Float>, inputCount: Int, weight: UnsafePointer<Float>,
    outputGradient dy: UnsafePointer<Float>, needs: Convolution.Needs, variant: KernelVariant
  ) -> Convolution.Gradients {
    let g = geometry
    let cout = g.outChannels
    let depth = depth
    var result = Convolution.Gradients()
    if needs.input {
      result.input = withWeightBlock(weight) { w in
        // dX = dY W, straight into the input gradient when the patch rows are the input.
        let product = { (dp: UnsafeMutablePointer<Float>) in
          GEMM.sgemm(
            transposeA: false, transposeB: false, m: g.batch, n: depth, k: cout, alpha: 1, a: dy,
            lda: cout, b: w, ldb: depth, beta: 0, c: dp, ldc: depth, threads: nil,
            variant: variant)
        }
        if inputIsPatchRows { return makeScalars(count: inputCount, product) }
        var dx = [Float](repeating: 0, count: inputCount)
        let rows = makeScalars(count: g.batch * depth, product)
        // Each input element is seen by at most one tap of the one window: a copy, not a sum.
        rows.withUnsafeBufferPointer { r in
          dx.withUnsafeMutableBufferPointer { d in
            Self.scatter(
              r.start, index: taps.inputOffsets, rows: g.batch, into: d.start,
              stride: g.inChannels * g.inPlane)
          }
        }
        return dx
      }
    }
    if needs.weight {
      // dW = dYᵀ X, into the weight itself or into the taps' columns of a zero weight.
      let block = withPatchRows(x) { patches in
        makeScalars(count: cout * depth) { dw in
          GEMM.sgemm(
            transposeA: true, transposeB: false, m: cout, n: depth, k: g.batch, alpha: 1, a: dy,
            lda: cout, b: patches, ldb: depth, beta: 0, c: dw, ldc: depth, threads: nil,
            variant: variant)
        }
      }
      if weightIsBlock {
        result.weight = block
      } else {
        var dw = [Float](repeating: 0, count: cout * g.patchSize)
        block.withUnsafeBufferPointer { b in
          dw.withUnsafeMutableBufferPointer { d in
            Self.scatter(
              b.start, index: taps.weightColumns, rows: cout, into: d.start, stride: g.patchSize)
          }
        }
        result.weight = dw
      }
    }
    if needs.bias {
      var sums = [Double](repeating: 0, count: cout)
      for n in 0..<g.batch {
        for o in 0..<cout { sums[o] += Double(dy[n * cout + o]) }
      }
      result.bias = sums.map { Float($0) }
    }
    return result
  }
}
