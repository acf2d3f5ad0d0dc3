// Pooling kernels over NCHW planes: max and average windows, adaptive and global averages.
// Every kernel works plane by plane (one plane = one image's channel), spread over threads when
// the tensor is large; each plane is written by one thread in a fixed order, so the results are
// deterministic and independent of the thread count.

/// The sizes of a square pooling window sliding over `planes` planes of `height x width`.
struct PoolingGeometry: Equatable {
  var planes: Int
  var height: Int
  var width: Int
  var kernelSize: Int
  var stride: Int
  var padding: Int

  /// Output rows: `floor((H + 2p - k) / s) + 1` (PyTorch's default `ceil_mode=False`).
  var outHeight: Int { (height + 2 * padding - kernelSize) / stride + 1 }
  /// Output columns.
  var outWidth: Int { (width + 2 * padding - kernelSize) / stride + 1 }
  var inPlane: Int { height * width }
  var outPlane: Int { outHeight * outWidth }
  /// A 2x2, stride-2, unpadded window (the common halving pool), which has a vectorised path.
  var isHalving: Bool { kernelSize == 2 && stride == 2 && padding == 0 }

  /// The window of output position `o` along a dimension of `extent`, clipped to the image.
  @inline(__always)
  func window(_ o: Int, extent: Int) -> Range<Int> {
    let start = o * stride - padding
    return max(0, start)..<min(extent, start + kernelSize)
  }
}

/// Raw-pointer pooling kernels; see the `Tensor` pooling operations for the semantics.
enum PoolingKernels {
  /// Runs `body(plane)` for every plane, on several threads when `elements` is large enough to pay
  /// for the dispatch.
  @inline(__always)
  static func forEachPlane(_ planes: Int, elements: Int, _ body: (Int) -> Void) {
    let threads = elements >= 1 << 18 ? ComputeThreads.current : 1
    parallelFor(planes, threads: threads, body)
  }

  // MARK: - Max pooling

