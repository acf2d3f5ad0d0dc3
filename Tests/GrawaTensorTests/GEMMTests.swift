import Dispatch
import XCTest

@testable import GrawaTensor

/// Tests of the blocked SGEMM against `GEMM.referenceSGEMM`. Run in release
/// (`swift test -c release -Xswiftc -enable-testing ...`): the sizes are too big for debug builds.
final class GEMMTests: XCTestCase {
  // MARK: - Inputs

  /// A small xorshift64 generator, so the tests do not depend on the project's RNG.
  struct XorShift {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
      state ^= state << 13
      state ^= state >> 7
      state ^= state << 17
      return state
    }
    /// Uniform in [-1, 1).
    mutating func nextFloat() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
  }

  /// One product's operands, with storage sized for the leading dimensions.
  struct Problem {
    var transposeA = false, transposeB = false
    var m: Int, n: Int, k: Int
    var alpha: Float = 1, beta: Float = 0
    var lda: Int, ldb: Int, ldc: Int
    var a: [Float], b: [Float], c: [Float]

    /// Random A, B and C; `padA/B/C` elements beyond the minimum leading dimension. Padding and
    /// (when `nanC`) C itself hold NaN, so reading them or writing the wrong place shows up.
    init(
      m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false,
      alpha: Float = 1, beta: Float = 0, pad: (Int, Int, Int) = (0, 0, 0), nanC: Bool = false,
      seed: UInt64 = 1
    ) {
      self.m = m
      self.n = n
      self.k = k
      self.transposeA = transposeA
      self.transposeB = transposeB
      self.alpha = alpha
      self.beta = beta
      lda = max(1, transposeA ? m : k) + pad.0
      ldb = max(1, transposeB ? k : n) + pad.1
      ldc = max(1, n) + pad.2
      var rng = XorShift(seed: seed &+ UInt64(m * 1_000_003 + n * 1009 + k))
      func fill(rows: Int, cols: Int, ld: Int, nan: Bool) -> [Float] {
        var out = [Float](repeating: .nan, count: max(1, rows * ld))
        for r in 0..<rows {
          for c in 0..<cols { out[r * ld + c] = nan ? .nan : rng.nextFloat() }
        }
        return out
      }
      a = transposeA ? fill(rows: k, cols: m, ld: lda, nan: false) : fill(rows: m, cols: k, ld: lda, nan: false)
      b = transposeB ? fill(rows: n, cols: k, ld: ldb, nan: false) : fill(rows: k, cols: n, ld: ldb, nan: false)
      c = fill(rows: m, cols: n, ld: ldc, nan: nanC)
    }

    /// Runs the fast kernel on a copy of C, with the tiles of `variant` (default: the active
    /// variant, through the public entry point).
    func fast(threads: Int, variant: KernelVariant? = nil) -> [Float] {
      var out = c
      a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
          out.withUnsafeMutableBufferPointer { c in
            if let variant {
              GEMM.sgemm(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb, beta: beta,
                c: c.baseAddress!, ldc: ldc, threads: threads, variant: variant)
            } else {
              GEMM.sgemm(
                transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb, beta: beta,
                c: c.baseAddress!, ldc: ldc, threads: threads)
            }
          }
        }
      }
      return out
    }

    /// The reference result and, per element, the scale of its rounding error: the same product
    /// on absolute values.
    func reference() -> (value: [Float], scale: [Float]) {
      var out = c
      var scale = c.map { abs($0) }
      let absA = a.map { abs($0) }, absB = b.map { abs($0) }
      a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
          out.withUnsafeMutableBufferPointer { c in
            GEMM.referenceSGEMM(
              transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
              a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb, beta: beta,
              c: c.baseAddress!, ldc: ldc)
          }
        }
      }
      absA.withUnsafeBufferPointer { a in
        absB.withUnsafeBufferPointer { b in
          scale.withUnsafeMutableBufferPointer { c in
            GEMM.referenceSGEMM(
              transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: abs(alpha),
              a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb, beta: abs(beta),
              c: c.baseAddress!, ldc: ldc)
          }
        }
      }
      return (out, scale)
    }
  }

  /// Checks the fast result against the reference: within `(2 sqrt(k) + 4) * eps * scale` inside
  /// C, and untouched (bit for bit, NaN included) in C's padding columns.
  func assertMatchesReference(
    _ p: Problem, threads: Int = 1, variant: KernelVariant? = nil,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    let got = p.fast(threads: threads, variant: variant)
    let (want, scale) = p.reference()
    let factor = (2 * Float(p.k).squareRoot() + 4) * Float.ulpOfOne
    var failures = 0
    for i in 0..<p.m {
      for j in 0..<p.ldc {
        let index = i * p.ldc + j
        if j >= p.n {
          if got[index].bitPattern != p.c[index].bitPattern {
            failures += 1
            if failures <= 3 { XCTFail("padding C[\(i), \(j)] was written", file: file, line: line) }
          }
          continue
        }
        let tolerance = factor * scale[index] + Float.leastNormalMagnitude
        if !(abs(got[index] - want[index]) <= tolerance) {
          failures += 1
          if failures <= 3 {
            XCTFail(
              "\(describe(p)) threads=\(threads) \(variant?.rawValue ?? "active"): C[\(i), \(j)] = \(got[index]), "
                + "reference \(want[index]), tolerance \(tolerance)", file: file, line: line)
          }
        }
      }
    }
    if failures > 3 { XCTFail("\(describe(p)): \(failures) mismatches in all", file: file, line: line) }
  }

  func describe(_ p: Problem) -> String {
    "\(p.m)x\(p.n)x\(p.k) \(p.transposeA ? "T" : "N")\(p.transposeB ? "T" : "N") "
      + "alpha=\(p.alpha) beta=\(p.beta) lda=\(p.lda) ldb=\(p.ldb) ldc=\(p.ldc)"
  }

  let transposes = [(false, false), (false, true), (true, false), (true, true)]

  func checkAllTransposes(
    m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0, pad: (Int, Int, Int) = (0, 0, 0),
    threads: [Int] = [1, 2], file: StaticString = #filePath, line: UInt = #line
  ) {
    for (ta, tb) in transposes {
      let p = Problem(m: m, n: n, k: k, transposeA: ta, transposeB: tb, alpha: alpha, beta: beta, pad: pad)
      for t in threads { assertMatchesReference(p, threads: t, file: file, line: line) }
    }
  }

  // MARK: - Shapes

  func testTiny1x1x1_allTransposes_matchReference() {
    checkAllTransposes(m: 1, n: 1, k: 1)
    checkAllTransposes(m: 1, n: 1, k: 1, alpha: -2, beta: 0.5)
  }

  func testSmall7x13x5_allTransposes_matchReference() {
    checkAllTransposes(m: 7, n: 13, k: 5)
    checkAllTransposes(m: 7, n: 13, k: 5, alpha: 1.5, beta: 1, pad: (3, 2, 5))
  }

  func testSquare129x257x65_allTransposes_matchReference() {
    checkAllTransposes(m: 129, n: 257, k: 65)
    checkAllTransposes(m: 129, n: 257, k: 65, alpha: -0.75, beta: 0.5, pad: (7, 1, 3))
  }

  func testMicroTileEdges_rowsAndColumns_matchReference() {
    let tile = KernelConfiguration.active.shapes.gemm
    let mr = tile[0], nr = tile[1]
    let ms = Set([1, 5, 6, 7, mr - 1, mr, mr + 1, 2 * mr + 1, 97])
    let ns = Set([1, 2, 15, 16, 17, 31, 32, 33, nr - 1, nr, nr + 1, 2 * nr + 3])
    for m in ms.sorted() where m > 0 {
      for n in ns.sorted() where n > 0 {
        checkAllTransposes(m: m, n: n, k: 19, alpha: 1.25, beta: 0.5, threads: [1])
      }
    }
  }

  func testKBlockBoundaries_255to257and513_matchReference() {
    let kc = GEMMBlocking.kc
    for k in Set([255, 256, 257, kc - 1, kc, kc + 1, 2 * kc + 1]).sorted() {
      checkAllTransposes(m: 13, n: 40, k: k, alpha: 0.5, beta: 1)
    }
  }

  func testMBlockBoundaries_matchReference() {
    let mc = GEMMBlocking.mc(rows: KernelConfiguration.active.shapes.gemm[0])
    for m in [mc - 1, mc, mc + 1, 2 * mc + 7] {
      checkAllTransposes(m: m, n: 35, k: 21, beta: 0.5)
    }
  }

  func testNBlockBoundaries_matchReference() {
    let nc = GEMMBlocking.nc(columns: KernelConfiguration.active.shapes.gemm[1])
    for n in [nc - 1, nc, nc + 1, 2 * nc + 33] {
      checkAllTransposes(m: 7, n: n, k: 9, alpha: 2, beta: 1)
    }
  }

  func testMatrixVectorShapes_mOrNIsOne_matchReference() {
    for (m, n, k) in [(1, 1, 700), (1, 300, 257), (300, 1, 257), (1, 1000, 3), (1000, 1, 3)] {
      checkAllTransposes(m: m, n: n, k: k, alpha: 1, beta: 0.5, pad: (2, 3, 1))
    }
  }

  func testConvolutionShapes_matchReference() {
    for (m, n, k) in [(16, 1024, 144), (64, 64, 576), (16, 300, 1152)] {
      checkAllTransposes(m: m, n: n, k: k)
    }
  }

  func testLargerLeadingDimensions_leavePaddingUntouched() {
    checkAllTransposes(m: 37, n: 70, k: 45, alpha: 1, beta: 1, pad: (11, 17, 13))
    checkAllTransposes(m: 37, n: 70, k: 45, alpha: 3, beta: 0, pad: (1, 1, 1))
  }

  // MARK: - alpha and beta

  func testAlphaBetaCombinations_matchReference() {
    for alpha: Float in [1, -0.75, 2.5] {
      for beta: Float in [0, 1, 0.5, -2] {
        checkAllTransposes(m: 23, n: 45, k: 31, alpha: alpha, beta: beta, pad: (1, 2, 3))
      }
    }
  }

  func testBetaZero_ignoresNaNInC() {
    for (ta, tb) in transposes {
      for (m, n, k) in [(7, 13, 5), (50, 70, 300), (6, 32, 8)] {
        let p = Problem(m: m, n: n, k: k, transposeA: ta, transposeB: tb, alpha: 0.5, beta: 0, pad: (0, 0, 2), nanC: true)
        for threads in [1, 2] {
          let got = p.fast(threads: threads)
          for i in 0..<m {
            for j in 0..<n { XCTAssertFalse(got[i * p.ldc + j].isNaN, "C[\(i), \(j)] is NaN") }
          }
          assertMatchesReference(p, threads: threads)
        }
      }
    }
  }

  func testAlphaZeroOrKZero_scalesC() {
    var p = Problem(m: 9, n: 40, k: 0, beta: 0.5, pad: (1, 0, 3))
    assertMatchesReference(p)
    p = Problem(m: 9, n: 40, k: 0, beta: 0, pad: (1, 0, 3), nanC: true)
    XCTAssertTrue(p.fast(threads: 1).enumerated().allSatisfy { $0.offset % p.ldc >= p.n || $0.element == 0 })
    p = Problem(m: 9, n: 40, k: 12, alpha: 0, beta: 2)
    let got = p.fast(threads: 2)
    XCTAssertEqual(got, p.c.map { $0 * 2 })
  }

  func testEmptyShapes_doNothing() {
    let p = Problem(m: 0, n: 5, k: 3)
    XCTAssertEqual(p.fast(threads: 2).count, p.c.count)
    let q = Problem(m: 4, n: 0, k: 3)
    XCTAssertEqual(q.fast(threads: 1).map(\.bitPattern), q.c.map(\.bitPattern))
  }

  // MARK: - Threads and determinism

  func testThreadCounts_giveBitIdenticalResults() {
    let shapes = [
      (256, 256, 256), (200, 300, 257), (16, 4096, 144), (40, 3000, 70), (700, 20, 300),
      (97, 65, 513), (16, 1024, 144), (7, 2100, 40),
    ]
    // The shapes must exercise both ways of splitting C, or this test proves little.
    let tile = KernelConfiguration.active.shapes.gemm
    let splits = shapes.map {
      GEMM.split(m: $0.0, n: $0.1, k: $0.2, threads: 2, mr: tile[0], nr: tile[1])
    }
    XCTAssertTrue(splits.contains(GEMM.Split(workers: 2, byRows: true)))
    XCTAssertTrue(splits.contains(GEMM.Split(workers: 2, byRows: false)))
    for (m, n, k) in shapes {
      for (ta, tb) in transposes {
        let p = Problem(m: m, n: n, k: k, transposeA: ta, transposeB: tb, alpha: 0.75, beta: 0.5)
        let one = p.fast(threads: 1)
        for threads in [2, 3, 4] {
          let many = p.fast(threads: threads)
          XCTAssertEqual(
            Self.bitDifferences(one, many), 0, "\(describe(p)): threads=\(threads) differs from threads=1")
        }
        XCTAssertEqual(Self.bitDifferences(one, p.fast(threads: 1)), 0, "\(describe(p)): repeat differs")
        if m * n * k <= 4_000_000 { assertMatchesReference(p, threads: 2) }
      }
    }
  }

  func testBlockSizesAreWholeRegisterTiles() {
    for variant in KernelVariant.allCases {
      let tile = variant.shapes.gemm
      XCTAssertEqual(GEMMBlocking.mc(rows: tile[0]) % tile[0], 0, "\(variant)")
      XCTAssertEqual(GEMMBlocking.nc(columns: tile[1]) % tile[1], 0, "\(variant)")
    }
    XCTAssertGreaterThan(GEMMBlocking.kc, 0)
  }

  /// How many elements of `x` and `y` differ bit for bit.
  static func bitDifferences(_ x: [Float], _ y: [Float]) -> Int {
    zip(x, y).filter { $0.bitPattern != $1.bitPattern }.count + abs(x.count - y.count)
  }

  func testSplitChoosesWorkersWithinLimits() {
    for (m, n, k) in [(1, 1, 1), (16, 131_072, 144), (4096, 16, 300), (1024, 1024, 1024), (6, 32, 10_000)] {
      for threads in [1, 2, 5] {
        let split = GEMM.split(m: m, n: n, k: k, threads: threads, mr: 8, nr: 32)
        XCTAssertGreaterThanOrEqual(split.workers, 1)
        XCTAssertLessThanOrEqual(split.workers, threads)
      }
    }
  }

  func testConcurrentCallers_getCorrectResults() {
    let problems = [
      Problem(m: 150, n: 170, k: 190, alpha: 1, beta: 0.5, seed: 11),
      Problem(m: 64, n: 300, k: 260, transposeA: true, alpha: 2, beta: 0, seed: 12),
      Problem(m: 33, n: 1030, k: 77, transposeB: true, alpha: -1, beta: 1, seed: 13),
      Problem(m: 300, n: 40, k: 600, transposeA: true, transposeB: true, seed: 14),
    ]
    let expected = problems.map { $0.fast(threads: 1) }
    for p in problems { assertMatchesReference(p) }
    // Several caller threads at once, each with 1 or 2 kernel threads, each several times.
    let results = ResultsBox(count: 8)
    DispatchQueue.concurrentPerform(iterations: 8) { caller in
      var ok = true
      for round in 0..<4 {
        let index = (caller + round) % problems.count
        let got = problems[index].fast(threads: 1 + caller % 2)
        ok = ok && GEMMTests.bitDifferences(got, expected[index]) == 0
      }
      results.set(caller, ok)
    }
    XCTAssertEqual(results.values, Array(repeating: true, count: 8))
  }

  /// Collects per-caller outcomes from concurrent code.
  final class ResultsBox: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Bool]
    init(count: Int) { storage = Array(repeating: false, count: count) }
    func set(_ index: Int, _ value: Bool) { lock.withLock { storage[index] = value } }
    var values: [Bool] { lock.withLock { storage } }
  }
}
