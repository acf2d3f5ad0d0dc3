// The explicit patch-matrix ("im2col") transform that turns a convolution into a matrix product,
// its adjoint ("col2im"), and the row-copy helpers shared with the padded-plane passes.

/// The sizes of a 2-D convolution over NCHW images (square stride and padding).
struct ConvolutionGeometry: Equatable {
  var batch: Int
  var inChannels: Int
  var height: Int
  var width: Int
  var outChannels: Int
  var kernelHeight: Int
  var kernelWidth: Int
  var stride: Int
  var padding: Int

  /// Output rows: `floor((H + 2p - KH) / s) + 1`, as PyTorch.
  var outHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
  /// Output columns: `floor((W + 2p - KW) / s) + 1`.
  var outWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
  /// Rows of the patch matrix: `Cin * KH * KW` (the inner dimension of the forward product).
  var patchSize: Int { inChannels * kernelHeight * kernelWidth }
  /// Whether this is a 1x1 convolution with stride 1 and no padding: the patch matrix's rows are
  /// the input planes themselves.
  var isPointwise: Bool { kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padding == 0 }
  /// Pixels of one input plane.
  var inPlane: Int { height * width }
  /// Pixels of one output plane (columns of one image's patch matrix).
  var outPlane: Int { outHeight * outWidth }
}

/// Patch-matrix kernels for convolution (raw pointers, no allocation).
///
/// For a group of `images` consecutive images the patch matrix has `Cin * KH * KW` rows, one per
/// (input channel, kernel row, kernel column) in that order, and `images * OH * OW` columns:
/// image `i`'s output pixels occupy columns `i * OH * OW ..< (i + 1) * OH * OW`. Element
/// `[(c, kh, kw), (i, oh, ow)]` is `x[i, c, oh * s - p + kh, ow * s - p + kw]`, or 0 in the
/// padding.
enum Im2Col {
  /// Fills the patch matrix of `images` images starting at `input` (NCHW) into `col`, with rows
  /// `ld >= images * outPlane` floats apart; columns past `images * outPlane` are set to zero
  /// (unless `padColumns` is false), so every element of the `patchSize x ld` block is written.
  ///
  /// With stride 1, each input plane is first copied into a zero-bordered plane, so every
  /// patch-matrix row is a copy of `OW` floats per output row with no bounds logic; larger
  /// strides split it into ``PhasePlanes``, with the same effect.
  static func im2col(
    _ g: ConvolutionGeometry, input: UnsafePointer<Float>, images: Int,
    col: UnsafeMutablePointer<Float>, ld: Int, padColumns: Bool = true
  ) {
    if g.isPointwise {
      // Each channel's plane is its row of the patch matrix.
      interleave(
        input, rows: g.inChannels, rowLength: g.inPlane, images: images, into: col, ld: ld,
        padColumns: padColumns)
      return
    }
    let plane = g.outPlane
    let used = images * plane
    if padColumns {
      for row in 0..<g.patchSize { zero(col + row * ld + used, count: ld - used) }
    }
    if g.stride > 1 {
      stridedIm2col(g, input: input, images: images, col: col, ld: ld)
      return
    }
    withPaddedPlane(g) { padded, paddedWidth in
      for i in 0..<images {
        for c in 0..<g.inChannels {
          let src = input + (i * g.inChannels + c) * g.inPlane
          let base: UnsafePointer<Float>
          if let padded {
            for h in 0..<g.height {
              copy(
                src + h * g.width, padded + (h + g.padding) * paddedWidth + g.padding,
                count: g.width)
            }
            base = UnsafePointer(padded)
          } else {
            base = src
          }
          for kh in 0..<g.kernelHeight {
            for kw in 0..<g.kernelWidth {
              let row = (c * g.kernelHeight + kh) * g.kernelWidth + kw
              gatherRows(
                base + kh * paddedWidth + kw, rowStride: paddedWidth,
                into: col + row * ld + i * plane, width: g.outWidth, rows: g.outHeight)
            }
          }
        }
      }
    }
  }

