// Strided patch-matrix rows as contiguous reads: a zero-padded plane split into column phases.

/// A zero-padded input plane of a strided convolution, stored as `stride` phase planes: phase `r`
/// holds the padded plane's columns `r, r + s, r + 2s, ...` side by side.
///
/// A stride-`s` convolution's patch-matrix row `(c, kh, kw)` reads, for output row `oh`, every
/// `s`-th column of padded row `oh * s + kh` from column `kw` on. In phase `kw % s` those columns
/// are consecutive, from column `kw / s`: every kernel tap becomes a plain copy (or, in the
/// adjoint, a plain add) of `OW` floats per output row. The columns are split once per input
/// plane, instead of being gathered out of (or, in the adjoint, shuffled into) every second lane
/// once per tap.
///
/// Element `(row, q)` of the padded plane (`row < H + 2p`, `q < W + 2p`) is at
/// `(q % s) * phaseSize + row * phaseWidth + q / s`.
struct PhasePlanes {
  let stride: Int
  let padding: Int
  let height: Int
  let width: Int
  /// Columns of each phase row: `ceil((W + 2p) / s)`.
  let phaseWidth: Int
  /// Rows of each phase: `H + 2p`.
  let paddedHeight: Int

  init(_ g: ConvolutionGeometry) {
    stride = g.stride
    padding = g.padding
    height = g.height
    width = g.width
    phaseWidth = (g.width + 2 * g.padding + g.stride - 1) / g.stride
    paddedHeight = g.height + 2 * g.padding
  }

  /// Floats of one phase plane.
  var phaseSize: Int { paddedHeight * phaseWidth }
  /// Floats of all phases.
  var count: Int { stride * phaseSize }

  /// Where kernel tap `(kh, kw)` reads its first output row: phase `kw % s`, row `kh`, column
  /// `kw / s`; output row `oh` is `oh * rowStride` further.
  func tapOffset(kh: Int, kw: Int) -> Int {
    (kw % stride) * phaseSize + kh * phaseWidth + kw / stride
  }

  /// Floats between the reads of consecutive output rows: `s` padded rows.
  var rowStride: Int { stride * phaseWidth }

  /// Writes the `H x W` plane at `source` into the interior of the phases (the padding positions
  /// are left as they are: zero, when `phases` was zeroed once).
  func fill(from source: UnsafePointer<Float>, into phases: UnsafeMutablePointer<Float>) {
    for h in 0..<height {
      let row = source + h * width
      let target = phases + (h + padding) * phaseWidth
      if stride == 2 {
        // Even input columns land in phase `p % 2` from column `p / 2`, odd ones in the other.
        let even = target + (padding % 2) * phaseSize + padding / 2
        let odd = target + ((padding + 1) % 2) * phaseSize + (padding + 1) / 2
        PhasePlanes.deinterleave(row, count: width, even: even, odd: odd)
      } else {
        for x in 0..<width {
          let q = x + padding
          target[(q % stride) * phaseSize + q / stride] = row[x]
        }
      }
    }
  }

  /// Reads the interior of the phases back into an `H x W` plane at `destination`.
  func extract(from phases: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>) {
    for h in 0..<height {
      let row = destination + h * width
      let source = phases + (h + padding) * phaseWidth
      if stride == 2 {
        let even = source + (padding % 2) * phaseSize + padding / 2
        let odd = source + ((padding + 1) % 2) * phaseSize + (padding + 1) / 2
        PhasePlanes.interleave(even: even, odd: odd, count: width, into: row)
      } else {
        for x in 0..<width {
          let q = x + padding
          row[x] = source[(q % stride) * phaseSize + q / stride]
        }
      }
    }
  }

