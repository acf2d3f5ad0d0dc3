// Stride-1 convolution without a patch matrix: every patch-matrix row is a shifted view of one
// zero-padded copy of the image, so only the padded copy is written (about 1.1x the image instead
// of KH * KW times it). The products run over runs of 16 output pixels of a row, read from the
// padded copy. When the output width is a multiple of 16 (CIFAR networks at 32x32 and 16x16) the
// runs are written (or, for the output gradient, read) in place in the dense NCHW tensors. Other
// widths close enough to a multiple of 16 (Fashion-MNIST's 28x28 and 14x14) pad each row on the
// right up to whole runs: the extra columns are computed into a staging copy and dropped when it
// is copied into the dense tensor, and the output gradient is read from a copy with zeros there.
//
// (Two rows of an 8-pixel-wide image could make a run too, but assembling such a run from two
// halves costs a shuffle on the ports the multiply-adds use; the explicit patch matrix with the
// packed GEMM for the weight gradient measured faster for 8x8 images.)

/// A stack of zero-padded planes read as an implicit patch matrix.
///
/// Plane `c` of `height x width` sits at `c * planeSize`, with `padTop` zero rows above and below
/// and `padLeft` zero columns on each side, in a `paddedHeight x paddedWidth` plane. Patch-matrix
/// row `(c, kh, kw)` at output pixel `(i, j)` of a stride-1 window pass is
/// `buffer[offset(c, kh, kw) + i * paddedWidth + j]`.
struct PaddedLayout {
  var channels: Int
  var height: Int
  var width: Int
  var padTop: Int
  var padLeft: Int
  /// Zero columns on the right: `padLeft`, plus what makes ``outWidth`` a multiple of 16.
  var padRight: Int
  var kernelHeight: Int
  var kernelWidth: Int

  /// The layout of `channels` planes of `height x width` padded by `padTop` rows above and below
  /// and `padLeft` columns on the left, and on the right as many as make the window pass's rows
  /// whole 16-pixel runs.
  init(
    channels: Int, height: Int, width: Int, padTop: Int, padLeft: Int, kernelHeight: Int,
    kernelWidth: Int
  ) {
    (self.channels, self.height, self.width) = (channels, height, width)
    (self.padTop, self.padLeft) = (padTop, padLeft)
    (self.kernelHeight, self.kernelWidth) = (kernelHeight, kernelWidth)
    let valid = width + 2 * padLeft - kernelWidth + 1
    let runs = (max(1, valid) + 15) / 16 * 16
    padRight = runs + kernelWidth - 1 - width - padLeft
  }

  var paddedHeight: Int { height + 2 * padTop }
  var paddedWidth: Int { width + padLeft + padRight }
  var planeSize: Int { paddedHeight * paddedWidth }
  /// Floats of the buffer. A window pass never reads past the last plane: its last read is the
  /// bottom-right corner.
  var bufferCount: Int { channels * planeSize }
  /// Output rows of a stride-1 window pass.
  var outHeight: Int { paddedHeight - kernelHeight + 1 }
  /// Columns of a stride-1 window pass: whole 16-pixel runs, the first ``validWidth`` of them
  /// the convolution's output.
  var outWidth: Int { paddedWidth - kernelWidth + 1 }
  /// Output columns of the convolution (with `padLeft` zero columns on both sides).
  var validWidth: Int { width + 2 * padLeft - kernelWidth + 1 }
  /// Whether the window pass's rows are exactly the output's rows (no extra columns), so that it
  /// can write and read the dense tensors in place.
  var isDense: Bool { outWidth == validWidth }
  /// Floats of a window pass's output for `images` images of `planes` planes each (a staging
  /// copy when the layout is not dense).
  func passCount(images: Int, planes: Int) -> Int { images * planes * outHeight * outWidth }

  /// Copies the window pass's output planes at `staging` (``outWidth`` columns) to the dense
  /// planes at `dense` (``validWidth`` columns): `planes` planes in all, over all images.
  func compact(
    planes: Int, staging: UnsafePointer<Float>, into dense: UnsafeMutablePointer<Float>
  ) {
    for row in 0..<(planes * outHeight) {
      Im2Col.copy(staging + row * outWidth, dense + row * validWidth, count: validWidth)
    }
  }

  /// Copies the dense planes at `dense` (``validWidth`` columns) into the window pass's layout at
  /// `staging` (``outWidth`` columns, the extra ones zero): `planes` planes in all.
  func expand(
    planes: Int, dense: UnsafePointer<Float>, into staging: UnsafeMutablePointer<Float>
  ) {
    for row in 0..<(planes * outHeight) {
      Im2Col.copy(dense + row * validWidth, staging + row * outWidth, count: validWidth)
      Im2Col.zero(staging + row * outWidth + validWidth, count: outWidth - validWidth)
    }
  }

