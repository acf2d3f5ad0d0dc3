// The register-tiled products under every convolution pass, generic over the SIMD vector and
// forced inline into one concrete function per variant (`KernelShapes.swift`).

/// Register-tiled products specialised for NCHW convolution operands.
///
/// The patch matrix is never packed: its rows are read in place through a table of row offsets,
/// which covers both an explicit patch matrix (offsets `r * ld`) and an implicit one (offsets of
/// shifted views into a zero-padded image, `c * planeSize + kh * paddedWidth + kw`). Only the
/// weights, which are small, are packed.
///
/// - ``multiply(packed:rows:depth:b:offsets:tiles:tileCount:bias:c:ldc:threads:variant:)``
///   computes `C = A * B` over tiles of two 16-column runs: the forward product `W * col` and the
///   input-gradient product `Wᵀ * dy`. Each variant covers a tile with register tiles of
///   `convolutionRows` x 2 vectors: 8 x 32 (both runs at once) on AVX-512, 6 x 16 (one run) on
///   AVX2, 8 x 8 or 6 x 8 (half a run) on SIMD4.
/// - ``dotProducts(segments:segmentCount:x:ldx:xCount:y:offsets:yCount:out:ldOut:threads:variant:)``
///   computes blocks of dot products along runs of 16 pixels: the weight gradient `dy * colᵀ` of
///   the padded-plane passes. (The explicit patch-matrix path leaves that long product to
///   ``GEMM``.)
///
/// Accumulators are separate named locals (an array of SIMD values would live in memory). Every
/// sum runs in a fixed order that does not depend on the variant, so results are deterministic
/// and bit-identical across variants.
enum ConvolutionKernels {
  /// Columns of the tiles the driver describes: two runs of 16.
  static let tileColumns = 32
  /// Pixels in one run.
  static let runLength = 16
  /// Rows of the `x` operand of a dot-product tile.
  static let dotRowsX = 4

  /// Rows of a packed weight panel for `variant`.
  static func panelRows(_ variant: KernelVariant) -> Int { variant.shapes.convolution[0] }

  /// Packs the `rows x depth` matrix with element `(i, p)` at
  /// `src[i * rowStride + p * depthStride]` into panels of `panelRows` rows:
  /// `dst[(i / R) * depth * R + p * R + i % R]`, rows past `rows` zero.
  /// Needs `ceil(rows / R) * R * depth` floats.
  static func pack(
    _ src: UnsafePointer<Float>, rows: Int, depth: Int, rowStride: Int, depthStride: Int,
    panelRows: Int, into dst: UnsafeMutablePointer<Float>
  ) {
    let panels = (rows + panelRows - 1) / panelRows
    for panel in 0..<panels {
      let out = dst + panel * depth * panelRows
      for r in 0..<panelRows {
        let i = panel * panelRows + r
        if i < rows {
          let from = src + i * rowStride
          for p in 0..<depth { out[p * panelRows + r] = from[p * depthStride] }
        } else {
          for p in 0..<depth { out[p * panelRows + r] = 0 }
        }
      }
    }
  }

  // MARK: - Product tiles

