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

  /// `C[i, 0..<2w] = bias[i] + sum_p A[i, p] * B[p, 0..<2w]` for the first `r` rows (1 ... 8)
  /// of a tile two vectors wide, where `a` is one packed weight panel (`depth` groups of `aStride`
  /// floats; rows past `r` are not read) and `C`'s rows are `ldc` apart. The full tiles of every
  /// variant (8 rows on AVX-512 and NEON, 6 on AVX2 and generic) and their short tiles (see
  /// ``shortTile2(_:rows:aStride:depth:a:b:offsets:secondB:c:secondC:ldc:bias:)``) are this loop.
  ///
  /// The `2w` columns are two vectors: in row `p` of `B` they start at `b + offsets[p]` and
  /// `secondB` floats further; in row `i` of `C` at `c + i * ldc` and `secondC` further. (On
  /// AVX-512, two output rows of a 16-pixel-wide image make one tile.) The vectors may coincide,
  /// in which case both store the same values. The sum over `p` runs in order, one fused
  /// multiply-add per step. Inlined with a constant `r`, so the rows past it fold away.
  @inline(__always)
  static func tile2<V: SIMD>(
    _: V.Type, rows r: Int, aStride: Int, depth: Int, a: UnsafePointer<Float>,
    b: UnsafePointer<Float>, offsets: UnsafePointer<Int>, secondB: Int,
    c: UnsafeMutablePointer<Float>, secondC: Int, ldc: Int, bias: UnsafePointer<Float>?
  ) where V.Scalar == Float {
    var sums = TileRows2<V>(r, bias: bias)
    var pa = a
    let base = UnsafeRawPointer(b)
    let second = secondB &* 4
    for p in 0..<depth {
      let pb = base + offsets[p] &* 4
      sums.addProducts(
        r, pa, pb.loadUnaligned(as: V.self), pb.loadUnaligned(fromByteOffset: second, as: V.self))
      pa += aStride
    }
    sums.forEachRow(r) { i, first, other in
      let raw = UnsafeMutableRawPointer(c + i * ldc)
      raw.storeBytes(of: first, as: V.self)
      raw.storeBytes(of: other, toByteOffset: secondC &* 4, as: V.self)
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
    // The panels' first rows, once per call: the cut divides by the panel count.
    let panelCount = (rows + panelRows - 1) / panelRows
    let starts = (0...panelCount).map {
      $0 < panelCount ? panelBounds($0, rows: rows, panelRows: panelRows).lowerBound : rows
    }
    @inline(__always) func panels(_ b0: Int, _ b1: Int, _ c0: Int, _ c1: Int) {
      for panel in 0..<panelCount {
        let bounds = starts[panel]..<starts[panel + 1]
        let row = bounds.lowerBound
        if bounds.count == panelRows {
          K.convolutionTile(
            depth: depth, a: a + panel * panelRows * depth, b: b + b0, offsets: offsets,
            secondB: b1 - b0, c: c + row * ldc + c0, secondC: c1 - c0, ldc: ldc,
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
