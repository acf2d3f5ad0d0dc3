// The data movement of the tap-class convolution: channels-last copies, the per-class patch rows
// and output-gradient rows, and their way back.

extension ConvolutionGeometry {
  /// Runs of output rows that see the same kernel rows inside the image (see
  /// ``TapClassConvolution/Span``).
  var rowSpans: [TapClassConvolution.Span] {
    Self.spans(outputs: outHeight, kernel: kernelHeight, size: height, stride: stride, padding: padding)
  }

  /// Runs of output columns that see the same kernel columns inside the image.
  var columnSpans: [TapClassConvolution.Span] {
    Self.spans(outputs: outWidth, kernel: kernelWidth, size: width, stride: stride, padding: padding)
  }

  /// Multiply-adds per image, input channel and output channel: the (output pixel, kernel tap)
  /// pairs whose tap falls inside the image. `OH * OW * KH * KW` less the taps on padding.
  var insideTaps: Int {
    let rows = rowSpans.reduce(0) { $0 + $1.outputs.count * $1.taps.count }
    let columns = columnSpans.reduce(0) { $0 + $1.outputs.count * $1.taps.count }
    return rows * columns
  }

  /// Output index `i` reads input `i * stride - padding + t` for taps `t` in `0..<kernel`: those in
  /// `max(0, padding - i*stride) ..< min(kernel, size + padding - i*stride)` are inside. Equal
  /// neighbouring ranges are merged into one span.
  static func spans(outputs: Int, kernel: Int, size: Int, stride: Int, padding: Int)
    -> [TapClassConvolution.Span]
  {
    var spans: [TapClassConvolution.Span] = []
    for i in 0..<max(0, outputs) {
      let low = max(0, padding - i * stride)
      let high = max(low, min(kernel, size + padding - i * stride))
      if let last = spans.last, last.taps == low..<high {
        spans[spans.count - 1].outputs = last.outputs.lowerBound..<(i + 1)
      } else {
        spans.append(TapClassConvolution.Span(outputs: i..<(i + 1), taps: low..<high))
      }
    }
    return spans
  }
}

/// Transposes and tap-major weights for ``TapClassConvolution``.
enum TapClassLayout {
  /// Data movement is spread over the threads from this many floats on (below it, waking a
  /// Dispatch worker costs more than the copy).
  static let parallelFloats = 1 << 16

  /// `dst[b][c][r] = src[b][r][c]` for `blocks` blocks of `rows x columns` floats (NCHW to
  /// channels-last with `rows = C`, `columns = H * W`, and back with the two swapped). Blocks are
  /// spread over up to `threads` threads when there is enough to move.
  static func transposeBlocks(
    _ src: UnsafePointer<Float>, blocks: Int, rows: Int, columns: Int,
    into dst: UnsafeMutablePointer<Float>, threads: Int = ComputeThreads.current
  ) {
    let size = rows * columns
    parallelFor(blocks, threads: blocks * size >= parallelFloats ? threads : 1) { b in
      let from = src + b * size
      let to = dst + b * size
      for r in 0..<rows {
        let line = from + r * columns
        for c in 0..<columns { to[c * rows + r] = line[c] }
      }
    }
  }

  /// The weight `[Cout, Cin, KH, KW]` as `[Cout, KH, KW, Cin]`.
  static func tapMajor(_ weight: UnsafePointer<Float>, _ g: ConvolutionGeometry) -> [Float] {
    makeScalars(count: g.outChannels * g.patchSize) { dst in
      transposeBlocks(
        weight, blocks: g.outChannels, rows: g.inChannels,
        columns: g.kernelHeight * g.kernelWidth, into: dst)
    }
  }

  /// A tap-major `[Cout, KH, KW, Cin]` weight gradient as `[Cout, Cin, KH, KW]`.
  static func channelsFirstWeight(_ tapMajor: [Float], _ g: ConvolutionGeometry) -> [Float] {
    tapMajor.withUnsafeBufferPointer { src in
      makeScalars(count: tapMajor.count) { dst in
        transposeBlocks(
          src.start, blocks: g.outChannels, rows: g.kernelHeight * g.kernelWidth,
          columns: g.inChannels, into: dst)
      }
    }
  }
}

extension TapClassConvolution {
  /// Calls `body(row, i, j)` for the pixels of `pixelClass` in one image, in row order, with
  /// `row` the pixel's index within the class.
  @inline(__always)
  func forEachPixel(_ pixelClass: PixelClass, _ body: (Int, Int, Int) -> Void) {
    var row = 0
    for i in pixelClass.rows.outputs {
      for j in pixelClass.columns.outputs {
        body(row, i, j)
        row += 1
      }
    }
  }

  /// Calls `body(tap, offset)` for the taps of output pixel `(i, j)` in `pixelClass`, in order,
  /// with `offset` the input pixel `(i*s-p+kh) * W + (j*s-p+kw)` the tap reads.
  @inline(__always)
  func forEachTap(_ pixelClass: PixelClass, _ i: Int, _ j: Int, _ body: (Int, Int) -> Void) {
    let g = geometry
    var tap = 0
    for kh in pixelClass.rows.taps {
      let rowOffset = (i * g.stride - g.padding + kh) * g.width
      for kw in pixelClass.columns.taps {
        body(tap, rowOffset + j * g.stride - g.padding + kw)
        tap += 1
      }
    }
  }

