import Foundation
import GrawaData
import GrawaDistributed
import GrawaNN
import GrawaOptim
import GrawaTensor

/// The Lanczos algorithm with full reorthogonalisation: the extreme eigenvalues of a symmetric
/// operator known only through matrix-vector products (the Hessian of a training loss, issue 5).
///
/// After k steps the eigenvalues of the k x k tridiagonal matrix T (the Ritz values) approximate
/// the operator's extreme eigenvalues, the largest first. Every new Lanczos vector is
/// orthogonalised against all previous ones (twice), so no spurious copies of converged values
/// appear.
public enum Lanczos {
  /// What k Lanczos steps found.
  public struct Result: Sendable, Equatable {
    /// The Ritz values, largest first.
    public var ritzValues: [Double]
    /// The diagonal of T.
    public var alphas: [Double]
    /// The off-diagonal of T.
    public var betas: [Double]
  }

  /// Runs up to `iterations` steps from a seeded random unit vector (fewer when an invariant
  /// subspace is found).
  /// - Parameters:
  ///   - dimension: the operator's size.
  ///   - multiply: the operator applied to a vector.
  /// - Throws: what `multiply` throws, or ``DistributedError`` for a product of the wrong size.
  public static func run(
    dimension: Int, iterations: Int, seed: UInt64 = 0, multiply: ([Double]) throws -> [Double]
  ) throws -> Result {
    guard dimension > 0, iterations > 0 else { return Result(ritzValues: [], alphas: [], betas: []) }
    var random = RandomGenerator(seed: seed, stream: 0x4C41)
    var q = (0..<dimension).map { _ in random.nextNormal() }
    normalize(&q)
    var basis: [[Double]] = []
    var alphas: [Double] = []
    var betas: [Double] = []
    let steps = min(iterations, dimension)
    for step in 0..<steps {
      basis.append(q)
      var w = try multiply(q)
      guard w.count == dimension else {
        throw DistributedError.lengthMismatch(expected: dimension, got: w.count, worker: -1)
      }
      let alpha = dot(w, q)
      alphas.append(alpha)
      // Full reorthogonalisation, twice ("twice is enough").
      for _ in 0..<2 {
        for v in basis {
          let projection = dot(w, v)
          for i in 0..<dimension { w[i] -= projection * v[i] }
        }
      }
      let beta = dot(w, w).squareRoot()
      if step == steps - 1 || beta < 1e-10 * max(1, abs(alpha)) { break }
      betas.append(beta)
      q = w.map { $0 / beta }
    }
    var tridiagonal = [[Double]](repeating: [Double](repeating: 0, count: alphas.count), count: alphas.count)
    for i in alphas.indices {
      tridiagonal[i][i] = alphas[i]
      if i < betas.count, i + 1 < alphas.count {
        tridiagonal[i][i + 1] = betas[i]
        tridiagonal[i + 1][i] = betas[i]
      }
    }
    return Result(
      ritzValues: SymmetricEigenvalues.jacobi(tridiagonal).sorted(by: >), alphas: alphas,
      betas: Array(betas.prefix(max(0, alphas.count - 1))))
  }

  static func dot(_ a: [Double], _ b: [Double]) -> Double {
    var total = 0.0
    for i in a.indices { total += a[i] * b[i] }
    return total
  }

  static func normalize(_ v: inout [Double]) {
    let norm = dot(v, v).squareRoot()
    for i in v.indices { v[i] /= norm }
  }
}

/// Eigenvalues of small dense symmetric matrices.
public enum SymmetricEigenvalues {
  /// The eigenvalues of the symmetric matrix `matrix` (rows), by cyclic Jacobi rotations, in no
  /// particular order.
  public static func jacobi(_ matrix: [[Double]], tolerance: Double = 1e-13) -> [Double] {
    var a = matrix
    let n = a.count
    guard n > 1 else { return a.first.map { [$0[0]] } ?? [] }
    for _ in 0..<100 {
      var offDiagonal = 0.0
      var scale = 0.0
      for i in 0..<n {
        scale += a[i][i] * a[i][i]
        for j in 0..<n where j != i { offDiagonal += a[i][j] * a[i][j] }
      }
      if offDiagonal <= tolerance * tolerance * max(scale, 1e-300) { break }
      for p in 0..<(n - 1) {
        for q in (p + 1)..<n where a[p][q] != 0 {
          let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
          let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
          let c = 1 / (t * t + 1).squareRoot()
          let s = t * c
          for k in 0..<n {
            let akp = a[k][p]
            let akq = a[k][q]
            a[k][p] = c * akp - s * akq
            a[k][q] = s * akp + c * akq
          }
          for k in 0..<n {
            let apk = a[p][k]
            let aqk = a[q][k]
            a[p][k] = c * apk - s * aqk
            a[q][k] = s * apk + c * aqk
          }
        }
      }
    }
    return (0..<n).map { a[$0][$0] }
  }
}
