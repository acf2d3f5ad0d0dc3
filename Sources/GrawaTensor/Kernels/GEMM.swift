/// Single-precision general matrix multiply on row-major matrices:
/// `C = alpha * op(A) * op(B) + beta * C`, with `op(X)` either `X` or its transpose.
///
/// `op(A)` is `m x k`, `op(B)` is `k x n`, `C` is `m x n`. Leading dimensions are row strides in
/// elements (`lda >= k` when A is not transposed, `lda >= m` when it is; likewise for B, and
/// `ldc >= n`). When `beta == 0`, C is overwritten and its previous contents (even NaN) are ignored.
public enum GEMM {
  /// Computes `C = alpha * op(A) * op(B) + beta * C` (see ``GEMM``).
  /// - Parameters:
  ///   - threads: how many threads to use; `nil` means ``ComputeThreads/current``.
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
    referenceSGEMM(
      transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
      a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
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