  /// The start of patch-matrix row `(c, kh, kw)`, for rows in that order.
  func offsets() -> [Int] {
    var list: [Int] = []
    list.reserveCapacity(channels * kernelHeight * kernelWidth)
    for c in 0..<channels {
      for kh in 0..<kernelHeight {
        for kw in 0..<kernelWidth { list.append(c * planeSize + kh * paddedWidth + kw) }
      }
    }
    return list
  }

  /// The 16-pixel runs of the output of `images` images (``outWidth`` is a multiple of 16), image by image
  /// and row by row, as pairs `(offset in the dense output, offset in the padded buffers)`: image
  /// `n`'s dense planes start `n * denseImageStride` floats in, its padded planes
  /// `n * bufferCount`.
  func segments(images: Int, denseImageStride: Int) -> [Int] {
    var list: [Int] = []
    list.reserveCapacity(2 * images * outHeight * outWidth / 16)
    for n in 0..<images {
      for i in 0..<outHeight {
        for j in stride(from: 0, to: outWidth, by: 16) {
          list.append(n * denseImageStride + i * outWidth + j)
          list.append(n * bufferCount + i * paddedWidth + j)
        }
      }
    }
    return list
  }

  /// Consecutive pairs of runs of each image (see ``segments(images:denseImageStride:)``) as tile
  /// descriptors: padded offsets of both runs, then their dense offsets. An image with an odd
  /// number of runs pairs its last run with itself, so every image has the same number of tiles
  /// and the tiles of the first `k` images are a prefix.
  func tiles(images: Int, denseImageStride: Int) -> [Int] {
    let runs = segments(images: 1, denseImageStride: denseImageStride)
    let count = runs.count / 2
    var list: [Int] = []
    for n in 0..<images {
      let (dense, padded) = (n * denseImageStride, n * bufferCount)
      for t in stride(from: 0, to: count, by: 2) {
        let next = min(t + 1, count - 1)
        list += [
          padded + runs[2 * t + 1], padded + runs[2 * next + 1], dense + runs[2 * t],
          dense + runs[2 * next],
        ]
      }
    }
    return list
  }

  /// The number of tiles per image in ``tiles(images:denseImageStride:)``.
  var tilesPerImage: Int { (outHeight * outWidth / 16 + 1) / 2 }

  /// The padded planes of `images` images (`channels` planes of `height x width` each, consecutive
  /// at `source`), image `n` at `n * bufferCount`: `source` itself when there is no padding (a 1x1
  /// convolution on rows of whole runs reads its input in place), otherwise a copy in the
  /// workspace's first buffer.
  func padded(
    images: Int, from source: UnsafePointer<Float>, workspace ws: ConvolutionWorkspace
  ) -> UnsafePointer<Float> {
    if padTop == 0 && padLeft == 0 && padRight == 0 { return source }
    let buffer = ws.buffer(0, count: images * bufferCount)
    fill(images: images, from: source, into: buffer)
    return UnsafePointer(buffer)
  }

  /// Writes the padded planes of `images` images (`channels` planes of `height x width` each,
  /// consecutive at `source`) into `buffer`, image `n` at `n * bufferCount`.
  func fill(
    images: Int, from source: UnsafePointer<Float>, into buffer: UnsafeMutablePointer<Float>
  ) {
    for n in 0..<images {
      fill(from: source + n * channels * height * width, into: buffer + n * bufferCount)
    }
  }

  /// Writes the padded planes of the `channels` planes at `source` (`height x width` each) into
  /// `buffer`, all ``bufferCount`` floats of it.
  func fill(from source: UnsafePointer<Float>, into buffer: UnsafeMutablePointer<Float>) {
    let right = paddedWidth - width - padLeft
    for c in 0..<channels {
      let plane = buffer + c * planeSize
      Im2Col.zero(plane, count: padTop * paddedWidth + padLeft)
      var row = plane + padTop * paddedWidth + padLeft
      for h in 0..<height {
        Im2Col.copy(source + (c * height + h) * width, row, count: width)
        // The right padding of this row and the left padding of the next are adjacent.
        Im2Col.zero(row + width, count: h == height - 1 ? right : right + padLeft)
        row += paddedWidth
      }
      Im2Col.zero(plane + (padTop + height) * paddedWidth, count: padTop * paddedWidth)
    }
  }
}

