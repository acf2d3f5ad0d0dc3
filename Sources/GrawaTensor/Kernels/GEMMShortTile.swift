// Register tiles with fewer rows than the variant's SGEMM tile, for the last row panel of a block
// when the rows of C are not a multiple of `gemmRows`: 6-row AVX2 tiles leave 4 rows of every
// 16, 64 or 1024 and 2 of every 32, 128 or 512.
//
// The edge kernel (`gemmEdgeKernel`) runs a full tile into a scratch block and copies the valid
// rows: a 4-row remainder costs a whole 6-row tile. These kernels multiply-add only the rows that
// exist, straight into C. Each row still carries two accumulators whose multiply-adds depend on
// the previous step (4 cycles of latency on current x86 cores), so a tile of r rows takes about
// max(4, r) cycles per step against 6 (AVX2) or 8 (AVX-512) for a full tile.
//
// The arithmetic per element is the full tile's: a sum over p = 0 ..< kc in order, one fused
// multiply-add per step from zero, then `gemmUpdate`; results are bit-identical whichever kernel
// computes a row.

/// Computes the first `rows` rows (`1 ... 7`) of a register tile two vectors wide:
/// `C[0..<rows, 0..<2w] = alpha * Apanel[0..<rows] * Bpanel + beta * C`.
///
/// `a` is a packed A panel with `aStride` floats per step (the variant's `gemmRows`; rows past
/// `rows` are not read); `b` holds `kc` rows of `2w` floats, `bRowBytes` apart.
@inline(__always)
func gemmShortTile2<V: SIMD>(
  _: V.Type, rows: Int, aStride: Int, _ kc: Int, _ a: UnsafePointer<Float>,
  _ b: UnsafeRawPointer, _ bRowBytes: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
  _ alpha: Float, _ beta: Float
) where V.Scalar == Float {
  withConstantRowCount(rows, "gemmShortTile2") { r in
    gemmTile2(V.self, rows: r, aStride: aStride, kc, a, b, bRowBytes, c, ldc, alpha, beta)
  }
}