  /// Per-image work on up to `threads` threads when a chunk moves enough floats, else on the
  /// calling thread.
  func forEachImage(_ images: Int, floatsPerImage: Int, threads: Int, _ body: (Int) -> Void) {
    parallelFor(
      images, threads: images * floatsPerImage >= TapClassLayout.parallelFloats ? threads : 1, body)
  }

  /// Calls `body(patch, image)` for every tap of every pixel of `pixelClass` in `images` images
  /// (on up to `threads` threads, image by image), with `patch` the offset of the tap's `Cin`
  /// floats in the class's patch matrix and `image` the offset of the pixel the tap reads in the
  /// chunk's channels-last images (`[images, H, W, Cin]`).
  @inline(__always)
  func forEachPatchTap(
    _ pixelClass: PixelClass, images: Int, threads: Int, _ body: (Int, Int) -> Void
  ) {
    let cin = geometry.inChannels
    let depth = pixelClass.taps * cin
    forEachImage(images, floatsPerImage: pixelClass.pixels * depth, threads: threads) { n in
      let image = n * geometry.inPlane * cin
      forEachPixel(pixelClass) { row, i, j in
        let patchRow = (n * pixelClass.pixels + row) * depth
        forEachTap(pixelClass, i, j) { tap, offset in
          body(patchRow + tap * cin, image + offset * cin)
        }
      }
    }
  }

  /// The class's patch matrix, `(images * pixels) x (taps * Cin)`, from the channels-last images
  /// `xc` (`[images, H, W, Cin]`).
  func gatherPatches(
    _ pixelClass: PixelClass, channelsLast xc: UnsafePointer<Float>, images: Int,
    into patches: UnsafeMutablePointer<Float>, threads: Int
  ) {
    let cin = geometry.inChannels
    forEachPatchTap(pixelClass, images: images, threads: threads) { patch, image in
      Im2Col.copy(xc + image, patches + patch, count: cin)
    }
  }

  /// Adds the class's patch-matrix gradient (laid out as
  /// ``gatherPatches(_:channelsLast:images:into:threads:)`` lays out the patches) into the
  /// channels-last input gradient `dxc`.
  func scatterAddPatches(
    _ pixelClass: PixelClass, _ patches: UnsafePointer<Float>, images: Int,
    into dxc: UnsafeMutablePointer<Float>, threads: Int
  ) {
    let cin = geometry.inChannels
    forEachPatchTap(pixelClass, images: images, threads: threads) { patch, image in
      Im2Col.add(patches + patch, into: dxc + image, count: cin)
    }
  }

  /// Calls `body(row, pixel)` for every pixel of `pixelClass` in `images` images (on up to
  /// `threads` threads, image by image), with `row` the offset of the pixel's `Cout` floats in the
  /// class's pixel rows and `pixel` the offset of its channel 0 in the chunk's NCHW output (its
  /// channel `o` is `o * OH * OW` further).
  @inline(__always)
  func forEachOutputPixel(
    _ pixelClass: PixelClass, images: Int, threads: Int, _ body: (Int, Int) -> Void
  ) {
    let (cout, plane, width) = (geometry.outChannels, geometry.outPlane, geometry.outWidth)
    forEachImage(images, floatsPerImage: pixelClass.pixels * cout, threads: threads) { n in
      forEachPixel(pixelClass) { row, i, j in
        body((n * pixelClass.pixels + row) * cout, n * cout * plane + i * width + j)
      }
    }
  }

  /// Writes the class's products (`(images * pixels) x Cout`, pixel rows) into the NCHW output
  /// `y` of the chunk, adding the bias.
  func scatterOutput(
    _ pixelClass: PixelClass, _ products: UnsafePointer<Float>, images: Int,
    bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>, threads: Int
  ) {
    let (cout, plane) = (geometry.outChannels, geometry.outPlane)
    forEachOutputPixel(pixelClass, images: images, threads: threads) { row, pixel in
      let (source, target) = (products + row, y + pixel)
      if let bias {
        for o in 0..<cout { target[o * plane] = source[o] + bias[o] }
      } else {
        for o in 0..<cout { target[o * plane] = source[o] }
      }
    }
  }

  /// The class's output-gradient rows, `(images * pixels) x Cout`, from the chunk's NCHW `dy`.
  func gatherOutputGradient(
    _ pixelClass: PixelClass, _ dy: UnsafePointer<Float>, images: Int,
    into rows: UnsafeMutablePointer<Float>, threads: Int
  ) {
    let (cout, plane) = (geometry.outChannels, geometry.outPlane)
    forEachOutputPixel(pixelClass, images: images, threads: threads) { row, pixel in
      let (source, target) = (dy + pixel, rows + row)
      for o in 0..<cout { target[o] = source[o * plane] }
    }
  }
}