/// The passes of a stride-1 convolution on padded planes (see ``PaddedLayout``), for groups of up
/// to ``imagesPerGroup`` consecutive images whose padded copies sit one after the other.
struct PaddedConvolution {
  /// The input, zero-padded by the convolution's padding: the forward product and the weight
  /// gradient read it.
  let input: PaddedLayout
  /// The output gradient, zero-padded by `K - 1 - p`: the input gradient is the full correlation
  /// of it with the flipped, transposed kernel, itself a stride-1 pass.
  let gradient: PaddedLayout
  /// Images per group (fewer in the last group: the tables' prefixes serve it).
  let imagesPerGroup: Int
  let inputOffsets: [Int]
  /// Runs of the output (dense offsets in the output gradient, padded offsets in the input copy).
  let inputSegments: [Int]
  /// Forward tiles (padded input copy to dense output).
  let inputTiles: [Int]
  let gradientOffsets: [Int]
  /// Input-gradient tiles (padded output-gradient copy to dense input gradient).
  let gradientTiles: [Int]

  /// At most this ratio of computed to output columns (rows padded up to whole runs of 16): 32
  /// for 28 and 16 for 14 columns pay 14% more multiply-adds and still beat the patch matrix,
  /// whose writing and reading costs more at these sizes; 16 for 8 or 7 columns do not.
  static let maximumColumnOverhead = 1.25

  /// The padded layouts of the input and of the output gradient of `g`, or `nil` when the
  /// padded-plane passes do not apply: they need stride 1, padding below the kernel size, and
  /// input and output widths that are multiples of 16 (the "same" 3x3 and 1x1 convolutions of
  /// CIFAR networks at 32x32 and 16x16) or that whole runs of 16 cover with at most
  /// ``maximumColumnOverhead`` (28x28 and 14x14).
  static func layouts(_ g: ConvolutionGeometry) -> (input: PaddedLayout, gradient: PaddedLayout)? {
    guard g.stride == 1, g.padding < g.kernelHeight, g.padding < g.kernelWidth else { return nil }
    let input = PaddedLayout(
      channels: g.inChannels, height: g.height, width: g.width, padTop: g.padding,
      padLeft: g.padding,
      kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth)
    let gradient = PaddedLayout(
      channels: g.outChannels, height: g.outHeight, width: g.outWidth,
      padTop: g.kernelHeight - 1 - g.padding,
      padLeft: g.kernelWidth - 1 - g.padding, kernelHeight: g.kernelHeight,
      kernelWidth: g.kernelWidth)
    for layout in [input, gradient] {
      guard layout.validWidth > 0,
        Double(layout.outWidth) <= maximumColumnOverhead * Double(layout.validWidth)
      else { return nil }
    }
    return (input, gradient)
  }

  /// The most images a group of the padded-plane passes of `g` should hold, or `nil` when they do
  /// not apply (see ``layouts(_:)``).
  /// - Parameters:
  ///   - targetColumns: aim for this many output pixels per group.
  ///   - budget: at most this many floats of padded copies per group (when one image allows).
  static func mostImages(_ g: ConvolutionGeometry, targetColumns: Int, budget: Int) -> Int? {
    guard let (input, gradient) = layouts(g) else { return nil }
    let images = max(1, targetColumns / max(1, g.outPlane))
    return min(images, max(1, budget / max(input.bufferCount, gradient.bufferCount)))
  }

  /// The padded-plane passes of `g` for groups of up to `imagesPerGroup` images, or `nil` when
  /// they do not apply (see ``layouts(_:)``).
  init?(_ g: ConvolutionGeometry, imagesPerGroup: Int) {
    guard let (input, gradient) = PaddedConvolution.layouts(g) else { return nil }
    self.input = input
    self.gradient = gradient
    self.imagesPerGroup = max(1, imagesPerGroup)
    inputOffsets = input.offsets()
    // Output offsets are in the window pass's layout: the dense tensors when they coincide.
    let outputImage = input.passCount(images: 1, planes: g.outChannels)
    inputSegments = input.segments(images: self.imagesPerGroup, denseImageStride: outputImage)
    inputTiles = input.tiles(images: self.imagesPerGroup, denseImageStride: outputImage)
    gradientOffsets = gradient.offsets()
    gradientTiles = gradient.tiles(
      images: self.imagesPerGroup,
      denseImageStride: gradient.passCount(images: 1, planes: g.inChannels))
  }

  /// `[Cin, Cout * KH * KW]` packed for the tiles of `variant`:
  /// `flipped[c, (o, a, b)] = w[o, c, KH-1-a, KW-1-b]`, the kernel of the input gradient.
  static func flippedWeight(
    _ g: ConvolutionGeometry, _ weight: UnsafePointer<Float>, variant: KernelVariant
  ) -> [Float] {
    let (kh, kw) = (g.kernelHeight, g.kernelWidth)
    let depth = g.outChannels * kh * kw
    var flipped = [Float](repeating: 0, count: g.inChannels * depth)
    for c in 0..<g.inChannels {
      for o in 0..<g.outChannels {
        for a in 0..<kh {
          for b in 0..<kw {
            flipped[c * depth + (o * kh + a) * kw + b] =
              weight[((o * g.inChannels + c) * kh + kh - 1 - a) * kw + kw - 1 - b]
          }
        }
      }
    }
    let panelRows = ConvolutionKernels.panelRows(variant)
    let panels = (g.inChannels + panelRows - 1) / panelRows
    return flipped.withUnsafeBufferPointer { source in
      makeScalars(count: panels * panelRows * depth) { dst in
        ConvolutionKernels.pack(
          source.start, rows: g.inChannels, depth: depth, rowStride: depth, depthStride: 1,
          panelRows: panelRows, into: dst)
      }
    }
  }

