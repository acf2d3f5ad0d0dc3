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

  /// Adds `sum_s x_i[xs + l] * y_j[ys + l]` to lane `l` of the lane sums of the pair `(i, j)`,
  /// where `(xs, ys)` runs over the `segmentCount` pairs at `segments`, for `i < xRows` (at most
  /// 4), `j < yRows` (at most 5) and `l < 16`; row `i` of `x` starts at `x + i * ldx`, row `j` of
  /// `y` at `y + offsets[j]`. (Contiguous rows are segments `(16 s, 16 s)`; an image read in
  /// place and a zero-padded copy of it pair up row by row.) The lane sums of `(i, j)` are the 16
  /// floats `(i * 5 + j) * 64` bytes into `lanes`: they start from zero when `first`, otherwise
  /// from what they hold. When `out` is given, `out[i * strideX + j * strideY]` then gets the
  /// 16 lanes added in a fixed tree (``horizontalSum(_:)``).
  ///
  /// So a run of calls over consecutive chunks of the segments (`first` on the first, `out` on
  /// the last) sums each product in 16 lanes over all the segments in order, then the lanes.
  /// With vectors of `w < 16` lanes the 16 lanes are summed `16 / w` at a time in separate passes
  /// over the chunk, which is the same arithmetic.
  @inline(__always)
  static func dotTile4x5<V: SIMD>(
    _: V.Type, segments: UnsafePointer<Int>, segmentCount: Int, x: UnsafePointer<Float>,
    ldx: Int, xRows: Int, y: UnsafePointer<Float>, offsets: UnsafePointer<Int>, yRows: Int,
    lanes: UnsafeMutableRawPointer, first: Bool,
    out: UnsafeMutablePointer<Float>?, strideX: Int, strideY: Int
  ) where V.Scalar == Float {
    // Rows past the end repeat the last row (their sums are discarded): no branches in the loop.
    @inline(__always) func xRow(_ i: Int) -> UnsafeRawPointer {
      UnsafeRawPointer(x + min(i, xRows - 1) * ldx)
    }
    @inline(__always) func yRow(_ j: Int) -> UnsafeRawPointer {
      UnsafeRawPointer(y + offsets[min(j, yRows - 1)])
    }
    let w = V.scalarCount
    for pass in 0..<(16 / w) {
      let lane = pass * w * 4
      let (x0, x1, x2, x3) = (xRow(0) + lane, xRow(1) + lane, xRow(2) + lane, xRow(3) + lane)
      let (y0, y1, y2) = (yRow(0) + lane, yRow(1) + lane, yRow(2) + lane)
      let (y3, y4) = (yRow(3) + lane, yRow(4) + lane)
      @inline(__always) func start(_ i: Int, _ j: Int) -> V {
        first ? V() : lanes.load(fromByteOffset: (i * 5 + j) * 64 + lane, as: V.self)
      }
      var a00 = start(0, 0)
      var a01 = start(0, 1)
      var a02 = start(0, 2)
      var a03 = start(0, 3)
      var a04 = start(0, 4)
      var a10 = start(1, 0)
      var a11 = start(1, 1)
      var a12 = start(1, 2)
      var a13 = start(1, 3)
      var a14 = start(1, 4)
      var a20 = start(2, 0)
      var a21 = start(2, 1)
      var a22 = start(2, 2)
      var a23 = start(2, 3)
      var a24 = start(2, 4)
      var a30 = start(3, 0)
      var a31 = start(3, 1)
      var a32 = start(3, 2)
      var a33 = start(3, 3)
      var a34 = start(3, 4)
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
      }
      @inline(__always) func keep(_ i: Int, _ j: Int, _ sum: V) {
        lanes.storeBytes(of: sum, toByteOffset: (i * 5 + j) * 64 + lane, as: V.self)
      }
      keep(0, 0, a00)
      keep(0, 1, a01)
      keep(0, 2, a02)
      keep(0, 3, a03)
      keep(0, 4, a04)
      keep(1, 0, a10)
      keep(1, 1, a11)
      keep(1, 2, a12)
      keep(1, 3, a13)
      keep(1, 4, a14)
      keep(2, 0, a20)
      keep(2, 1, a21)
      keep(2, 2, a22)
      keep(2, 3, a23)
      keep(2, 4, a24)
      keep(3, 0, a30)
      keep(3, 1, a31)
      keep(3, 2, a32)
      keep(3, 3, a33)
      keep(3, 4, a34)
    }
    if let out {
      addLaneSums(
        lanes, columns: 5, xRows: xRows, yRows: yRows, out: out, strideX: strideX,
        strideY: strideY)
    }
  }

  /// The 3 x 3 form of
  /// ``dotTile4x5(_:segments:segmentCount:x:ldx:xRows:y:offsets:yRows:lanes:first:out:strideX:strideY:)``
  /// (`xRows <= 3`, `yRows <= 3`; pair `(i, j)` the `i * 3 + j`-th lane sums), for register
  /// files of 16 vectors: its 9 accumulators and 6 operands fit them in any load order (a 4 x 3
  /// tile needs 17 and spills an accumulator, whose store and reload then lengthen its chain of
  /// additions).
  @inline(__always)
  static func dotTile3x3<V: SIMD>(
    _: V.Type, segments: UnsafePointer<Int>, segmentCount: Int, x: UnsafePointer<Float>,
    ldx: Int, xRows: Int, y: UnsafePointer<Float>, offsets: UnsafePointer<Int>, yRows: Int,
    lanes: UnsafeMutableRawPointer, first: Bool,
    out: UnsafeMutablePointer<Float>?, strideX: Int, strideY: Int
  ) where V.Scalar == Float {
    @inline(__always) func xRow(_ i: Int) -> UnsafeRawPointer {
      UnsafeRawPointer(x + min(i, xRows - 1) * ldx)
    }
    @inline(__always) func yRow(_ j: Int) -> UnsafeRawPointer {
      UnsafeRawPointer(y + offsets[min(j, yRows - 1)])
    }
    let w = V.scalarCount
    for pass in 0..<(16 / w) {
      let lane = pass * w * 4
      let (x0, x1, x2) = (xRow(0) + lane, xRow(1) + lane, xRow(2) + lane)
      let (y0, y1, y2) = (yRow(0) + lane, yRow(1) + lane, yRow(2) + lane)
      @inline(__always) func start(_ i: Int, _ j: Int) -> V {
        first ? V() : lanes.load(fromByteOffset: (i * 3 + j) * 64 + lane, as: V.self)
      }
      var a00 = start(0, 0)
      var a01 = start(0, 1)
      var a02 = start(0, 2)
      var a10 = start(1, 0)
      var a11 = start(1, 1)
      var a12 = start(1, 2)
      var a20 = start(2, 0)
      var a21 = start(2, 1)
      var a22 = start(2, 2)
      var segment = segments
      for _ in 0..<segmentCount {
        let offset = segment[0] &* 4
        let u0 = x0.loadUnaligned(fromByteOffset: offset, as: V.self)
        let u1 = x1.loadUnaligned(fromByteOffset: offset, as: V.self)
        let u2 = x2.loadUnaligned(fromByteOffset: offset, as: V.self)
        let yOffset = segment[1] &* 4
        segment += 2
        var v = y0.loadUnaligned(fromByteOffset: yOffset, as: V.self)
        a00.addProduct(u0, v)
        a10.addProduct(u1, v)
        a20.addProduct(u2, v)
        v = y1.loadUnaligned(fromByteOffset: yOffset, as: V.self)
        a01.addProduct(u0, v)
        a11.addProduct(u1, v)
        a21.addProduct(u2, v)
        v = y2.loadUnaligned(fromByteOffset: yOffset, as: V.self)
        a02.addProduct(u0, v)
        a12.addProduct(u1, v)
        a22.addProduct(u2, v)
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
    }
    if let out {
      addLaneSums(
        lanes, columns: 3, xRows: xRows, yRows: yRows, out: out, strideX: strideX,
        strideY: strideY)
    }
  }

  /// Adds the lane sums of a dot-product tile (16 floats for each pair, pair `(i, j)` the
  /// `i * columns + j`-th) into `out[i * strideX + j * strideY]` for `i < xRows`, `j < yRows`.
  @inline(__always)
  static func addLaneSums(
    _ sums: UnsafeRawPointer, columns: Int, xRows: Int, yRows: Int,
    out: UnsafeMutablePointer<Float>, strideX: Int, strideY: Int
  ) {
    for j in 0..<yRows {
      for i in 0..<xRows {
        let lanes = sums.load(fromByteOffset: (i * columns + j) * 64, as: SIMD16<Float>.self)
        out[i * strideX + j * strideY] += horizontalSum(lanes)
      }
    }
  }

  /// `out[i * ldOut + j] += sum over segments of x_i * y_j` (see
  /// ``dotTile4x5(_:segments:segmentCount:x:ldx:xRows:y:offsets:yRows:lanes:first:out:strideX:strideY:)``)
  /// for `i < xCount`, `j < yCount`. Tiles of `x` rows in the outer loop; then the segments in
  /// chunks of ``dotChunkSegments``, and for each chunk every tile of `y` rows: the chunk's `x`
  /// rows stay in L1 while the `y` tiles pass (consecutive `y` rows are shifted views of the
  /// same padded planes), and each tile's lane sums wait in the workspace between chunks. With
  /// `threads > 1` the `y` tiles are shared out in contiguous ranges (each output element is
  /// still summed by one tile, in the same order).
  static func dotProducts(
    segments: UnsafePointer<Int>, segmentCount: Int, x: UnsafePointer<Float>, ldx: Int, xCount: Int,
    y: UnsafePointer<Float>, offsets: UnsafePointer<Int>, yCount: Int,
    out: UnsafeMutablePointer<Float>,
    ldOut: Int, threads: Int, variant: KernelVariant, workspace ws: ConvolutionWorkspace
  ) {
    switch variant {
    case .avx512:
      dotProducts(
        AVX512Kernels.self, segments: segments, segmentCount: segmentCount, x: x, ldx: ldx,
        xCount: xCount, y: y, offsets: offsets, yCount: yCount, out: out, ldOut: ldOut,
        threads: threads, workspace: ws)
    case .avx2:
      dotProducts(
        AVX2Kernels.self, segments: segments, segmentCount: segmentCount, x: x, ldx: ldx,
        xCount: xCount, y: y, offsets: offsets, yCount: yCount, out: out, ldOut: ldOut,
        threads: threads, workspace: ws)
    case .neon:
      dotProducts(
        NEONKernels.self, segments: segments, segmentCount: segmentCount, x: x, ldx: ldx,
        xCount: xCount, y: y, offsets: offsets, yCount: yCount, out: out, ldOut: ldOut,
        threads: threads, workspace: ws)
    case .generic:
      dotProducts(
        GenericKernels.self, segments: segments, segmentCount: segmentCount, x: x, ldx: ldx,
        xCount: xCount, y: y, offsets: offsets, yCount: yCount, out: out, ldOut: ldOut,
        threads: threads, workspace: ws)
    }
  }

  /// ``dotProducts(segments:segmentCount:x:ldx:xCount:y:offsets:yCount:out:ldOut:threads:variant:workspace:)``
  /// with the tiles of `K`.
  private static func dotProducts<K: KernelShapes>(
    _: K.Type, segments: UnsafePointer<Int>, segmentCount: Int, x: UnsafePointer<Float>,
    ldx: Int, xCount: Int, y: UnsafePointer<Float>, offsets: UnsafePointer<Int>, yCount: Int,
    out: UnsafeMutablePointer<Float>, ldOut: Int, threads: Int, workspace ws: ConvolutionWorkspace
  ) {
    let (rowsX, rowsY) = (K.dotRowsX, K.dotRowsY)
    let blocks = (yCount + rowsY - 1) / rowsY
    let workers = max(1, min(threads, blocks / 2))
    // Lane sums of every y tile of every worker: 16 floats (64 bytes) per pair of rows.
    let tileBytes = rowsX * rowsY * 64
    let workerBytes = (blocks + workers - 1) / workers * tileBytes
    let lanes = UnsafeMutableRawPointer(ws.buffer(2, count: workers * workerBytes / 4))
    // One pass per segment reads each of its lines once per y tile whatever the order; several
    // passes read them again, from L1 if the chunk is short.
    let chunkLength = K.Vector.scalarCount >= 16 ? max(1, segmentCount) : dotChunkSegments
    parallelFor(workers, threads: workers) { w in
      let tiles = (blocks * w / workers)..<(blocks * (w + 1) / workers)
      let mine = lanes + w * workerBytes
      var i = 0
      while i < xCount {
        var chunk = 0
        repeat {
          let count = min(chunkLength, segmentCount - chunk)
          let finished = chunk + count == segmentCount
          for tile in tiles {
            let j = tile * rowsY
            K.dotTile(
              segments: segments + 2 * chunk, segmentCount: count, x: x + i * ldx, ldx: ldx,
              xRows: min(rowsX, xCount - i), y: y, offsets: offsets + j,
              yRows: min(rowsY, yCount - j), lanes: mine + (tile - tiles.lowerBound) * tileBytes,
              first: chunk == 0, out: finished ? out + i * ldOut + j : nil, strideX: ldOut,
              strideY: 1)
          }
          chunk += count
        } while chunk < segmentCount
        i += rowsX
      }
    }
  }
}