  /// `C[r, 0..<2w] = bias[r] + sum_p A[r, p] * B[p, 0..<2w]` for `r < rows` (at most 8), where
  /// `a` is one packed panel (`depth` groups of 8) and `C`'s rows are `ldc` apart.
  ///
  /// The `2w` columns are two vectors: in row `p` of `B` they start at `b + offsets[p]` and
  /// `secondB` floats further; in row `r` of `C` at `c + r * ldc` and `secondC` further. (On
  /// AVX-512, two output rows of a 16-pixel-wide image make one tile.) The vectors may coincide,
  /// in which case both store the same values. The sum over `p` runs in order, one fused
  /// multiply-add per step.
  @inline(__always)
  static func tile8x2<V: SIMD>(
    _: V.Type, depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    offsets: UnsafePointer<Int>, secondB: Int, c: UnsafeMutablePointer<Float>, secondC: Int,
    ldc: Int, rows: Int, bias: UnsafePointer<Float>?
  ) where V.Scalar == Float {
    var c00 = V()
    var c01 = V()
    var c10 = V()
    var c11 = V()
    var c20 = V()
    var c21 = V()
    var c30 = V()
    var c31 = V()
    var c40 = V()
    var c41 = V()
    var c50 = V()
    var c51 = V()
    var c60 = V()
    var c61 = V()
    var c70 = V()
    var c71 = V()
    if let bias {
      // Rows past `rows` are never stored, so they may start from any value.
      let last = rows - 1
      c00 = V(repeating: bias[0])
      c10 = V(repeating: bias[min(1, last)])
      c20 = V(repeating: bias[min(2, last)])
      c30 = V(repeating: bias[min(3, last)])
      c40 = V(repeating: bias[min(4, last)])
      c50 = V(repeating: bias[min(5, last)])
      c60 = V(repeating: bias[min(6, last)])
      c70 = V(repeating: bias[min(7, last)])
      (c01, c11, c21, c31, c41, c51, c61, c71) = (c00, c10, c20, c30, c40, c50, c60, c70)
    }
    var pa = a
    let base = UnsafeRawPointer(b)
    let second = secondB &* 4
    for p in 0..<depth {
      let pb = base + offsets[p] &* 4
      let b0 = pb.loadUnaligned(as: V.self)
      let b1 = pb.loadUnaligned(fromByteOffset: second, as: V.self)
      var av = V(repeating: pa[0])
      c00.addProduct(av, b0)
      c01.addProduct(av, b1)
      av = V(repeating: pa[1])
      c10.addProduct(av, b0)
      c11.addProduct(av, b1)
      av = V(repeating: pa[2])
      c20.addProduct(av, b0)
      c21.addProduct(av, b1)
      av = V(repeating: pa[3])
      c30.addProduct(av, b0)
      c31.addProduct(av, b1)
      av = V(repeating: pa[4])
      c40.addProduct(av, b0)
      c41.addProduct(av, b1)
      av = V(repeating: pa[5])
      c50.addProduct(av, b0)
      c51.addProduct(av, b1)
      av = V(repeating: pa[6])
      c60.addProduct(av, b0)
      c61.addProduct(av, b1)
      av = V(repeating: pa[7])
      c70.addProduct(av, b0)
      c71.addProduct(av, b1)
      pa += 8
    }
    @inline(__always) func store(_ row: Int, _ first: V, _ other: V) {
      let raw = UnsafeMutableRawPointer(c + row * ldc)
      raw.storeBytes(of: first, as: V.self)
      raw.storeBytes(of: other, toByteOffset: secondC &* 4, as: V.self)
    }
    store(0, c00, c01)
    if rows > 1 { store(1, c10, c11) }
    if rows > 2 { store(2, c20, c21) }
    if rows > 3 { store(3, c30, c31) }
    if rows > 4 { store(4, c40, c41) }
    if rows > 5 { store(5, c50, c51) }
    if rows > 6 { store(6, c60, c61) }
    if rows > 7 { store(7, c70, c71) }
  }

  /// The 6-row form of ``tile8x2(_:depth:a:b:offsets:secondB:c:secondC:ldc:rows:bias:)``
  /// (`a` holds `depth` groups of 6; `rows <= 6`), for register files of 16 vectors.
  @inline(__always)
  static func tile6x2<V: SIMD>(
    _: V.Type, depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    offsets: UnsafePointer<Int>, secondB: Int, c: UnsafeMutablePointer<Float>, secondC: Int,
    ldc: Int, rows: Int, bias: UnsafePointer<Float>?
  ) where V.Scalar == Float {
    var c00 = V()
    var c01 = V()
    var c10 = V()
    var c11 = V()
    var c20 = V()
    var c21 = V()
    var c30 = V()
    var c31 = V()
    var c40 = V()
    var c41 = V()
    var c50 = V()
    var c51 = V()
    if let bias {
      // Rows past `rows` are never stored, so they may start from any value.
      let last = rows - 1
      c00 = V(repeating: bias[0])
      c10 = V(repeating: bias[min(1, last)])
      c20 = V(repeating: bias[min(2, last)])
      c30 = V(repeating: bias[min(3, last)])
      c40 = V(repeating: bias[min(4, last)])
      c50 = V(repeating: bias[min(5, last)])
      (c01, c11, c21, c31, c41, c51) = (c00, c10, c20, c30, c40, c50)
    }
    var pa = a
    let base = UnsafeRawPointer(b)
    let second = secondB &* 4
    for p in 0..<depth {
      let pb = base + offsets[p] &* 4
      let b0 = pb.loadUnaligned(as: V.self)
      let b1 = pb.loadUnaligned(fromByteOffset: second, as: V.self)
      var av = V(repeating: pa[0])
      c00.addProduct(av, b0)
      c01.addProduct(av, b1)
      av = V(repeating: pa[1])
      c10.addProduct(av, b0)
      c11.addProduct(av, b1)
      av = V(repeating: pa[2])
      c20.addProduct(av, b0)
      c21.addProduct(av, b1)
      av = V(repeating: pa[3])
      c30.addProduct(av, b0)
      c31.addProduct(av, b1)
      av = V(repeating: pa[4])
      c40.addProduct(av, b0)
      c41.addProduct(av, b1)
      av = V(repeating: pa[5])
      c50.addProduct(av, b0)
      c51.addProduct(av, b1)
      pa += 6
    }
    @inline(__always) func store(_ row: Int, _ first: V, _ other: V) {
      let raw = UnsafeMutableRawPointer(c + row * ldc)
      raw.storeBytes(of: first, as: V.self)
      raw.storeBytes(of: other, toByteOffset: secondC &* 4, as: V.self)
    }
    store(0, c00, c01)
    if rows > 1 { store(1, c10, c11) }
    if rows > 2 { store(2, c20, c21) }
    if rows > 3 { store(3, c30, c31) }
    if rows > 4 { store(4, c40, c41) }
    if rows > 5 { store(5, c50, c51) }
  }

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