  /// `y = W * x + b` for a group of `images` images at `x`; `packedWeight` is `W` packed, `output`
  /// the group's `[images, Cout, OH, OW]` block (written in place).
  func forward(
    _ g: ConvolutionGeometry, images: Int, x: UnsafePointer<Float>,
    packedWeight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, threads: Int,
    variant: KernelVariant, workspace ws: ConvolutionWorkspace
  ) {
    let padded = input.padded(images: images, from: x, workspace: ws)
    let target =
      input.isDense
      ? output : ws.buffer(1, count: input.passCount(images: images, planes: g.outChannels))
    inputOffsets.withUnsafeBufferPointer { offsets in
      inputTiles.withUnsafeBufferPointer { tiles in
        ConvolutionKernels.multiply(
          packed: packedWeight, rows: g.outChannels, depth: g.patchSize, b: padded,
          offsets: offsets.start,
          tiles: tiles.start, tileCount: images * input.tilesPerImage, bias: bias, c: target,
          ldc: input.outHeight * input.outWidth,
          threads: threads, variant: variant)
      }
    }
    if !input.isDense {
      input.compact(planes: images * g.outChannels, staging: target, into: output)
    }
  }

  /// Adds a group's weight gradient `sum_(n, i, j) dy[n, o, i, j] * xpadded[n, c, i + kh, j + kw]`
  /// into `weightGradient` (`[Cout, Cin * KH * KW]`); `dy` (the group's block) is read in place.
  func addWeightGradient(
    _ g: ConvolutionGeometry, images: Int, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
    weightGradient: UnsafeMutablePointer<Float>, threads: Int, variant: KernelVariant,
    workspace ws: ConvolutionWorkspace
  ) {
    let padded = input.padded(images: images, from: x, workspace: ws)
    let pass = input.outHeight * input.outWidth
    var source = dy
    if !input.isDense {
      // The output gradient with zeros in the extra columns, which then add nothing.
      let staging = ws.buffer(1, count: input.passCount(images: images, planes: g.outChannels))
      input.expand(planes: images * g.outChannels, dense: dy, into: staging)
      source = UnsafePointer(staging)
    }
    inputOffsets.withUnsafeBufferPointer { offsets in
      inputSegments.withUnsafeBufferPointer { segments in
        ConvolutionKernels.dotProducts(
          segments: segments.start, segmentCount: images * pass / 16, x: source, ldx: pass,
          xCount: g.outChannels, y: padded, offsets: offsets.start, yCount: g.patchSize,
          out: weightGradient,
          ldOut: g.patchSize, threads: threads, variant: variant, workspace: ws)
      }
    }
  }

  /// A group's input gradient: the full correlation of `dy` with the flipped, transposed kernel
  /// (`packedFlipped`, see ``flippedWeight(_:_:)``), written in place to the group's
  /// `[images, Cin, H, W]` block.
  func inputGradient(
    _ g: ConvolutionGeometry, images: Int, dy: UnsafePointer<Float>,
    packedFlipped: UnsafePointer<Float>,
    inputGradient: UnsafeMutablePointer<Float>, threads: Int, variant: KernelVariant,
    workspace ws: ConvolutionWorkspace
  ) {
    let padded = gradient.padded(images: images, from: dy, workspace: ws)
    let target =
      gradient.isDense
      ? inputGradient
      : ws.buffer(1, count: gradient.passCount(images: images, planes: g.inChannels))
    gradientOffsets.withUnsafeBufferPointer { offsets in
      gradientTiles.withUnsafeBufferPointer { tiles in
        ConvolutionKernels.multiply(
          packed: packedFlipped, rows: g.inChannels, depth: gradientOffsets.count, b: padded,
          offsets: offsets.start, tiles: tiles.start, tileCount: images * gradient.tilesPerImage,
          bias: nil,
          c: target, ldc: gradient.outHeight * gradient.outWidth, threads: threads,
          variant: variant)
      }
    }
    if !gradient.isDense {
      gradient.compact(planes: images * g.inChannels, staging: target, into: inputGradient)
    }
  }
}
