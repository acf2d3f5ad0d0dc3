// Convolution product tiles with fewer rows than the variant's, and the cut of a product's rows
// into weight panels of nearly equal size.
//
// With a 6-row AVX2 tile, 16 output channels made panels of 6, 6 and 4 rows and 32 made five of 6
// and one of 2; the full tile ran all 6 rows of multiply-adds for the short panel (11% of the
// multiply-adds of every 16- and 32-channel product wasted). Rows are now cut into
// `ceil(rows / R)` panels whose sizes differ by at most one (16 -> 5, 5, 6; 32 -> 5, 5, 6, 5, 5,
// 6), and a panel below `R` rows runs a tile that multiply-adds only its rows. Each row keeps two
// accumulators whose multiply-adds wait on the previous step (about 4 cycles), so an `r`-row tile
// takes about `max(4, r)` cycles per step against `R` for a full one.
//
// Every output element is the same sum, in the same order, whichever panel or tile computes it:
// the bias (or zero), then one fused multiply-add per step over `p`. Results are bit-identical to
// the full tiles'.

extension ConvolutionKernels {
  /// The rows of weight panel `panel` when `rows` rows are cut into `ceil(rows / panelRows)`
  /// panels of nearly equal size (the later ones are the larger).
  @inline(__always)
  static func panelBounds(_ panel: Int, rows: Int, panelRows: Int) -> Range<Int> {
    let count = (rows + panelRows - 1) / panelRows
    return (rows * panel / count)..<(rows * (panel + 1) / count)
  }

  /// The first `rows` rows (`1 ... 7`, fewer than the variant's) of a convolution tile two vectors
  /// wide (see ``tile2(_:rows:aStride:depth:a:b:offsets:secondB:c:secondC:ldc:bias:)``), with a
  /// run-time row count: one inlined copy of the tile per count.
  @inline(__always)
  static func shortTile2<V: SIMD>(
    _: V.Type, rows: Int, aStride: Int, depth: Int, a: UnsafePointer<Float>,
    b: UnsafePointer<Float>, offsets: UnsafePointer<Int>, secondB: Int,
    c: UnsafeMutablePointer<Float>, secondC: Int, ldc: Int, bias: UnsafePointer<Float>?
  ) where V.Scalar == Float {
    withConstantRowCount(rows, "shortTile2") { r in
      tile2(
        V.self, rows: r, aStride: aStride, depth: depth, a: a, b: b, offsets: offsets,
        secondB: secondB, c: c, secondC: secondC, ldc: ldc, bias: bias)
    }
  }
}

extension KernelShapes {
  /// The first `rows` rows (`0 < rows < convolutionRows`) of a convolution tile, at a cost in
  /// proportion to the rows (see
  /// ``ConvolutionKernels/shortTile2(_:rows:aStride:depth:a:b:offsets:secondB:c:secondC:ldc:bias:)``);
  /// specialised once per variant.
  @inline(never)
  static func convolutionShortTile(
    depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
    secondB: Int, c: UnsafeMutablePointer<Float>, secondC: Int, ldc: Int, rows: Int,
    bias: UnsafePointer<Float>?
  ) {
    ConvolutionKernels.shortTile2(
      Vector.self, rows: rows, aStride: convolutionRows, depth: depth, a: a, b: b,
      offsets: offsets, secondB: secondB, c: c, secondC: secondC, ldc: ldc, bias: bias)
  }
}
