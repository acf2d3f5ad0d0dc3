// Batch normalisation kernels for NCHW tensors whose planes are small (a 5x5 map or smaller):
// the late stages of ResNet-50 (2x2 and 1x1 maps) and the last dense block of DenseNet (4x4).
//
// The general kernels in `BatchNormKernels` run SIMD lanes along one plane of `H * W` values. A
// plane of fewer than 32 values never filled their vector loop, so every value went one at a time
// through a chain of dependent Double additions, and a 1x1 map flushed 16 empty lanes per value.
// Here the reductions give each channel a lane instead (eight channels side by side, their values
// gathered `H * W` apart), and the elementwise maps run along whole image rows of `C * H * W`
// values with per-value coefficients. Each channel sees the same Float and Double operations in the
// same order as in the general kernels, so the results are bit-identical to theirs.

/// Batch-normalisation kernels for planes of fewer than ``reductionLimit`` (reductions) or
/// ``elementwiseLimit`` (elementwise maps) values; see the file comment.
enum SmallPlaneBatchNorm {
  /// Planes smaller than this take ``statistics(_:input:mean:variance:)`` and
  /// ``gradientSums(_:input:outputGradient:mean:relu:sumGradient:sumCenteredProduct:)``: the general
  /// reductions' 32-value vector loop never runs for them.
  static let reductionLimit = 32
  /// Planes smaller than this take the row-wise elementwise maps: the general maps' 16-value
  /// vector loop never runs for them.
  static let elementwiseLimit = 16

  typealias F = SIMD8<Float>
  typealias D = SIMD8<Double>
  typealias V = BatchNormKernels.V

  /// Runs `body(first, width)` for every block of up to 8 consecutive channels, on several threads
  /// when the tensor is large (by the general kernels' rule).
  @inline(__always)
  static func forEachChannelBlock(_ layout: ChannelLayout, _ body: (Int, Int) -> Void) {
    let blocks = (layout.channels + 7) / 8
    parallelFor(blocks, threads: BatchNormKernels.threads(layout)) { block in
      body(block * 8, min(8, layout.channels - block * 8))
    }
  }

  /// `width` values `stride` apart from `p`, in lanes `0..<width` (the others 0).
  @inline(__always)
  static func load(_ p: UnsafePointer<Float>, stride: Int, width: Int) -> F {
    if width == 8 {
      if stride == 1 { return UnsafeRawPointer(p).loadUnaligned(as: F.self) }
      return F(
        p[0], p[stride], p[2 * stride], p[3 * stride], p[4 * stride], p[5 * stride],
        p[6 * stride], p[7 * stride])
    }
    var v = F()
    for lane in 0..<width { v[lane] = p[lane * stride] }
    return v
  }

  /// Per-channel mean and biased variance, as ``BatchNormKernels/statistics(_:input:mean:variance:)``
  /// computes them: the mean, then moments about the mean rounded to Float.
  static func statistics(
    _ layout: ChannelLayout, input: UnsafePointer<Float>,
    mean: UnsafeMutablePointer<Double>, variance: UnsafeMutablePointer<Double>
  ) {
    let count = Double(layout.perChannel)
    let plane = layout.plane
    forEachChannelBlock(layout) { first, width in
      var total = D()
      for n in 0..<layout.batch {
        let x = input + layout.offset(n, first)
        var sum = D()
        for i in 0..<plane { sum += D(load(x + i, stride: plane, width: width)) }
        total += sum
      }
      let center = F(total / D(repeating: count))
      var sum = D()
      var squares = D()
      for n in 0..<layout.batch {
        let x = input + layout.offset(n, first)
        var s = D()
        var q = D()
        for i in 0..<plane {
          let d = D(load(x + i, stride: plane, width: width) - center)
          s += d
          q += d * d
        }
        sum += s
        squares += q
      }
      for lane in 0..<width {
        let offset = sum[lane] / count
        mean[first + lane] = Double(center[lane]) + offset
        variance[first + lane] = max(0, squares[lane] / count - offset * offset)
      }
    }
  }

  /// Per-channel `sum dy` and `sum (x - mean[c]) * dy`, as
  /// ``BatchNormKernels/gradientSums(_:input:outputGradient:mean:relu:sumGradient:sumCenteredProduct:)``
  /// computes them.
  static func gradientSums(
    _ layout: ChannelLayout, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
    mean: UnsafePointer<Float>, relu: BatchNormKernels.ReLUMask?,
    sumGradient: UnsafeMutablePointer<Double>, sumCenteredProduct: UnsafeMutablePointer<Double>
  ) {
    let plane = layout.plane
    forEachChannelBlock(layout) { first, width in
      let m = load(mean + first, stride: 1, width: width)
      let scale = relu.map { load($0.scale + first, stride: 1, width: width) } ?? F()
      let shift = relu.map { load($0.shift + first, stride: 1, width: width) } ?? F()
      var sum = D()
      var dot = D()
      for n in 0..<layout.batch {
        let x = input + layout.offset(n, first)
        let dy = outputGradient + layout.offset(n, first)
        for i in 0..<plane {
          let xv = load(x + i, stride: plane, width: width)
          var g = load(dy + i, stride: plane, width: width)
          if relu != nil { g.replace(with: F(), where: .!(shift.addingProduct(xv, scale) .> F())) }
          let gd = D(g)
          sum += gd
          dot += D(xv - m) * gd
        }
      }
      for lane in 0..<width {
        sumGradient[first + lane] = sum[lane]
        sumCenteredProduct[first + lane] = dot[lane]
      }
    }
  }