  /// Window maxima, and the in-plane index of each maximum (the first in scan order on ties; a NaN
  /// wins as in PyTorch, so NaNs propagate).
  ///
  /// Strides 1 and 2 take eight outputs at a time (``maxPoolPlane(_:input:output:argmax:rows:)``,
  /// and the halving window's own path); `reference` (for the tests that compare them) runs the
  /// scalar loops below for every window but the halving one. Both give the same bits.
  static func maxPoolForward(
    _ g: PoolingGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
    argmax: UnsafeMutablePointer<Int32>, reference: Bool = false
  ) {
    if !reference && hasWindowPath(g) {
      let floats = g.kernelSize * paddedRowLength(g)
      forEachPlane(g.planes, elements: g.planes * g.inPlane) { plane in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: floats) { rows in
          maxPoolPlane(
            g, input: input + plane * g.inPlane, output: output + plane * g.outPlane,
            argmax: argmax + plane * g.outPlane, rows: rows.baseAddress!)
        }
      }
      return
    }
    let pairs = g.isHalving ? g.outWidth / 8 * 8 : 0
    forEachPlane(g.planes, elements: g.planes * g.inPlane) { plane in
      let x = input + plane * g.inPlane
      let y = output + plane * g.outPlane
      let indices = argmax + plane * g.outPlane
      for oh in 0..<g.outHeight {
        let rows = g.window(oh, extent: g.height)
        if pairs > 0 {
          maxPoolHalving(
            x, row: 2 * oh, width: g.width, count: pairs, y + oh * g.outWidth,
            indices + oh * g.outWidth)
        }
        for ow in pairs..<g.outWidth {
          let cols = g.window(ow, extent: g.width)
          var best = -Float.infinity
          var bestIndex = rows.lowerBound * g.width + cols.lowerBound
          for ih in rows {
            for iw in cols {
              let value = x[ih * g.width + iw]
              if value > best || value.isNaN {
                best = value
                bestIndex = ih * g.width + iw
              }
            }
          }
          y[oh * g.outWidth + ow] = best
          indices[oh * g.outWidth + ow] = Int32(truncatingIfNeeded: bestIndex)
        }
      }
    }
  }

  /// Eight 2x2, stride-2 windows at a time: the maxima and in-plane indices of outputs
  /// `0 ..< count` of the output row made from input rows `row` and `row + 1`, with the scalar
  /// path's rules (scan order, first index on ties, NaN wins).
  @inline(__always)
  static func maxPoolHalving(
    _ x: UnsafePointer<Float>, row: Int, width: Int, count: Int, _ y: UnsafeMutablePointer<Float>,
    _ indices: UnsafeMutablePointer<Int32>
  ) {
    typealias V = SIMD16<Float>
    let lanes = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
    var j = 0
    while j < count {
      let first = row * width + 2 * j
      let top = UnsafeRawPointer(x + first).loadUnaligned(as: V.self)
      let bottom = UnsafeRawPointer(x + first + width).loadUnaligned(as: V.self)
      var best = top.evenHalf
      var index = lanes &+ Int32(truncatingIfNeeded: first)
      @inline(__always) func consider(_ candidate: SIMD8<Float>, _ offset: Int) {
        let take = (candidate .> best) .| (candidate .!= candidate)
        best.replace(with: candidate, where: take)
        index.replace(with: lanes &+ Int32(truncatingIfNeeded: first + offset), where: take)
      }
      consider(top.oddHalf, 1)
      consider(bottom.evenHalf, width)
      consider(bottom.oddHalf, width + 1)
      UnsafeMutableRawPointer(y + j).storeBytes(of: best, as: SIMD8<Float>.self)
      UnsafeMutableRawPointer(indices + j).storeBytes(of: index, as: SIMD8<Int32>.self)
      j += 8
    }
  }

  /// Routes each output gradient to its window's maximum (overwrites `inputGradient`).
  static func maxPoolBackward(
    _ g: PoolingGeometry, outputGradient: UnsafePointer<Float>, argmax: UnsafePointer<Int32>,
    inputGradient: UnsafeMutablePointer<Float>
  ) {
    forEachPlane(g.planes, elements: g.planes * g.inPlane) { plane in
      let dx = inputGradient + plane * g.inPlane
      let dy = outputGradient + plane * g.outPlane
      let indices = argmax + plane * g.outPlane
      dx.update(repeating: 0, count: g.inPlane)
      for o in 0..<g.outPlane {
        dx[Int(indices[o])] += dy[o]
      }
    }
  }

  // MARK: - Average pooling

  /// Window averages with zero padding counted in the divisor (`count_include_pad=True`): every
  /// window divides by `k * k`.
  static func avgPoolForward(
    _ g: PoolingGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
  ) {
    let scale = 1 / Float(g.kernelSize * g.kernelSize)
    let pairs = g.isHalving ? g.outWidth / 8 * 8 : 0
    forEachPlane(g.planes, elements: g.planes * g.inPlane) { plane in
      let x = input + plane * g.inPlane
      let y = output + plane * g.outPlane
      for oh in 0..<g.outHeight {
        let rows = g.window(oh, extent: g.height)
        var j = 0
        while j < pairs {
          // The scalar path's order: (top left + top right) + bottom left + bottom right.
          let first = 2 * oh * g.width + 2 * j
          let top = UnsafeRawPointer(x + first).loadUnaligned(as: SIMD16<Float>.self)
          let bottom = UnsafeRawPointer(x + first + g.width).loadUnaligned(as: SIMD16<Float>.self)
          let sum = top.evenHalf + top.oddHalf + bottom.evenHalf + bottom.oddHalf
          UnsafeMutableRawPointer(y + oh * g.outWidth + j).storeBytes(
            of: sum * scale, as: SIMD8<Float>.self)
          j += 8
        }
        for ow in pairs..<g.outWidth {
          let cols = g.window(ow, extent: g.width)
          var sum: Float = 0
          for ih in rows {
            for iw in cols { sum += x[ih * g.width + iw] }
          }
          y[oh * g.outWidth + ow] = sum * scale
        }
      }
    }
  }

  /// Spreads each output gradient evenly over its window (overwrites `inputGradient`).
  static func avgPoolBackward(
    _ g: PoolingGeometry, outputGradient: UnsafePointer<Float>,
    inputGradient: UnsafeMutablePointer<Float>
  ) {
    let scale = 1 / Float(g.kernelSize * g.kernelSize)
    forEachPlane(g.planes, elements: g.planes * g.inPlane) { plane in
      let dx = inputGradient + plane * g.inPlane
      let dy = outputGradient + plane * g.outPlane
      dx.update(repeating: 0, count: g.inPlane)
      for oh in 0..<g.outHeight {
        let rows = g.window(oh, extent: g.height)
        for ow in 0..<g.outWidth {
          let cols = g.window(ow, extent: g.width)
          let share = dy[oh * g.outWidth + ow] * scale
          for ih in rows {
            for iw in cols { dx[ih * g.width + iw] += share }
          }
        }
      }
    }
  }

  // MARK: - Adaptive and global average pooling

  /// PyTorch's adaptive bin `i` of `count` over `extent`: `floor(i * extent / count) ..<
  /// ceil((i + 1) * extent / count)`.
  @inline(__always)
  static func adaptiveBin(_ i: Int, count: Int, extent: Int) -> Range<Int> {
    (i * extent / count)..<(((i + 1) * extent + count - 1) / count)
  }

  /// Adaptive average pooling of `planes` planes `height x width` to `outHeight x outWidth`.
  static func adaptiveAvgForward(
    planes: Int, height: Int, width: Int, outHeight: Int, outWidth: Int,
    input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
  ) {
    forEachPlane(planes, elements: planes * height * width) { plane in
      let x = input + plane * height * width
      let y = output + plane * outHeight * outWidth
      for oh in 0..<outHeight {
        let rows = adaptiveBin(oh, count: outHeight, extent: height)
        for ow in 0..<outWidth {
          let cols = adaptiveBin(ow, count: outWidth, extent: width)
          var sum: Float = 0
          for ih in rows {
            for iw in cols { sum += x[ih * width + iw] }
          }
          y[oh * outWidth + ow] = sum / Float(rows.count * cols.count)
        }
      }
    }
  }

  /// The gradient of ``adaptiveAvgForward(planes:height:width:outHeight:outWidth:input:output:)``
  /// (overwrites `inputGradient`).
  static func adaptiveAvgBackward(
    planes: Int, height: Int, width: Int, outHeight: Int, outWidth: Int,
    outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>
  ) {
    forEachPlane(planes, elements: planes * height * width) { plane in
      let dx = inputGradient + plane * height * width
      let dy = outputGradient + plane * outHeight * outWidth
      dx.update(repeating: 0, count: height * width)
      for oh in 0..<outHeight {
        let rows = adaptiveBin(oh, count: outHeight, extent: height)
        for ow in 0..<outWidth {
          let cols = adaptiveBin(ow, count: outWidth, extent: width)
          let share = dy[oh * outWidth + ow] / Float(rows.count * cols.count)
          for ih in rows {
            for iw in cols { dx[ih * width + iw] += share }
          }
        }
      }
    }
  }

  /// The mean of each of `planes` contiguous planes of `size` elements.
  static func planeMeans(
    planes: Int, size: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
  ) {
    forEachPlane(planes, elements: planes * size) { plane in
      output[plane] = ElementwiseKernels.sum(input + plane * size, count: size) / Float(size)
    }
  }

  /// Fills each plane of `size` elements with its gradient divided by `size` (the gradient of
  /// ``planeMeans(planes:size:input:output:)``).
  static func planeMeansBackward(
    planes: Int, size: Int, outputGradient: UnsafePointer<Float>,
    inputGradient: UnsafeMutablePointer<Float>
  ) {
    forEachPlane(planes, elements: planes * size) { plane in
      (inputGradient + plane * size).update(
        repeating: outputGradient[plane] / Float(size), count: size)
    }
  }
}
