// The SGEMM micro-kernels: register tiles of `rows` x (`vectors` SIMD vectors) columns, generic
// over the vector and forced inline into one concrete function per variant (`KernelShapes.swift`):
//
// - 8 x 2 vectors: AVX-512 (SIMD16, 8 x 32, 16 zmm accumulators of 32).
// - 6 x 2 vectors: AVX2 (SIMD8, 6 x 16, 12 ymm accumulators of 16) and generic (SIMD4, 6 x 8).
// - 8 x 3 vectors: NEON (SIMD4, 8 x 12, 24 accumulators of 32).
//
// Accumulators are separate named locals (an array of SIMD values spills to memory) and every
// multiply-add goes through `addProduct`, which Swift lowers to a fused `vfmadd`/`fmla`. Every
// element of C is summed over `p = 0, 1, ..., kc - 1` in order, one fused multiply-add per step,
// whatever the tile: all variants give bit-identical products.

#if !GRAWA_NO_PREFETCH
/// LLVM's prefetch intrinsic, reached through its symbol name: Swift has no prefetch API. Each call
/// compiles to one `prefetcht0`. LLVM refuses this in code instrumented by the thread sanitizer
/// ("Cannot invoke an intrinsic"): build with `-Xswiftc -DGRAWA_NO_PREFETCH` for
/// `--sanitize=thread` (same results; large products up to ~5% slower without it).
@_silgen_name("llvm.prefetch.p0")
private func _gemmLLVMPrefetch(
  _ address: UnsafeRawPointer, _ write: Int32, _ locality: Int32, _ dataCache: Int32)
#endif

/// Prefetches the C lines of a `rows x columns` register tile at the start of the micro-kernel,
/// so its loads of C at the end hit L1. Without it the C misses stall the end of every tile:
/// measured up to 17% slower on large products with the same blocking.
@inline(__always)
func gemmPrefetchTile(
  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, rows: Int, columns: Int
) {
  #if !GRAWA_NO_PREFETCH
  var row = UnsafeRawPointer(c)
  let last = columns * 4 - 4
  for _ in 0..<rows {
    _gemmLLVMPrefetch(row, 0, 3, 1)
    if last > 64 { _gemmLLVMPrefetch(row + 64, 0, 3, 1) }
    _gemmLLVMPrefetch(row + last, 0, 3, 1)
    row += ldc * 4
  }
  #endif
}

/// Writes one vector of the result: `c = alpha * acc + beta * c`, ignoring `c` when `beta == 0`.
/// The arithmetic matches ``gemmEdgeKernel(_:_:_:_:_:_:_:rows:cols:_:_:tile:)`` lane by lane (one
/// rounding for `alpha * acc`, or one fused multiply-add), so a value computed in a full tile and
/// in an edge tile is bit-identical.
@inline(__always)
func gemmUpdate<V: SIMD>(
  _ c: UnsafeMutablePointer<Float>, _ acc: V, _ alpha: V, _ beta: Float, _ betaV: V
) where V.Scalar == Float {
  let raw = UnsafeMutableRawPointer(c)
  if beta == 0 {
    raw.storeBytes(of: acc * alpha, as: V.self)
  } else if beta == 1 {
    let old = raw.loadUnaligned(as: V.self)
    raw.storeBytes(of: old.addingProduct(acc, alpha), as: V.self)
  } else {
    let old = raw.loadUnaligned(as: V.self)
    raw.storeBytes(of: (old * betaV).addingProduct(acc, alpha), as: V.self)
  }
}

/// Computes the first `r` rows (1 ... 8) of a register tile two vectors wide:
/// `C[0..<r, 0..<2w] = alpha * Apanel[0..<r] * Bpanel + beta * C`. The full tiles of the
/// two-vector variants (8 rows on AVX-512, 6 on AVX2 and generic) and their short tiles (see
/// ``gemmShortTile2(_:rows:aStride:_:_:_:_:_:_:_:_:)``) are this loop.
///
/// `a` is a packed A panel with `aStride` floats per step (the variant's `gemmRows`; rows past
/// `r` are not read); `b` holds `kc` rows of `2w` floats, `bRowBytes` apart (a packed B panel);
/// `c` has row stride `ldc`. Inlined with a constant `r`, so the rows past it fold away.
@inline(__always)
func gemmTile2<V: SIMD>(
  _: V.Type, rows r: Int, aStride: Int, _ kc: Int, _ a: UnsafePointer<Float>,
  _ b: UnsafeRawPointer, _ bRowBytes: Int, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
  _ alpha: Float, _ beta: Float
) where V.Scalar == Float {
  let step = MemoryLayout<V>.stride
  var sums = TileRows2<V>()
  gemmPrefetchTile(c, ldc, rows: r, columns: 2 * V.scalarCount)
  var pa = a
  var pb = b
  var p = 0
  while p < kc {
    let b0 = pb.loadUnaligned(as: V.self)
    let b1 = pb.loadUnaligned(fromByteOffset: step, as: V.self)
    sums.addProducts(r, pa, b0, b1)
    pa += aStride
    pb += bRowBytes
    p &+= 1
  }
  let alphaV = V(repeating: alpha)
  let betaV = V(repeating: beta)
  let w = V.scalarCount
  sums.forEachRow(r) { i, first, second in
    gemmUpdate(c + i * ldc, first, alphaV, beta, betaV)
    gemmUpdate(c + i * ldc + w, second, alphaV, beta, betaV)
  }
}

