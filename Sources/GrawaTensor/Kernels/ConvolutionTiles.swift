// The register-tiled products under every convolution pass, generic over the SIMD vector and
// forced inline into one concrete function per variant (`KernelShapes.swift`); the dot-product
// tiles of the weight gradient are in `ConvolutionDotTiles.swift`.

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
  /// Segments of one chunk of the weight-gradient dot products: four `x` rows of 64 segments
  /// (16 KB) stay in L1 while every `y` tile runs over them (and, with vectors of fewer than 16
  /// lanes, while its passes read them again).
  static let dotChunkSegments = 64

  /// Rows of a packed weight panel for `variant`.
  static func panelRows(_ variant: KernelVariant) -> Int { variant.shapes.convolution[0] }

  /// Packs the `rows x depth` matrix with element `(i, p)` at
  /// `src[i * rowStride + p * depthStride]` into `ceil(rows / R)` panels of `R = panelRows` rows
  /// apiece, panel `j` holding the rows ``panelBounds(_:rows:panelRows:)`` (at most `R`, nearly
  /// equal): row `i = start + r` of panel `j` at `dst[j * depth * R + p * R + r]`, the slots past
  /// the panel's rows zero. Needs `ceil(rows / R) * R * depth` floats.
  static func pack(
    _ src: UnsafePointer<Float>, rows: Int, depth: Int, rowStride: Int, depthStride: Int,
    panelRows: Int, into dst: UnsafeMutablePointer<Float>
  ) {
    let panels = (rows + panelRows - 1) / panelRows
    for panel in 0..<panels {
      let out = dst + panel * depth * panelRows
      let bounds = panelBounds(panel, rows: rows, panelRows: panelRows)
      for r in 0..<panelRows {
        let i = bounds.lowerBound + r
        if i < bounds.upperBound {
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
    let panelCount = (rows + panelRows - 1) / panelRows
    @inline(__always) func panels(_ b0: Int, _ b1: Int, _ c0: Int, _ c1: Int) {
      for panel in 0..<panelCount {
        let bounds = panelBounds(panel, rows: rows, panelRows: panelRows)
        let row = bounds.lowerBound
        if bounds.count == panelRows {
          K.convolutionTile(
            depth: depth, a: a + panel * panelRows * depth, b: b + b0, offsets: offsets,
            secondB: b1 - b0, c: c + row * ldc + c0, secondC: c1 - c0, ldc: ldc, rows: panelRows,
            bias: bias.map { $0 + row })
        } else {
          K.convolutionShortTile(
            depth: depth, a: a + panel * panelRows * depth, b: b + b0, offsets: offsets,
            secondB: b1 - b0, c: c + row * ldc + c0, secondC: c1 - c0, ldc: ldc,
            rows: bounds.count, bias: bias.map { $0 + row })
        }
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
}
