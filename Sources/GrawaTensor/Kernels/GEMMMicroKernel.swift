// The SGEMM micro-kernel: a register tile of `GEMMTile.mr` rows by two SIMD vectors of columns.
//
// The default build targets AVX-512: SIMD16, an 8 x 32 tile, 16 zmm accumulators (of 32). Eight
// rows rather than six: more FMAs per load, and whole tiles for 16- and 64-channel convolutions
// (m = 16, 64); measured faster than 6 x 32 on those shapes and level with it on large squares.
// Under the compilation condition `GRAWA_VECTOR256` (AVX2 machines, built with
// `-Xcc -march=x86-64-v3`) the kernel is 6 x 16 on SIMD8: 12 ymm accumulators of 16.
//
// Accumulators are separate named locals (an array of SIMD values spills to memory) and every
// multiply-add goes through `addProduct`, which Swift lowers to a fused `vfmadd`.

#if GRAWA_VECTOR256
/// The SIMD vector the GEMM micro-kernel works on (256-bit build).
typealias GEMMVector = SIMD8<Float>
#else
/// The SIMD vector the GEMM micro-kernel works on (AVX-512 build).
typealias GEMMVector = SIMD16<Float>
#endif

/// Shape constants of the micro-kernel's register tile and packed panels.
enum GEMMTile {
  #if GRAWA_VECTOR256
  /// Rows of the register tile (rows of a packed A panel).
  @inline(__always) static var mr: Int { 6 }
  #else
  /// Rows of the register tile (rows of a packed A panel).
  @inline(__always) static var mr: Int { 8 }
  #endif
  /// Columns of the register tile (columns of a packed B panel): two vectors.
  @inline(__always) static var nr: Int { 2 * GEMMVector.scalarCount }
  /// Byte alignment of the packing buffers (a cache line; also the widest vector).
  @inline(__always) static var alignment: Int { 64 }
}

#if !GRAWA_NO_PREFETCH
/// LLVM's prefetch intrinsic, reached through its symbol name: Swift has no prefetch API. Each call
/// compiles to one `prefetcht0`. LLVM refuses this in code instrumented by the thread sanitizer
/// ("Cannot invoke an intrinsic"): build with `-Xswiftc -DGRAWA_NO_PREFETCH` for
/// `--sanitize=thread` (the driver then uses larger K blocks instead; up to ~10% slower).
@_silgen_name("llvm.prefetch.p0")
private func _gemmLLVMPrefetch(
  _ address: UnsafeRawPointer, _ write: Int32, _ locality: Int32, _ dataCache: Int32)
#endif

/// Prefetches the C lines of a register tile at the start of the micro-kernel, so its loads of C
/// at the end hit L1. Without it the C misses stall the end of every tile: measured up to 17%
/// slower on large products with the same blocking, up to 9% with the best blocking without it.
@inline(__always)
private func gemmPrefetchTile(_ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
  #if !GRAWA_NO_PREFETCH
  var row = UnsafeRawPointer(c)
  let last = GEMMTile.nr * 4 - 4
  for _ in 0..<GEMMTile.mr {
    _gemmLLVMPrefetch(row, 0, 3, 1)
    if last > 64 { _gemmLLVMPrefetch(row + 64, 0, 3, 1) }
    _gemmLLVMPrefetch(row + last, 0, 3, 1)
    row += ldc * 4
  }
  #endif
}

/// Writes one vector of the result: `c = alpha * acc + beta * c`, ignoring `c` when `beta == 0`.
/// The arithmetic matches ``gemmEdgeKernel(_:_:_:_:_:_:rows:cols:_:_:tile:)`` lane by lane (one
/// rounding for `alpha * acc`, or one fused multiply-add), so a value computed in a full tile and
/// in an edge tile is bit-identical.
@inline(__always)
private func gemmUpdate(
  _ c: UnsafeMutablePointer<Float>, _ acc: GEMMVector,
  _ alpha: GEMMVector, _ beta: Float, _ betaV: GEMMVector
) {
  let raw = UnsafeMutableRawPointer(c)
  if beta == 0 {
    raw.storeBytes(of: acc * alpha, as: GEMMVector.self)
  } else if beta == 1 {
    let old = raw.loadUnaligned(as: GEMMVector.self)
    raw.storeBytes(of: old.addingProduct(acc, alpha), as: GEMMVector.self)
  } else {
    let old = raw.loadUnaligned(as: GEMMVector.self)
    raw.storeBytes(of: (old * betaV).addingProduct(acc, alpha), as: GEMMVector.self)
  }
}