  /// `values[c]` repeated over the plane of channel `c`, for every channel: one image row's worth
  /// of per-value coefficients.
  static func expanded(_ values: UnsafePointer<Float>, _ layout: ChannelLayout) -> [Float] {
    [Float](unsafeUninitializedCapacity: layout.channels * layout.plane) { buffer, initialized in
      for c in 0..<layout.channels {
        for i in 0..<layout.plane { buffer[c * layout.plane + i] = values[c] }
      }
      initialized = layout.channels * layout.plane
    }
  }

  /// Runs `body(offset, count)` for every image row (`offset` its first element, `count` its
  /// length `C * H * W`), on several threads when the tensor is large.
  @inline(__always)
  static func forEachRow(_ layout: ChannelLayout, _ body: (Int, Int) -> Void) {
    let row = layout.channels * layout.plane
    parallelFor(layout.batch, threads: BatchNormKernels.threads(layout)) { n in body(n * row, row) }
  }

  /// `y = x * scale[c] + shift[c]`, plus `residual` when given, then `max(y, 0)` when `relu`, as
  /// ``BatchNormKernels/affine(_:input:scale:shift:residual:relu:output:outputChannels:reference:)``
  /// computes it.
  static func affine(
    _ layout: ChannelLayout, input: UnsafePointer<Float>, scale: UnsafePointer<Float>,
    shift: UnsafePointer<Float>, residual: UnsafePointer<Float>?, relu: Bool,
    output: UnsafeMutablePointer<Float>, outputChannels: Int
  ) {
    let scales = expanded(scale, layout)
    let shifts = expanded(shift, layout)
    scales.withUnsafeBufferPointer { a in
      shifts.withUnsafeBufferPointer { b in
        forEachRow(layout) { offset, count in
          let x = input + offset
          // Image `offset / count`'s row of the output, `outputChannels` channels long.
          let y = count == 0 ? output : output + offset / count * outputChannels * layout.plane
          let r = residual.map { $0 + offset }
          var i = 0
          while i + 16 <= count {
            var v = load16(b.start + i).addingProduct(load16(x + i), load16(a.start + i))
            if let r { v += load16(r + i) }
            let out = relu ? v.replacing(with: V(), where: v .< V()) : v
            UnsafeMutableRawPointer(y + i).storeBytes(of: out, as: V.self)
            i += 16
          }
          while i < count {
            var v = b[i].addingProduct(x[i], a[i])
            if let r { v += r[i] }
            y[i] = relu && v < 0 ? 0 : v
            i += 1
          }
        }
      }
    }
  }

  /// `dx = dy * a[c] + (x - mean[c]) * b[c] + d[c]`, with `dy` masked by `relu` when given, as
  /// ``BatchNormKernels/inputGradient(_:input:outputGradient:mean:a:b:d:relu:inputGradient:)``
  /// computes it.
  static func inputGradient(
    _ layout: ChannelLayout, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
    mean: UnsafePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    d: UnsafePointer<Float>, relu: BatchNormKernels.ReLUMask?,
    inputGradient: UnsafeMutablePointer<Float>
  ) {
    // Rows of coefficients: mean, a, b, d, then the mask's scale and shift.
    var sources = [mean, a, b, d]
    if let relu { sources += [relu.scale, relu.shift] }
    let row = layout.channels * layout.plane
    let coefficients = sources.flatMap { expanded($0, layout) }
    coefficients.withUnsafeBufferPointer { rows in
      let (m, ca, cb, cd) = (rows.start, rows.start + row, rows.start + 2 * row, rows.start + 3 * row)
      let (ms, mb) = (rows.start + 4 * row, rows.start + 5 * row)
      forEachRow(layout) { offset, count in
        let x = input + offset
        let dy = outputGradient + offset
        let dx = inputGradient + offset
        var i = 0
        while i + 16 <= count {
          let xv = load16(x + i)
          var g = load16(dy + i)
          // The mask's rows exist only with a mask: read them only then.
          if relu != nil { g = BatchNormKernels.masked(g, xv, relu, load16(ms + i), load16(mb + i)) }
          let out = load16(cd + i).addingProduct(g, load16(ca + i))
            .addingProduct(xv - load16(m + i), load16(cb + i))
          UnsafeMutableRawPointer(dx + i).storeBytes(of: out, as: V.self)
          i += 16
        }
        while i < count {
          let g = relu == nil || mb[i].addingProduct(x[i], ms[i]) > 0 ? dy[i] : 0
          dx[i] = cd[i].addingProduct(g, ca[i]).addingProduct(x[i] - m[i], cb[i])
          i += 1
        }
      }
    }
  }

  @inline(__always)
  static func load16(_ p: UnsafePointer<Float>) -> V {
    UnsafeRawPointer(p).loadUnaligned(as: V.self)
  }
}
