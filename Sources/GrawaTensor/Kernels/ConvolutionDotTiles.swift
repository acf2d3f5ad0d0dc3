// The dot-product tiles of the convolution kernels: the weight gradient `dy * colᵀ` of the
// padded-plane passes, summed along runs of 16 pixels (see `ConvolutionTiles.swift` for the
// product tiles and the packed weights).

extension ConvolutionKernels {
  // MARK: - Dot-product tiles

  /// The sum of 16 lanes, as a fixed tree (halves added pairwise).
  @inline(__always)
  static func horizontalSum(_ v: SIMD16<Float>) -> Float {
    let h8 = v.lowHalf + v.highHalf
    let h4 = h8.lowHalf + h8.highHalf
    let h2 = h4.lowHalf + h4.highHalf
    return h2[0] + h2[1]
  }

  /// `out[i * strideX + j * strideY] += sum_s sum_{l < 16} x_i[xs + l] * y_j[ys + l]`, where
  /// `(xs, ys)` runs over the `segmentCount` pairs at `segments`, for `i < xRows` (at most 4) and
  /// `j < yRows` (at most 6); row `i` of `x` starts at `x + i * ldx`, row `j` of `y` at
  /// `y + offsets[j]`. (Contiguous rows are segments `(16 s, 16 s)`; an image read in place and a
  /// zero-padded copy of it pair up row by row.)
  ///
  /// Each product is summed in 16 lanes over the segments in order, then the lanes in a fixed
  /// tree (``horizontalSum(_:)``). With vectors of `w < 16` lanes the 16 lanes are summed
  /// `16 / w` at a time in separate passes over the segments, which is the same arithmetic.
  @inline(__always)
  static func dotTile4x6<V: SIMD>(
    _: V.Type, segments: UnsafePointer<Int>, segmentCount: Int, x: UnsafePointer<Float>,
    ldx: Int, xRows: Int, y: UnsafePointer<Float>, offsets: UnsafePointer<Int>, yRows: Int,
    out: UnsafeMutablePointer<Float>, strideX: Int, strideY: Int
  ) where V.Scalar == Float {
    // Rows past the end repeat the last row (their sums are discarded): no branches in the loop.
    @inline(__always) func xRow(_ i: Int) -> UnsafeRawPointer {
      UnsafeRawPointer(x + min(i, xRows - 1) * ldx)
    }
    @inline(__always) func yRow(_ j: Int) -> UnsafeRawPointer {
      UnsafeRawPointer(y + offsets[min(j, yRows - 1)])
    }
    let w = V.scalarCount
    // Lane sums of every (i, j) pair: 16 floats each, at (i * 6 + j) * 16.
    withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 24) { buffer in
      let lanes = UnsafeMutableRawPointer(buffer.start)
      for pass in 0..<(16 / w) {
        let lane = pass * w * 4
        let (x0, x1, x2, x3) = (xRow(0) + lane, xRow(1) + lane, xRow(2) + lane, xRow(3) + lane)
        let (y0, y1, y2) = (yRow(0) + lane, yRow(1) + lane, yRow(2) + lane)
        let (y3, y4, y5) = (yRow(3) + lane, yRow(4) + lane, yRow(5) + lane)
        var a00 = V()
        var a01 = V()
        var a02 = V()
        var a03 = V()
        var a04 = V()
        var a05 = V()
        var a10 = V()
        var a11 = V()
        var a12 = V()
        var a13 = V()
        var a14 = V()
        var a15 = V()
        var a20 = V()
        var a21 = V()
        var a22 = V()
        var a23 = V()
        var a24 = V()
        var a25 = V()
        var a30 = V()
        var a31 = V()
        var a32 = V()
        var a33 = V()
        var a34 = V()
        var a35 = V()
        var segment = segments
        for _ in 0..<segmentCount {
          let offset = segment[0] &* 4
          let u0 = x0.loadUnaligned(fromByteOffset: offset, as: V.self)
          let u1 = x1.loadUnaligned(fromByteOffset: offset, as: V.self)
          let u2 = x2.loadUnaligned(fromByteOffset: offset, as: V.self)
          let u3 = x3.loadUnaligned(fromByteOffset: offset, as: V.self)
          let yOffset = segment[1] &* 4
          segment += 2
          var v = y0.loadUnaligned(fromByteOffset: yOffset, as: V.self)
          a00.addProduct(u0, v)
          a10.addProduct(u1, v)
          a20.addProduct(u2, v)
          a30.addProduct(u3, v)
          v = y1.loadUnaligned(fromByteOffset: yOffset, as: V.self)
          a01.addProduct(u0, v)
          a11.addProduct(u1, v)
          a21.addProduct(u2, v)
          a31.addProduct(u3, v)
          v = y2.loadUnaligned(fromByteOffset: yOffset, as: V.self)
          a02.addProduct(u0, v)
          a12.addProduct(u1, v)
          a22.addProduct(u2, v)
          a32.addProduct(u3, v)
          v = y3.loadUnaligned(fromByteOffset: yOffset, as: V.self)
          a03.addProduct(u0, v)
          a13.addProduct(u1, v)
          a23.addProduct(u2, v)
          a33.addProduct(u3, v)
          v = y4.loadUnaligned(fromByteOffset: yOffset, as: V.self)
          a04.addProduct(u0, v)
          a14.addProduct(u1, v)
          a24.addProduct(u2, v)
          a34.addProduct(u3, v)
          v = y5.loadUnaligned(fromByteOffset: yOffset, as: V.self)
          a05.addProduct(u0, v)
          a15.addProduct(u1, v)
          a25.addProduct(u2, v)
          a35.addProduct(u3, v)
        }
        @inline(__always) func keep(_ i: Int, _ j: Int, _ sum: V) {
          lanes.storeBytes(of: sum, toByteOffset: (i * 6 + j) * 64 + lane, as: V.self)
        }
        keep(0, 0, a00)
        keep(0, 1, a01)
        keep(0, 2, a02)
        keep(0, 3, a03)
        keep(0, 4, a04)
        keep(0, 5, a05)
        keep(1, 0, a10)
        keep(1, 1, a11)
        keep(1, 2, a12)
        keep(1, 3, a13)
        keep(1, 4, a14)
        keep(1, 5, a15)
        keep(2, 0, a20)
        keep(2, 1, a21)
        keep(2, 2, a22)
        keep(2, 3, a23)
        keep(2, 4, a24)
        keep(2, 5, a25)
        keep(3, 0, a30)
        keep(3, 1, a31)
        keep(3, 2, a32)
        keep(3, 3, a33)
        keep(3, 4, a34)
        keep(3, 5, a35)
      }
      addLaneSums(
        buffer.start, columns: 6, xRows: xRows, yRows: yRows, out: out, strideX: strideX,
        strideY: strideY)
    }
  }

  /// The 4 x 3 form of
  /// ``dotTile4x6(_:segments:segmentCount:x:ldx:xRows:y:offsets:yRows:out:strideX:strideY:)``
  /// (`yRows <= 3`), for register files of 16 vectors.
  @inline(__always)
  static func dotTile4x3<V: SIMD>(
    _: V.Type, segments: UnsafePointer<Int>, segmentCount: Int, x: UnsafePointer<Float>,
    ldx: Int, xRows: Int, y: UnsafePointer<Float>, offsets: UnsafePointer<Int>, yRows: Int,
    out: UnsafeMutablePointer<Float>, strideX: Int, strideY: Int
  ) where V.Scalar == Float {
    @inline(__always) func xRow(_ i: Int) -> UnsafeRawPointer {
      UnsafeRawPointer(x + min(i, xRows - 1) * ldx)
    }
    @inline(__always) func yRow(_ j: Int) -> UnsafeRawPointer {
      UnsafeRawPointer(y + offsets[min(j, yRows - 1)])
    }
    let w = V.scalarCount
    withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 12) { buffer in
      let lanes = UnsafeMutableRawPointer(buffer.start)
      for pass in 0..<(16 / w) {
        let lane = pass * w * 4
        let (x0, x1, x2, x3) = (xRow(0) + lane, xRow(1) + lane, xRow(2) + lane, xRow(3) + lane)
        let (y0, y1, y2) = (yRow(0) + lane, yRow(1) + lane, yRow(2) + lane)
        var a00 = V()
        var a01 = V()
        var a02 = V()
        var a10 = V()
        var a11 = V()
        var a12 = V()
        var a20 = V()
        var a21 = V()
        var a22 = V()
        var a30 = V()
        var a31 = V()
        var a32 = V()
        var segment = segments
        for _ in 0..<segmentCount {
          let offset = segment[0] &* 4
          let u0 = x0.loadUnaligned(fromByteOffset: offset, as: V.self)
          let u1 = x1.loadUnaligned(fromByteOffset: offset, as: V.self)
          let u2 = x2.loadUnaligned(fromByteOffset: offset, as: V.self)
          let u3 = x3.loadUnaligned(fromByteOffset: offset, as: V.self)
          let yOffset = segment[1] &* 4
          segment += 2
          var v = y0.loadUnaligned(fromByteOffset: yOffset, as: V.self)
          a00.addProduct(u0, v)
          a10.addProduct(u1, v)
          a20.addProduct(u2, v)
          a30.addProduct(u3, v)
          v = y1.loadUnaligned(fromByteOffset: yOffset, as: V.self)
          a01.addProduct(u0, v)
          a11.addProduct(u1, v)
          a21.addProduct(u2, v)
          a31.addProduct(u3, v)
          v = y2.loadUnaligned(fromByteOffset: yOffset, as: V.self)
          a02.addProduct(u0, v)
          a12.addProduct(u1, v)
          a22.addProduct(u2, v)
          a32.addProduct(u3, v)
        }
        @inline(__always) func keep(_ i: Int, _ j: Int, _ sum: V) {
          lanes.storeBytes(of: sum, toByteOffset: (i * 3 + j) * 64 + lane, as: V.self)
        }
        keep(0, 0, a00)
        keep(0, 1, a01)
        keep(0, 2, a02)
        keep(1, 0, a10)
        keep(1, 1, a11)
        keep(1, 2, a12)
        keep(2, 0, a20)
        keep(2, 1, a21)
        keep(2, 2, a22)
        keep(3, 0, a30)
        keep(3, 1, a31)
        keep(3, 2, a32)
      }
      addLaneSums(
        buffer.start, columns: 3, xRows: xRows, yRows: yRows, out: out, strideX: strideX,
        strideY: strideY)
    }
  }

  /// Adds the lane sums of a dot-product tile (`sums[i * columns + j]`) into
  /// `out[i * strideX + j * strideY]` for `i < xRows`, `j < yRows`.
  @inline(__always)
  static func addLaneSums(
    _ sums: UnsafePointer<SIMD16<Float>>, columns: Int, xRows: Int, yRows: Int,
    out: UnsafeMutablePointer<Float>, strideX: Int, strideY: Int
  ) {
    for j in 0..<yRows {
      for i in 0..<xRows {
        out[i * strideX + j * strideY] += horizontalSum(sums[i * columns + j])
      }
    }
  }

  /// `out[i * ldOut + j] += sum over segments of x_i * y_j` (see
  /// ``dotTile4x6(_:segments:segmentCount:x:ldx:xRows:y:offsets:yRows:out:strideX:strideY:)``)
  /// for `i < xCount`, `j < yCount`: tiles of `y` rows (kept in L1) in the outer loop, tiles of
  /// four `x` rows streaming past them in the inner loop. With `threads > 1` the `y` tiles are
  /// shared out in contiguous ranges (each output element is still summed by one tile).
  static func dotProducts(
    segments: UnsafePointer<Int>, segmentCount: Int, x: UnsafePointer<Float>, ldx: Int, xCount: Int,
    y: UnsafePointer<Float>, offsets: UnsafePointer<Int>, yCount: Int,
    out: UnsafeMutablePointer<Float>,
    ldOut: Int, threads: Int, variant: KernelVariant
  ) {
    switch variant {
    case .avx512:
      dotProducts(
        AVX512Kernels.self, segments: segments, segmentCount: segmentCount, x: x, ldx: ldx,
        xCount: xCount, y: y, offsets: offsets, yCount: yCount, out: out, ldOut: ldOut,
        threads: threads)
    case .avx2:
      dotProducts(
        AVX2Kernels.self, segments: segments, segmentCount: segmentCount, x: x, ldx: ldx,
        xCount: xCount, y: y, offsets: offsets, yCount: yCount, out: out, ldOut: ldOut,
        threads: threads)
    case .neon:
      dotProducts(
        NEONKernels.self, segments: segments, segmentCount: segmentCount, x: x, ldx: ldx,
        xCount: xCount, y: y, offsets: offsets, yCount: yCount, out: out, ldOut: ldOut,
        threads: threads)
    case .generic:
      dotProducts(
        GenericKernels.self, segments: segments, segmentCount: segmentCount, x: x, ldx: ldx,
        xCount: xCount, y: y, offsets: offsets, yCount: yCount, out: out, ldOut: ldOut,
        threads: threads)
    }
  }

  /// ``dotProducts(segments:segmentCount:x:ldx:xCount:y:offsets:yCount:out:ldOut:threads:variant:)``
  /// with the tiles of `K`.
  private static func dotProducts<K: KernelShapes>(
    _: K.Type, segments: UnsafePointer<Int>, segmentCount: Int, x: UnsafePointer<Float>,
    ldx: Int, xCount: Int, y: UnsafePointer<Float>, offsets: UnsafePointer<Int>, yCount: Int,
    out: UnsafeMutablePointer<Float>, ldOut: Int, threads: Int
  ) {
    let rowsY = K.dotRowsY
    let blocks = (yCount + rowsY - 1) / rowsY
    let workers = max(1, min(threads, blocks / 2))
    parallelFor(workers, threads: workers) { w in
      var j = blocks * w / workers * rowsY
      let end = min(yCount, blocks * (w + 1) / workers * rowsY)
      while j < end {
        var i = 0
        while i < xCount {
          K.dotTile(
            segments: segments, segmentCount: segmentCount, x: x + i * ldx, ldx: ldx,
            xRows: min(dotRowsX, xCount - i), y: y, offsets: offsets + j,
            yRows: min(rowsY, yCount - j),
            out: out + i * ldOut + j, strideX: ldOut, strideY: 1)
          i += dotRowsX
        }
        j += rowsY
      }
    }
  }
}