  // MARK: - Whole products

  /// `C = bias + A * B` tile by tile: `A` packed for `variant` (`rows x depth`, see
  /// ``pack(_:rows:depth:rowStride:depthStride:panelRows:into:)`` with ``panelRows(_:)``), row
  /// `p` of `B` at `b + offsets[p]`, and `tileCount` tiles described by four offsets each at
  /// `tiles`: where the two 16-column runs start in `B`'s rows and in `C`'s rows (rows `ldc`
  /// apart). Tiles are the outer loop, so a tile of `B` stays in L1 while every weight panel
  /// passes over it; with `threads > 1` the tiles are shared out in contiguous ranges (each
  /// output element is still computed by one register tile).
  static func multiply(
    packed a: UnsafePointer<Float>, rows: Int, depth: Int, b: UnsafePointer<Float>,
    offsets: UnsafePointer<Int>, tiles: UnsafePointer<Int>, tileCount: Int,
    bias: UnsafePointer<Float>?,
    c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int, variant: KernelVariant
  ) {
    let workers = max(1, min(threads, tileCount / 4))
    parallelFor(workers, threads: workers) { w in
      let range = (tileCount * w / workers)..<(tileCount * (w + 1) / workers)
      switch variant {
      case .avx512:
        multiplyTiles(
          AVX512Kernels.self, packed: a, rows: rows, depth: depth, b: b, offsets: offsets,
          tiles: tiles, range: range, bias: bias, c: c, ldc: ldc)
      case .avx2:
        multiplyTiles(
          AVX2Kernels.self, packed: a, rows: rows, depth: depth, b: b, offsets: offsets,
          tiles: tiles, range: range, bias: bias, c: c, ldc: ldc)
      case .neon:
        multiplyTiles(
          NEONKernels.self, packed: a, rows: rows, depth: depth, b: b, offsets: offsets,
          tiles: tiles, range: range, bias: bias, c: c, ldc: ldc)
      case .generic:
        multiplyTiles(
          GenericKernels.self, packed: a, rows: rows, depth: depth, b: b, offsets: offsets,
          tiles: tiles, range: range, bias: bias, c: c, ldc: ldc)
      }
    }
  }

  /// The tiles `range` of
  /// ``multiply(packed:rows:depth:b:offsets:tiles:tileCount:bias:c:ldc:threads:variant:)`` with
  /// the register tiles of `K`: one register tile covers both runs when a vector is a whole run
  /// (AVX-512); otherwise each run is cut into pieces of two vectors (a run that coincides with
  /// the first is skipped).
  private static func multiplyTiles<K: KernelShapes>(
    _: K.Type, packed a: UnsafePointer<Float>, rows: Int, depth: Int, b: UnsafePointer<Float>,
    offsets: UnsafePointer<Int>, tiles: UnsafePointer<Int>, range: Range<Int>,
    bias: UnsafePointer<Float>?,
    c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    let panelRows = K.convolutionRows
    let w = K.Vector.scalarCount
    @inline(__always) func panels(_ b0: Int, _ b1: Int, _ c0: Int, _ c1: Int) {
      var row = 0
      while row < rows {
        K.convolutionTile(
          depth: depth, a: a + row * depth, b: b + b0, offsets: offsets, secondB: b1 - b0,
          c: c + row * ldc + c0, secondC: c1 - c0, ldc: ldc, rows: min(panelRows, rows - row),
          bias: bias.map { $0 + row })
        row += panelRows
      }
    }
    for t in range {
      let (b0, b1, c0, c1) = (tiles[4 * t], tiles[4 * t + 1], tiles[4 * t + 2], tiles[4 * t + 3])
      if w == runLength {
        panels(b0, b1, c0, c1)
        continue
      }
      var piece = 0
      while piece < runLength {
        panels(b0 + piece, b0 + piece + w, c0 + piece, c0 + piece + w)
        piece += 2 * w
      }
      if b1 == b0 && c1 == c0 { continue }
      piece = 0
      while piece < runLength {
        panels(b1 + piece, b1 + piece + w, c1 + piece, c1 + piece + w)
        piece += 2 * w
      }
    }
  }

  /// Tile descriptors (see
  /// ``multiply(packed:rows:depth:b:offsets:tiles:tileCount:bias:c:ldc:threads:variant:)``)
  /// for contiguous rows of `columns` floats (a multiple of 32) in both `B` and `C`.
  static func contiguousTiles(columns: Int) -> [Int] {
    var list: [Int] = []
    for t in 0..<(columns / tileColumns) {
      let start = t * tileColumns
      list += [start, start + 16, start, start + 16]
    }
    return list
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