  /// The adjoint of ``im2col(_:input:images:col:ld:)``: overwrites the input-shaped gradient of
  /// `images` images at `gradient` with the sums of the patch-matrix entries (rows `ld` apart) that
  /// read each pixel.
  ///
  /// Sums go into a zero-bordered plane (no bounds logic; ``PhasePlanes`` for strides of 2 and
  /// more), whose interior is then kept. The accumulation order is fixed (image, channel, kernel
  /// row, kernel column, output row), so the result is deterministic.
  static func col2im(
    _ g: ConvolutionGeometry, col: UnsafePointer<Float>, ld: Int, images: Int,
    gradient: UnsafeMutablePointer<Float>
  ) {
    if g.isPointwise {
      // Each pixel is read by one entry: the sum is that entry (added to zero, as below).
      for i in 0..<images {
        for c in 0..<g.inChannels {
          copyAddingZero(
            col + c * ld + i * g.inPlane, gradient + (i * g.inChannels + c) * g.inPlane,
            count: g.inPlane)
        }
      }
      return
    }
    if g.stride > 1 {
      stridedCol2im(g, col: col, ld: ld, images: images, gradient: gradient)
      return
    }
    let plane = g.outPlane
    withPaddedPlane(g) { padded, paddedWidth in
      let paddedCount = paddedWidth * (g.height + 2 * g.padding)
      for i in 0..<images {
        for c in 0..<g.inChannels {
          let dst = gradient + (i * g.inChannels + c) * g.inPlane
          let target = padded ?? dst
          target.update(repeating: 0, count: padded == nil ? g.inPlane : paddedCount)
          for kh in 0..<g.kernelHeight {
            for kw in 0..<g.kernelWidth {
              let row = (c * g.kernelHeight + kh) * g.kernelWidth + kw
              scatterAddRows(
                col + row * ld + i * plane, into: target + kh * paddedWidth + kw,
                rowStride: paddedWidth, width: g.outWidth, rows: g.outHeight)
            }
          }
          if let padded {
            for h in 0..<g.height {
              copy(
                padded + (h + g.padding) * paddedWidth + g.padding, dst + h * g.width,
                count: g.width)
            }
          }
        }
      }
    }
  }

  /// Calls `body(plane, width)` with a zeroed scratch plane of `(H + 2p) x (W + 2p)` floats and
  /// its row length, or with `nil` and `W` without padding (the plane serves as is). Stride 1
  /// only: larger strides use ``PhasePlanes``.
  @inline(__always)
  static func withPaddedPlane(
    _ g: ConvolutionGeometry, _ body: (UnsafeMutablePointer<Float>?, Int) -> Void
  ) {
    if g.padding == 0 {
      body(nil, g.width)
      return
    }
    let width = g.width + 2 * g.padding
    let count = width * (g.height + 2 * g.padding)
    withUnsafeTemporaryAllocation(of: Float.self, capacity: count) { buffer in
      buffer.initialize(repeating: 0)
      body(buffer.baseAddress, width)
    }
  }

  /// Copies `rows` rows of `width` floats, `rowStride` apart at `from`, to consecutive rows at
  /// `to` (dedicated loops for widths 8 and multiples of 16).
  @inline(__always)
  static func gatherRows(
    _ from: UnsafePointer<Float>, rowStride stride: Int, into to: UnsafeMutablePointer<Float>,
    width: Int, rows: Int
  ) {
    typealias V = SIMD16<Float>
    typealias H = SIMD8<Float>
    if width == 8 {
      var r = 0
      while r + 2 <= rows {
        let low = UnsafeRawPointer(from + r * stride).loadUnaligned(as: H.self)
        let high = UnsafeRawPointer(from + (r + 1) * stride).loadUnaligned(as: H.self)
        UnsafeMutableRawPointer(to + r * 8).storeBytes(
          of: V(lowHalf: low, highHalf: high), as: V.self)
        r += 2
      }
      if r < rows { copy(from + r * stride, to + r * 8, count: 8) }
    } else if width % 16 == 0 {
      for r in 0..<rows {
        let source = UnsafeRawPointer(from + r * stride)
        let target = UnsafeMutableRawPointer(to + r * width)
        var offset = 0
        while offset < width * 4 {
          target.storeBytes(
            of: source.loadUnaligned(fromByteOffset: offset, as: V.self), toByteOffset: offset,
            as: V.self)
          offset += 64
        }
      }
    } else {
      for r in 0..<rows { copy(from + r * stride, to + r * width, count: width) }
    }
  }

  /// The adjoint of ``gatherRows(_:rowStride:into:width:rows:)``: adds consecutive rows of
  /// `width` floats at `from` into the rows `rowStride` apart at `to`.
  @inline(__always)
  static func scatterAddRows(
    _ from: UnsafePointer<Float>, into to: UnsafeMutablePointer<Float>, rowStride stride: Int,
    width: Int, rows: Int
  ) {
    typealias V = SIMD16<Float>
    typealias H = SIMD8<Float>
    if width == 8 {
      var r = 0
      while r + 2 <= rows {
        let pair = UnsafeRawPointer(from + r * 8).loadUnaligned(as: V.self)
        let first = UnsafeMutableRawPointer(to + r * stride)
        let second = UnsafeMutableRawPointer(to + (r + 1) * stride)
        first.storeBytes(of: first.loadUnaligned(as: H.self) + pair.lowHalf, as: H.self)
        second.storeBytes(of: second.loadUnaligned(as: H.self) + pair.highHalf, as: H.self)
        r += 2
      }
      if r < rows { add(from + r * 8, into: to + r * stride, count: 8) }
    } else if width % 16 == 0 {
      for r in 0..<rows {
        let source = UnsafeRawPointer(from + r * width)
        let target = UnsafeMutableRawPointer(to + r * stride)
        var offset = 0
        while offset < width * 4 {
          let sum =
            target.loadUnaligned(fromByteOffset: offset, as: V.self)
            + source.loadUnaligned(fromByteOffset: offset, as: V.self)
          target.storeBytes(of: sum, toByteOffset: offset, as: V.self)
          offset += 64
        }
      }
    } else {
      for r in 0..<rows { add(from + r * width, into: to + r * stride, count: width) }
    }
  }

