// Max pooling with any square window at stride 1 or 2, eight outputs of a row at a time (the 3x3
// stride-2 pool after ResNet-50's stem, overlapping windows in models of one's own).

extension PoolingKernels {
  /// Whether ``maxPoolPlane(_:input:output:argmax:rows:)`` serves `g`: strides 1 and 2, except
  /// the halving window, whose own path reads the plane in place.
  static func hasWindowPath(_ g: PoolingGeometry) -> Bool {
    (g.stride == 1 || g.stride == 2) && !g.isHalving
  }

  /// Floats of one padded input row of ``maxPoolPlane(_:input:output:argmax:rows:)``: every
  /// eight-output block's loads stay inside it (a stride-2 block loads 16 floats per tap).
  static func paddedRowLength(_ g: PoolingGeometry) -> Int {
    (g.outWidth + 7) / 8 * 8 * g.stride + g.kernelSize + 16
  }

  /// The window maxima and their in-plane indices of one plane (`x`, `height x width`) into `y`
  /// and `indices`, with the scalar path's rules (scan order, first index on ties, a NaN wins):
  /// the input rows of an output row's windows are copied into `rows` (``paddedRowLength(_:)``
  /// floats per row, `kernelSize` rows) with `-inf` around them, so every block of eight outputs
  /// reads each tap as one vector. A `-inf` from the padding is never taken (it is not above any
  /// maximum so far, which starts at `-inf`), as the scalar path never looks at the padding.
  @inline(__always)
  static func maxPoolPlane(
    _ g: PoolingGeometry, input x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>,
    argmax indices: UnsafeMutablePointer<Int32>, rows buffer: UnsafeMutablePointer<Float>
  ) {
    typealias V = SIMD8<Float>
    typealias I = SIMD8<Int32>
    let length = paddedRowLength(g)
    let (s, p, k, width) = (g.stride, g.padding, g.kernelSize, g.width)
    let lanes = I(0, 1, 2, 3, 4, 5, 6, 7)
    buffer.update(repeating: -.infinity, count: k * length)
    for oh in 0..<g.outHeight {
      let window = g.window(oh, extent: g.height)
      for (r, ih) in window.enumerated() {
        Im2Col.copy(x + ih * width, buffer + r * length + p, count: width)
      }
      var ow0 = 0
      while ow0 < g.outWidth {
        // The first in-image position of each lane's window, where the scalar path starts.
        let firstColumn = pointwiseMax((lanes &+ Int32(ow0)) &* Int32(s) &- Int32(p), I())
        var index = firstColumn &+ Int32(window.lowerBound * width)
        var best = V(repeating: -.infinity)
        for (r, ih) in window.enumerated() {
          let base = UnsafeRawPointer(buffer + r * length + ow0 * s)
          for kw in 0..<k {
            let candidate =
              s == 1
              ? base.loadUnaligned(fromByteOffset: kw * 4, as: V.self)
              : base.loadUnaligned(fromByteOffset: kw * 4, as: SIMD16<Float>.self).evenHalf
            let take = (candidate .> best) .| (candidate .!= candidate)
            best.replace(with: candidate, where: take)
            let position = Int32(truncatingIfNeeded: ih * width + ow0 * s - p + kw)
            index.replace(with: lanes &* Int32(s) &+ position, where: take)
          }
        }
        let row = oh * g.outWidth + ow0
        if ow0 + 8 <= g.outWidth {
          UnsafeMutableRawPointer(y + row).storeBytes(of: best, as: V.self)
          UnsafeMutableRawPointer(indices + row).storeBytes(of: index, as: I.self)
        } else {
          for lane in 0..<(g.outWidth - ow0) {
            y[row + lane] = best[lane]
            indices[row + lane] = index[lane]
          }
        }
        ow0 += 8
      }
    }
  }
}