  /// `even[m] = row[2m]` and `odd[m] = row[2m + 1]` for the `count` floats of `row`.
  @inline(__always)
  static func deinterleave(
    _ row: UnsafePointer<Float>, count: Int, even: UnsafeMutablePointer<Float>,
    odd: UnsafeMutablePointer<Float>
  ) {
    typealias V = SIMD16<Float>
    typealias H = SIMD8<Float>
    var m = 0
    while 2 * m + 32 <= count {
      let low = UnsafeRawPointer(row + 2 * m).loadUnaligned(as: V.self)
      let high = UnsafeRawPointer(row + 2 * m + 16).loadUnaligned(as: V.self)
      UnsafeMutableRawPointer(even + m).storeBytes(
        of: V(lowHalf: low.evenHalf, highHalf: high.evenHalf), as: V.self)
      UnsafeMutableRawPointer(odd + m).storeBytes(
        of: V(lowHalf: low.oddHalf, highHalf: high.oddHalf), as: V.self)
      m += 16
    }
    if 2 * m + 16 <= count {
      let values = UnsafeRawPointer(row + 2 * m).loadUnaligned(as: V.self)
      UnsafeMutableRawPointer(even + m).storeBytes(of: values.evenHalf, as: H.self)
      UnsafeMutableRawPointer(odd + m).storeBytes(of: values.oddHalf, as: H.self)
      m += 8
    }
    while 2 * m + 1 < count {
      even[m] = row[2 * m]
      odd[m] = row[2 * m + 1]
      m += 1
    }
    if 2 * m < count { even[m] = row[2 * m] }
  }

  /// `row[2m] = even[m]` and `row[2m + 1] = odd[m]` for the `count` floats of `row`.
  @inline(__always)
  static func interleave(
    even: UnsafePointer<Float>, odd: UnsafePointer<Float>, count: Int,
    into row: UnsafeMutablePointer<Float>
  ) {
    typealias H = SIMD8<Float>
    var m = 0
    while 2 * m + 16 <= count {
      let e = UnsafeRawPointer(even + m).loadUnaligned(as: H.self)
      let o = UnsafeRawPointer(odd + m).loadUnaligned(as: H.self)
      UnsafeMutableRawPointer(row + 2 * m).storeBytes(of: Im2Col.interleave(e, o), as: SIMD16<Float>.self)
      m += 8
    }
    while 2 * m + 1 < count {
      row[2 * m] = even[m]
      row[2 * m + 1] = odd[m]
      m += 1
    }
    if 2 * m < count { row[2 * m] = even[m] }
  }
}

extension Im2Col {
  /// ``im2col(_:input:images:col:ld:)`` for strides of 2 and more: each input plane is split into
  /// ``PhasePlanes`` once, and every kernel tap copies contiguous runs out of one phase.
  static func stridedIm2col(
    _ g: ConvolutionGeometry, input: UnsafePointer<Float>, images: Int,
    col: UnsafeMutablePointer<Float>, ld: Int
  ) {
    let plane = g.outPlane
    if g.isSubsampling {
      for i in 0..<images {
        for c in 0..<g.inChannels {
          subsample(
            g, input + (i * g.inChannels + c) * g.inPlane, into: col + c * ld + i * plane)
        }
      }
      return
    }
    let layout = PhasePlanes(g)
    withPhasePlanes(layout) { phases in
      for i in 0..<images {
        for c in 0..<g.inChannels {
          layout.fill(from: input + (i * g.inChannels + c) * g.inPlane, into: phases)
          for kh in 0..<g.kernelHeight {
            for kw in 0..<g.kernelWidth {
              let row = (c * g.kernelHeight + kh) * g.kernelWidth + kw
              gatherRows(
                phases + layout.tapOffset(kh: kh, kw: kw), rowStride: layout.rowStride,
                into: col + row * ld + i * plane, width: g.outWidth, rows: g.outHeight)
            }
          }
        }
      }
    }
  }

  /// ``col2im(_:col:ld:images:gradient:)`` for strides of 2 and more: every kernel tap adds
  /// contiguous runs into one of the zeroed ``PhasePlanes``, whose interior is then interleaved
  /// into the gradient. Each pixel receives the same sums in the same order (kernel row, kernel
  /// column) as through a padded plane.
  static func stridedCol2im(
    _ g: ConvolutionGeometry, col: UnsafePointer<Float>, ld: Int, images: Int,
    gradient: UnsafeMutablePointer<Float>
  ) {
    let plane = g.outPlane
    if g.isSubsampling {
      for i in 0..<images {
        for c in 0..<g.inChannels {
          upsample(
            g, col + c * ld + i * plane, into: gradient + (i * g.inChannels + c) * g.inPlane)
        }
      }
      return
    }
    let layout = PhasePlanes(g)
    withPhasePlanes(layout) { phases in
      for i in 0..<images {
        for c in 0..<g.inChannels {
          phases.update(repeating: 0, count: layout.count)
          for kh in 0..<g.kernelHeight {
            for kw in 0..<g.kernelWidth {
              let row = (c * g.kernelHeight + kh) * g.kernelWidth + kw
              scatterAddRows(
                col + row * ld + i * plane, into: phases + layout.tapOffset(kh: kh, kw: kw),
                rowStride: layout.rowStride, width: g.outWidth, rows: g.outHeight)
            }
          }
          layout.extract(
            from: phases, into: gradient + (i * g.inChannels + c) * g.inPlane)
        }
      }
    }
  }

