/// Single-precision general matrix multiply on row-major matrices:
/// `C = alpha * op(A) * op(B) + beta * C`, with `op(X)` either `X` or its transpose.
///
/// `op(A)` is `m x k`, `op(B)` is `k x n`, `C` is `m x n`. Leading dimensions are row strides in
/// elements (`lda >= k` when A is not transposed, `lda >= m` when it is; likewise for B, and
/// `ldc >= n`). When `beta == 0`, C is overwritten and its previous contents (even NaN) are ignored.
///
/// The fast path is a pure-Swift, BLIS-style blocked kernel: op(B) is packed into zero-padded column
/// panels and op(A) into zero-padded row panels (the packing absorbs the transposes and leading
/// dimensions), and a register-tiled SIMD micro-kernel accumulates into C. The tile is chosen for
/// the CPU at run time (``KernelConfiguration``): 8 x 32 on `SIMD16` for AVX-512, 6 x 16 on `SIMD8`
/// for AVX2, 8 x 12 on `SIMD4` for NEON; every variant gives bit-identical results.
///
/// Determinism: every element of C is summed over `k` in the same order whatever the thread count
/// (K is cut into blocks that depend only on `k`; threads split the rows or the columns of C, never
/// K), so the same inputs give bit-identical results for any `threads` value.
public enum GEMM {
  /// Computes `C = alpha * op(A) * op(B) + beta * C` (see ``GEMM``).
  ///
  /// When `alpha == 0` or `k == 0`, A and B are not read and C becomes `beta * C` (BLAS semantics).
  /// Packing memory comes from a per-thread workspace that is kept between calls (up to about
  /// 1.2 MB per thread that ran a product; see ``releaseThreadWorkspace()``), so repeated calls
  /// do not allocate. Safe to call from several threads at once (each writing its own C).
  ///
  /// The result is deterministic: the same inputs give bit-identical output on every call and
  /// for every thread count (the summation order over `k` does not depend on `threads`).
  /// - Parameters:
  ///   - threads: how many threads to use; `nil` means ``ComputeThreads/current``. Products under
  ///     8 MFLOP (`2mnk`) run on the calling thread only. The result does not depend on this value.
  public static func sgemm(
    transposeA: Bool, transposeB: Bool,
    m: Int, n: Int, k: Int,
    alpha: Float,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float,
    c: UnsafeMutablePointer<Float>, ldc: Int,
    threads: Int? = nil
  ) {
    sgemm(
      transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a,
      lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, threads: threads,
      variant: KernelConfiguration.active)
  }

  /// ``sgemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:threads:)`` with the
  /// kernels of `variant`; callers on worker threads pass the variant their caller chose.
  static func sgemm(
    transposeA: Bool, transposeB: Bool,
    m: Int, n: Int, k: Int,
    alpha: Float,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float,
    c: UnsafeMutablePointer<Float>, ldc: Int,
    threads: Int?, variant: KernelVariant
  ) {
    precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative dimension")
    precondition(lda >= max(1, transposeA ? m : k), "sgemm: lda too small")
    precondition(ldb >= max(1, transposeB ? k : n), "sgemm: ldb too small")
    precondition(ldc >= max(1, n), "sgemm: ldc too small")
    if m == 0 || n == 0 { return }
    if k == 0 || alpha == 0 {
      scaleC(m: m, n: n, beta: beta, c: c, ldc: ldc)
      return
    }
    let operands = GEMMOperands(
      transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, beta: beta,
      a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc)
    blockedSGEMM(operands, threads: max(1, threads ?? ComputeThreads.current), variant: variant)
  }

  /// Frees the packing memory the calling thread keeps for ``sgemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:threads:)``.
  ///
  /// Optional: the memory is also freed when the thread exits. Useful after a one-off large product
  /// on a long-lived thread.
  public static func releaseThreadWorkspace() {
    GEMMWorkspace.releaseCurrent()
  }

  /// A plain triple loop with the same contract as ``sgemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:threads:)``.
  /// Slow; it exists as the reference the tests compare the fast kernel against.
  public static func referenceSGEMM(
    transposeA: Bool, transposeB: Bool,
    m: Int, n: Int, k: Int,
    alpha: Float,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float,
    c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    for i in 0..<m {
      for j in 0..<n {
        var sum: Double = 0
        for p in 0..<k {
          let av = transposeA ? a[p * lda + i] : a[i * lda + p]
          let bv = transposeB ? b[j * ldb + p] : b[p * ldb + j]
          sum += Double(av) * Double(bv)
        }
        let scaled = Float(sum) * alpha
        c[i * ldc + j] = beta == 0 ? scaled : scaled + beta * c[i * ldc + j]
      }
    }
  }
}