/// Computes one full 8 x (3 vectors) register tile (as
/// ``gemmTile2(_:rows:aStride:_:_:_:_:_:_:_:_:)`` with 8 rows; B panel rows hold `3w` floats).
@inline(__always)
func gemmTile8x3<V: SIMD>(
  _: V.Type, _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafeRawPointer, _ bRowBytes: Int,
  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float
) where V.Scalar == Float {
  let step = MemoryLayout<V>.stride
  var c00 = V()
  var c01 = V()
  var c02 = V()
  var c10 = V()
  var c11 = V()
  var c12 = V()
  var c20 = V()
  var c21 = V()
  var c22 = V()
  var c30 = V()
  var c31 = V()
  var c32 = V()
  var c40 = V()
  var c41 = V()
  var c42 = V()
  var c50 = V()
  var c51 = V()
  var c52 = V()
  var c60 = V()
  var c61 = V()
  var c62 = V()
  var c70 = V()
  var c71 = V()
  var c72 = V()
  gemmPrefetchTile(c, ldc, rows: 8, columns: 3 * V.scalarCount)
  var pa = a
  var pb = b
  var p = 0
  while p < kc {
    let b0 = pb.loadUnaligned(as: V.self)
    let b1 = pb.loadUnaligned(fromByteOffset: step, as: V.self)
    let b2 = pb.loadUnaligned(fromByteOffset: 2 * step, as: V.self)
    var av = V(repeating: pa[0])
    c00.addProduct(av, b0)
    c01.addProduct(av, b1)
    c02.addProduct(av, b2)
    av = V(repeating: pa[1])
    c10.addProduct(av, b0)
    c11.addProduct(av, b1)
    c12.addProduct(av, b2)
    av = V(repeating: pa[2])
    c20.addProduct(av, b0)
    c21.addProduct(av, b1)
    c22.addProduct(av, b2)
    av = V(repeating: pa[3])
    c30.addProduct(av, b0)
    c31.addProduct(av, b1)
    c32.addProduct(av, b2)
    av = V(repeating: pa[4])
    c40.addProduct(av, b0)
    c41.addProduct(av, b1)
    c42.addProduct(av, b2)
    av = V(repeating: pa[5])
    c50.addProduct(av, b0)
    c51.addProduct(av, b1)
    c52.addProduct(av, b2)
    av = V(repeating: pa[6])
    c60.addProduct(av, b0)
    c61.addProduct(av, b1)
    c62.addProduct(av, b2)
    av = V(repeating: pa[7])
    c70.addProduct(av, b0)
    c71.addProduct(av, b1)
    c72.addProduct(av, b2)
    pa += 8
    pb += bRowBytes
    p &+= 1
  }
  let alphaV = V(repeating: alpha)
  let betaV = V(repeating: beta)
  let w = V.scalarCount
  var row = c
  gemmUpdate(row, c00, alphaV, beta, betaV)
  gemmUpdate(row + w, c01, alphaV, beta, betaV)
  gemmUpdate(row + 2 * w, c02, alphaV, beta, betaV)
  row += ldc
  gemmUpdate(row, c10, alphaV, beta, betaV)
  gemmUpdate(row + w, c11, alphaV, beta, betaV)
  gemmUpdate(row + 2 * w, c12, alphaV, beta, betaV)
  row += ldc
  gemmUpdate(row, c20, alphaV, beta, betaV)
  gemmUpdate(row + w, c21, alphaV, beta, betaV)
  gemmUpdate(row + 2 * w, c22, alphaV, beta, betaV)
  row += ldc
  gemmUpdate(row, c30, alphaV, beta, betaV)
  gemmUpdate(row + w, c31, alphaV, beta, betaV)
  gemmUpdate(row + 2 * w, c32, alphaV, beta, betaV)
  row += ldc
  gemmUpdate(row, c40, alphaV, beta, betaV)
  gemmUpdate(row + w, c41, alphaV, beta, betaV)
  gemmUpdate(row + 2 * w, c42, alphaV, beta, betaV)
  row += ldc
  gemmUpdate(row, c50, alphaV, beta, betaV)
  gemmUpdate(row + w, c51, alphaV, beta, betaV)
  gemmUpdate(row + 2 * w, c52, alphaV, beta, betaV)
  row += ldc
  gemmUpdate(row, c60, alphaV, beta, betaV)
  gemmUpdate(row + w, c61, alphaV, beta, betaV)
  gemmUpdate(row + 2 * w, c62, alphaV, beta, betaV)
  row += ldc
  gemmUpdate(row, c70, alphaV, beta, betaV)
  gemmUpdate(row + w, c71, alphaV, beta, betaV)
  gemmUpdate(row + 2 * w, c72, alphaV, beta, betaV)
}

/// Computes a partial register tile of variant `K` (`rows <= K.gemmRows`,
/// `cols <= K.gemmColumns`): the full tile goes to the scratch `tile` (row stride
/// `K.gemmColumns`), then the valid part is merged into `c` with the same per-element arithmetic
/// as the full-tile path.
@inline(never)
func gemmEdgeKernel<K: KernelShapes>(
  _: K.Type, _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafeRawPointer, _ bRowBytes: Int,
  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, rows: Int, cols: Int,
  _ alpha: Float, _ beta: Float, tile: UnsafeMutablePointer<Float>
) {
  let nr = K.gemmColumns
  K.gemmTile(kc, a, b, bRowBytes, tile, nr, 1, 0)
  for i in 0..<rows {
    let src = tile + i * nr
    let dst = c + i * ldc
    if beta == 0 {
      for j in 0..<cols { dst[j] = src[j] * alpha }
    } else if beta == 1 {
      for j in 0..<cols { dst[j] = dst[j].addingProduct(src[j], alpha) }
    } else {
      for j in 0..<cols { dst[j] = (dst[j] * beta).addingProduct(src[j], alpha) }
    }
  }
}
