import GrawaDistributed
import GrawaTensor
import GrawaExperiments
import XCTest

final class LanczosTests: XCTestCase {
  private func multiply(_ matrix: [[Double]]) -> ([Double]) -> [Double] {
    { v in matrix.map { row in zip(row, v).reduce(0) { $0 + $1.0 * $1.1 } } }
  }

  func testJacobi_findsTheEigenvaluesOfA2x2() {
    // [[2, 1], [1, 2]] has eigenvalues 3 and 1.
    let values = SymmetricEigenvalues.jacobi([[2, 1], [1, 2]]).sorted()
    XCTAssertEqual(values[0], 1, accuracy: 1e-12)
    XCTAssertEqual(values[1], 3, accuracy: 1e-12)
  }

  func testLanczos_withFullIterations_recoversEveryEigenvalueOfADiagonalMatrix() throws {
    let eigenvalues: [Double] = [5, -2, 3.5, 0.25, 1, 8, -7, 2]
    let matrix = eigenvalues.indices.map { i in eigenvalues.indices.map { j in i == j ? eigenvalues[i] : 0 } }
    let result = try Lanczos.run(dimension: 8, iterations: 8, seed: 3, multiply: multiply(matrix))
    XCTAssertEqual(result.ritzValues.count, 8)
    for (found, expected) in zip(result.ritzValues, eigenvalues.sorted(by: >)) {
      XCTAssertEqual(found, expected, accuracy: 1e-9)
    }
  }

  func testLanczos_onARotatedMatrix_findsTheLargestEigenvaluesFirst() throws {
    // A = Q diag(d) Q^T with Q a Householder reflection I - 2 u u^T (u unit): eigenvalues d.
    let n = 30
    let d = (0..<n).map { Double($0) * 0.1 }  // 0 ... 2.9
    var random = RandomGenerator(seed: 5)
    var u = (0..<n).map { _ in random.nextNormal() }
    let norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
    u = u.map { $0 / norm }
    let q = (0..<n).map { i in (0..<n).map { j in (i == j ? 1 : 0) - 2 * u[i] * u[j] } }
    let a = (0..<n).map { i in (0..<n).map { j in (0..<n).reduce(0.0) { $0 + q[i][$1] * d[$1] * q[j][$1] } } }
    let result = try Lanczos.run(dimension: n, iterations: 15, seed: 1, multiply: multiply(a))
    // Equally spaced eigenvalues are Lanczos's slow case: after half the steps the largest is
    // within 1e-3 (2.89998 here), the rest of the spectrum much less so.
    XCTAssertEqual(result.ritzValues[0], 2.9, accuracy: 1e-3)
    let full = try Lanczos.run(dimension: n, iterations: n, seed: 1, multiply: multiply(a))
    for (found, expected) in zip(full.ritzValues, d.sorted(by: >)) {
      XCTAssertEqual(found, expected, accuracy: 1e-8)
    }
  }

  func testLanczos_stopsEarlyOnAnInvariantSubspace() throws {
    // The identity: one step spans an invariant subspace.
    let identity = (0..<5).map { i in (0..<5).map { j in i == j ? 1.0 : 0 } }
    let result = try Lanczos.run(dimension: 5, iterations: 5, multiply: multiply(identity))
    XCTAssertEqual(result.ritzValues.count, 1)
    XCTAssertEqual(result.ritzValues[0], 1, accuracy: 1e-12)
  }
}