  /// Calls `body` with zeroed scratch memory for the phases of `layout`.
  @inline(__always)
  static func withPhasePlanes(
    _ layout: PhasePlanes, _ body: (UnsafeMutablePointer<Float>) -> Void
  ) {
    withUnsafeTemporaryAllocation(of: Float.self, capacity: layout.count) { buffer in
      buffer.initialize(repeating: 0)
      body(buffer.baseAddress!)
    }
  }
}

extension ConvolutionGeometry {
  /// Whether this is a 1x1 convolution with a stride of 2 or more and no padding (a ResNet
  /// shortcut): its one patch-matrix row per channel reads every `s`-th pixel of every `s`-th row,
  /// and no pixel twice.
  var isSubsampling: Bool {
    kernelHeight == 1 && kernelWidth == 1 && stride > 1 && padding == 0
  }
}

extension Im2Col {
  /// The patch-matrix row of one channel of a subsampling convolution
  /// (``ConvolutionGeometry/isSubsampling``): `row[oh * OW + ow] = plane[oh * s, ow * s]`.
  static func subsample(
    _ g: ConvolutionGeometry, _ plane: UnsafePointer<Float>, into row: UnsafeMutablePointer<Float>
  ) {
    typealias V = SIMD16<Float>
    typealias H = SIMD8<Float>
    for oh in 0..<g.outHeight {
      let source = plane + oh * g.stride * g.width
      let target = row + oh * g.outWidth
      var j = 0
      if g.stride == 2 {
        // Reads stay inside the source row.
        while 2 * j + 32 <= g.width && j + 16 <= g.outWidth {
          let low = UnsafeRawPointer(source + 2 * j).loadUnaligned(as: V.self)
          let high = UnsafeRawPointer(source + 2 * j + 16).loadUnaligned(as: V.self)
          UnsafeMutableRawPointer(target + j).storeBytes(
            of: V(lowHalf: low.evenHalf, highHalf: high.evenHalf), as: V.self)
          j += 16
        }
        if 2 * j + 16 <= g.width && j + 8 <= g.outWidth {
          let values = UnsafeRawPointer(source + 2 * j).loadUnaligned(as: V.self)
          UnsafeMutableRawPointer(target + j).storeBytes(of: values.evenHalf, as: H.self)
          j += 8
        }
      }
      while j < g.outWidth {
        target[j] = source[j * g.stride]
        j += 1
      }
    }
  }

  /// The adjoint of ``subsample(_:_:into:)``: overwrites one channel's input-shaped gradient
  /// with `0 + row[oh * OW + ow]` at `(oh * s, ow * s)` and zero elsewhere (the sum a zeroed
  /// plane receives; `-0` becomes `+0`).
  static func upsample(
    _ g: ConvolutionGeometry, _ row: UnsafePointer<Float>, into plane: UnsafeMutablePointer<Float>
  ) {
    typealias H = SIMD8<Float>
    plane.update(repeating: 0, count: g.inPlane)
    for oh in 0..<g.outHeight {
      let source = row + oh * g.outWidth
      let target = plane + oh * g.stride * g.width
      var j = 0
      if g.stride == 2 {
        while 2 * j + 16 <= g.width && j + 8 <= g.outWidth {
          let values = H() + UnsafeRawPointer(source + j).loadUnaligned(as: H.self)
          UnsafeMutableRawPointer(target + 2 * j).storeBytes(
            of: interleave(values, H()), as: SIMD16<Float>.self)
          j += 8
        }
      }
      while j < g.outWidth {
        target[j * g.stride] = 0 + source[j]
        j += 1
      }
    }
  }
}