  /// Sets `count` floats to zero; short runs inline (a `memset` call costs more than they do).
  @inline(__always)
  static func zero(_ p: UnsafeMutablePointer<Float>, count: Int) {
    if count > 64 {
      p.update(repeating: 0, count: count)
      return
    }
    var j = 0
    while j + 16 <= count {
      UnsafeMutableRawPointer(p + j).storeBytes(of: SIMD16<Float>(), as: SIMD16<Float>.self)
      j += 16
    }
    while j < count {
      p[j] = 0
      j += 1
    }
  }

  /// `[even[0], odd[0], even[1], odd[1], ...]` (one two-source shuffle).
  @inline(__always)
  static func interleave(_ even: SIMD8<Float>, _ odd: SIMD8<Float>) -> SIMD16<Float> {
    SIMD16(
      even[0], odd[0], even[1], odd[1], even[2], odd[2], even[3], odd[3],
      even[4], odd[4], even[5], odd[5], even[6], odd[6], even[7], odd[7])
  }

  /// Copies `count` floats (non-overlapping ranges): 16 at a time, then 8, then one by one.
  @inline(__always)
  static func copy(_ from: UnsafePointer<Float>, _ to: UnsafeMutablePointer<Float>, count: Int) {
    var j = 0
    while j + 16 <= count {
      UnsafeMutableRawPointer(to + j).storeBytes(
        of: UnsafeRawPointer(from + j).loadUnaligned(as: SIMD16<Float>.self), as: SIMD16<Float>.self
      )
      j += 16
    }
    if j + 8 <= count {
      UnsafeMutableRawPointer(to + j).storeBytes(
        of: UnsafeRawPointer(from + j).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
      j += 8
    }
    while j < count {
      to[j] = from[j]
      j += 1
    }
  }

  /// `to[j] = 0 + from[j]` for `j < count` (a copy in which `-0` becomes `+0`, as a sum into a
  /// zeroed target would make it), 16 at a time, then one by one.
  @inline(__always)
  static func copyAddingZero(
    _ from: UnsafePointer<Float>, _ to: UnsafeMutablePointer<Float>, count: Int
  ) {
    var j = 0
    while j + 16 <= count {
      let sum = SIMD16<Float>() + UnsafeRawPointer(from + j).loadUnaligned(as: SIMD16<Float>.self)
      UnsafeMutableRawPointer(to + j).storeBytes(of: sum, as: SIMD16<Float>.self)
      j += 16
    }
    while j < count {
      to[j] = 0 + from[j]
      j += 1
    }
  }

  /// `to[j] += from[j]` for `j < count`: 16 at a time, then 8, then one by one.
  @inline(__always)
  static func add(_ from: UnsafePointer<Float>, into to: UnsafeMutablePointer<Float>, count: Int) {
    var j = 0
    while j + 16 <= count {
      let sum =
        UnsafeRawPointer(to + j).loadUnaligned(as: SIMD16<Float>.self)
        + UnsafeRawPointer(from + j).loadUnaligned(as: SIMD16<Float>.self)
      UnsafeMutableRawPointer(to + j).storeBytes(of: sum, as: SIMD16<Float>.self)
      j += 16
    }
    if j + 8 <= count {
      let sum =
        UnsafeRawPointer(to + j).loadUnaligned(as: SIMD8<Float>.self)
        + UnsafeRawPointer(from + j).loadUnaligned(as: SIMD8<Float>.self)
      UnsafeMutableRawPointer(to + j).storeBytes(of: sum, as: SIMD8<Float>.self)
      j += 8
    }
    while j < count {
      to[j] += from[j]
      j += 1
    }
  }

  /// Moves image-major rows into a matrix with the images side by side:
  /// `dst[r * ld + i * rowLength + j] = src[i, r, j]` for `images` images of `rows` rows; the
  /// columns from `images * rowLength` to `ld` are set to zero (unless `padColumns` is false).
  static func interleave(
    _ src: UnsafePointer<Float>, rows: Int, rowLength: Int, images: Int,
    into dst: UnsafeMutablePointer<Float>, ld: Int, padColumns: Bool = true
  ) {
    let used = images * rowLength
    for r in 0..<rows {
      for i in 0..<images {
        copy(src + (i * rows + r) * rowLength, dst + r * ld + i * rowLength, count: rowLength)
      }
      if padColumns { zero(dst + r * ld + used, count: ld - used) }
    }
  }

  /// The inverse of ``interleave(_:rows:rowLength:images:into:ld:)``:
  /// `dst[i, r, j] = src[r * ld + i * rowLength + j]`.
  static func deinterleave(
    _ src: UnsafePointer<Float>, ld: Int, rows: Int, rowLength: Int, images: Int,
    into dst: UnsafeMutablePointer<Float>
  ) {
    for i in 0..<images {
      for r in 0..<rows {
        copy(src + r * ld + i * rowLength, dst + (i * rows + r) * rowLength, count: rowLength)
      }
    }
  }
}