#if GRAWA_VECTOR256
/// Computes one full register tile: `C[0..<mr, 0..<nr] = alpha * Apanel * Bpanel + beta * C`.
///
/// `a` is a packed A panel (`kc` groups of `mr` floats); `b` holds `kc` rows of `nr` floats,
/// `bRowBytes` apart (a packed B panel); `c` has row stride `ldc`. The sum over `kc` runs in
/// order `p = 0, 1, ..., kc - 1`, one fused multiply-add per step, for every element.
@inline(never)
func gemmMicroKernel(
  _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafeRawPointer, _ bRowBytes: Int,
  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float
) {
  typealias V = GEMMVector
  let step = MemoryLayout<V>.stride
  var c00 = V(), c01 = V()
  var c10 = V(), c11 = V()
  var c20 = V(), c21 = V()
  var c30 = V(), c31 = V()
  var c40 = V(), c41 = V()
  var c50 = V(), c51 = V()
  gemmPrefetchTile(c, ldc)
  var pa = a
  var pb = b
  var p = 0
  while p < kc {
    let b0 = pb.loadUnaligned(as: V.self)
    let b1 = pb.loadUnaligned(fromByteOffset: step, as: V.self)
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
    pb += bRowBytes
    p &+= 1
  }
  let alphaV = V(repeating: alpha)
  let betaV = V(repeating: beta)
  let w = V.scalarCount
  var row = c
  gemmUpdate(row, c00, alphaV, beta, betaV)
  gemmUpdate(row + w, c01, alphaV, beta, betaV)
  row += ldc
  gemmUpdate(row, c10, alphaV, beta, betaV)
  gemmUpdate(row + w, c11, alphaV, beta, betaV)
  row += ldc
  gemmUpdate(row, c20, alphaV, beta, betaV)
  gemmUpdate(row + w, c21, alphaV, beta, betaV)
  row += ldc
  gemmUpdate(row, c30, alphaV, beta, betaV)
  gemmUpdate(row + w, c31, alphaV, beta, betaV)
  row += ldc
  gemmUpdate(row, c40, alphaV, beta, betaV)
  gemmUpdate(row + w, c41, alphaV, beta, betaV)
  row += ldc
  gemmUpdate(row, c50, alphaV, beta, betaV)
  gemmUpdate(row + w, c51, alphaV, beta, betaV)
}

#else
/// Computes one full register tile: `C[0..<mr, 0..<nr] = alpha * Apanel * Bpanel + beta * C`.
///
/// `a` is a packed A panel (`kc` groups of `mr` floats); `b` holds `kc` rows of `nr` floats,
/// `bRowBytes` apart (a packed B panel); `c` has row stride `ldc`. The sum over `kc` runs in
/// order `p = 0, 1, ..., kc - 1`, one fused multiply-add per step, for every element.
@inline(never)
func gemmMicroKernel(
  _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafeRawPointer, _ bRowBytes: Int,
  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float
) {
  typealias V = GEMMVector
  let step = MemoryLayout<V>.stride
  var c00 = V(), c01 = V()
  var c10 = V(), c11 = V()
  var c20 = V(), c21 = V()
  var c30 = V(), c31 = V()
  var c40 = V(), c41 = V()
  var c50 = V(), c51 = V()
  var c60 = V(), c61 = V()
  var c70 = V(), c71 = V()
  gemmPrefetchTile(c, ldc)
  var pa = a
  var pb = b
  var p = 0
  while p < kc {
    let b0 = pb.loadUnaligned(as: V.self)
    let b1 = pb.loadUnaligned(fromByteOffset: step, as: V.self)
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
    pb += bRowBytes
    p &+= 1
  }
  let alphaV = V(repeating: alpha)
  let betaV = V(repeating: beta)
  let w = V.scalarCount
  var row = c
  gemmUpdate(row, c00, alphaV, beta, betaV)
  gemmUpdate(row + w, c01, alphaV, beta, betaV)
  row += ldc
  gemmUpdate(row, c10, alphaV, beta, betaV)
  gemmUpdate(row + w, c11, alphaV, beta, betaV)
  row += ldc
  gemmUpdate(row, c20, alphaV, beta, betaV)
  gemmUpdate(row + w, c21, alphaV, beta, betaV)
  row += ldc
  gemmUpdate(row, c30, alphaV, beta, betaV)
  gemmUpdate(row + w, c31, alphaV, beta, betaV)
  row += ldc
  gemmUpdate(row, c40, alphaV, beta, betaV)
  gemmUpdate(row + w, c41, alphaV, beta, betaV)
  row += ldc
  gemmUpdate(row, c50, alphaV, beta, betaV)
  gemmUpdate(row + w, c51, alphaV, beta, betaV)
  row += ldc
  gemmUpdate(row, c60, alphaV, beta, betaV)
  gemmUpdate(row + w, c61, alphaV, beta, betaV)
  row += ldc
  gemmUpdate(row, c70, alphaV, beta, betaV)
  gemmUpdate(row + w, c71, alphaV, beta, betaV)
}

#endif

/// Computes a partial register tile (`rows <= mr`, `cols <= nr`): the full tile goes to the
/// scratch `tile` (`mr * nr` floats, row stride `nr`), then the valid part is merged into `c` with
/// the same per-element arithmetic as the full-tile path.
@inline(never)
func gemmEdgeKernel(
  _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafeRawPointer, _ bRowBytes: Int,
  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, rows: Int, cols: Int,
  _ alpha: Float, _ beta: Float, tile: UnsafeMutablePointer<Float>
) {
  let nr = GEMMTile.nr
  gemmMicroKernel(kc, a, b, bRowBytes, tile, nr, 1, 0)
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
