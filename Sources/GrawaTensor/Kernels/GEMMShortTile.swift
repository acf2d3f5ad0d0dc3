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
  // One copy of the loop per row count: `r` is a constant in each, so the unused rows fold away.
  switch rows {
  case 1: gemmShortRows2(V.self, 1, aStride, kc, a, b, bRowBytes, c, ldc, alpha, beta)
  case 2: gemmShortRows2(V.self, 2, aStride, kc, a, b, bRowBytes, c, ldc, alpha, beta)
  case 3: gemmShortRows2(V.self, 3, aStride, kc, a, b, bRowBytes, c, ldc, alpha, beta)
  case 4: gemmShortRows2(V.self, 4, aStride, kc, a, b, bRowBytes, c, ldc, alpha, beta)
  case 5: gemmShortRows2(V.self, 5, aStride, kc, a, b, bRowBytes, c, ldc, alpha, beta)
  case 6: gemmShortRows2(V.self, 6, aStride, kc, a, b, bRowBytes, c, ldc, alpha, beta)
  case 7: gemmShortRows2(V.self, 7, aStride, kc, a, b, bRowBytes, c, ldc, alpha, beta)
  default: preconditionFailure("gemmShortTile2: \(rows) rows, expected 1 to 7")
  }
}

/// The body of ``gemmShortTile2(_:rows:aStride:_:_:_:_:_:_:_:_:)`` for `r` rows; inlined with a
/// constant `r`, so every `r > i` test is decided at compile time.
@inline(__always)
private func gemmShortRows2<V: SIMD>(
  _: V.Type, _ r: Int, _ aStride: Int, _ kc: Int, _ a: UnsafePointer<Float>,
  _ b: UnsafeRawPointer, _ bRowBytes: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
  _ alpha: Float, _ beta: Float
) where V.Scalar == Float {
  let step = MemoryLayout<V>.stride
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
  gemmPrefetchTile(c, ldc, rows: r, columns: 2 * V.scalarCount)
  var pa = a
  var pb = b
  var p = 0
  while p < kc {
    let b0 = pb.loadUnaligned(as: V.self)
    let b1 = pb.loadUnaligned(fromByteOffset: step, as: V.self)
    var av = V(repeating: pa[0])
    c00.addProduct(av, b0)
    c01.addProduct(av, b1)
    if r > 1 {
      av = V(repeating: pa[1])
      c10.addProduct(av, b0)
      c11.addProduct(av, b1)
    }
    if r > 2 {
      av = V(repeating: pa[2])
      c20.addProduct(av, b0)
      c21.addProduct(av, b1)
    }
    if r > 3 {
      av = V(repeating: pa[3])
      c30.addProduct(av, b0)
      c31.addProduct(av, b1)
    }
    if r > 4 {
      av = V(repeating: pa[4])
      c40.addProduct(av, b0)
      c41.addProduct(av, b1)
    }
    if r > 5 {
      av = V(repeating: pa[5])
      c50.addProduct(av, b0)
      c51.addProduct(av, b1)
    }
    if r > 6 {
      av = V(repeating: pa[6])
      c60.addProduct(av, b0)
      c61.addProduct(av, b1)
    }
    pa += aStride
    pb += bRowBytes
    p &+= 1
  }
  let alphaV = V(repeating: alpha)
  let betaV = V(repeating: beta)
  let w = V.scalarCount
  var row = c
  gemmUpdate(row, c00, alphaV, beta, betaV)
  gemmUpdate(row + w, c01, alphaV, beta, betaV)
  if r > 1 {
    row += ldc
    gemmUpdate(row, c10, alphaV, beta, betaV)
    gemmUpdate(row + w, c11, alphaV, beta, betaV)
  }
  if r > 2 {
    row += ldc
    gemmUpdate(row, c20, alphaV, beta, betaV)
    gemmUpdate(row + w, c21, alphaV, beta, betaV)
  }
  if r > 3 {
    row += ldc
    gemmUpdate(row, c30, alphaV, beta, betaV)
    gemmUpdate(row + w, c31, alphaV, beta, betaV)
  }
  if r > 4 {
    row += ldc
    gemmUpdate(row, c40, alphaV, beta, betaV)
    gemmUpdate(row + w, c41, alphaV, beta, betaV)
  }
  if r > 5 {
    row += ldc
    gemmUpdate(row, c50, alphaV, beta, betaV)
    gemmUpdate(row + w, c51, alphaV, beta, betaV)
  }
  if r > 6 {
    row += ldc
    gemmUpdate(row, c60, alphaV, beta, betaV)
    gemmUpdate(row + w, c61, alphaV, beta, betaV)
  }
}
