import XCTest

@testable import GrawaTensor

/// The packed B that the workers of a row-split SGEMM share (``SharedPackedB``): every block it
/// hands out equals the block a worker packs on its own, whoever packed which chunk, and workers
/// that run one after the other on one thread complete (no worker waits for one that has not
/// started).
final class GEMMSharedPackingTests: XCTestCase {
  private func operands(
    k: Int, n: Int, transposeB: Bool, storage: UnsafeMutablePointer<Float>
  ) -> GEMMOperands {
    GEMMOperands(
      transposeA: false, transposeB: transposeB, m: 1, n: n, k: k, alpha: 1, beta: 0,
      a: UnsafePointer(storage), lda: 1, b: UnsafePointer(storage), ldb: transposeB ? k : n,
      c: storage, ldc: n)
  }

  /// Every block of a product with several N and K blocks and a partial last panel, claimed by
  /// "workers" with different starting chunks that run one after the other on this thread.
  private func check<K: KernelShapes>(_: K.Type, transposeB: Bool) {
    let (k, n) = (600, 1100)
    let nr = K.gemmColumns
    let count = k * n
    let b = UnsafeMutablePointer<Float>.allocate(capacity: count)
    defer { b.deallocate() }
    for i in 0..<count { b[i] = Float((i * 7919) % 1013) - 506 }
    let op = operands(k: k, n: n, transposeB: transposeB, storage: b)
    let layout = SharedPackedB.Layout(
      k: k, n: n, kBlocks: GEMMBlocking.kBlockCount(k),
      nc: min(GEMMBlocking.nc(columns: nr), (n + nr - 1) / nr * nr), nr: nr)
    XCTAssertGreaterThan(layout.nBlocks, 1)
    XCTAssertGreaterThan(layout.kBlocks, 1)
    let shared = SharedPackedB()
    XCTAssertTrue(shared.prepare(layout))
    for jb in 0..<layout.nBlocks {
      for kb in 0..<layout.kBlocks {
        let (p0, kc) = layout.rows(kb)
        let columns = layout.columns(jb)
        let floats = (columns + nr - 1) / nr * nr * kc
        var expected = [Float](repeating: .nan, count: floats)
        expected.withUnsafeMutableBufferPointer {
          gemmPackB(
            K.self, transposed: transposeB, op.b, ldb: op.ldb, p0: p0, kc: kc, j0: jb * layout.nc,
            nc: columns, into: $0.baseAddress!)
        }
        // The first worker claims from chunk 0 and packs some; the second starts in the middle
        // and finds the rest; a third finds everything packed.
        for start in [0, layout.chunksPerBlock / 2, 1] {
          let block = shared.block(op, jb: jb, kb: kb, start: start, K.self)
          let got = Array(UnsafeBufferPointer(start: block, count: floats))
          XCTAssertEqual(
            zip(got, expected).filter { $0.bitPattern != $1.bitPattern }.count, 0,
            "block (\(jb), \(kb)) start \(start), transposed B: \(transposeB)")
        }
      }
    }
  }

  func testBlocks_equalPerWorkerPacking_forEveryVariant() {
    for transposeB in [false, true] {
      check(AVX512Kernels.self, transposeB: transposeB)
      check(AVX2Kernels.self, transposeB: transposeB)
      check(NEONKernels.self, transposeB: transposeB)
      check(GenericKernels.self, transposeB: transposeB)
    }
  }

  func testTooLargeAProduct_packsPerWorker() {
    let layout = SharedPackedB.Layout(k: 8192, n: 8192, kBlocks: 32, nc: 1024, nr: 32)
    XCTAssertFalse(SharedPackedB().prepare(layout))
  }

  func testRowSplitProducts_withSharedB_matchOneThread_bitForBit() {
    // Row splits with several N and K blocks, through the public entry point, for every variant
    // (whichever this machine runs): each runs the candidates its tile shape splits by rows. The
    // split depends on how the tiles divide the shape, so no one shape is a row split for all.
    let candidates = [(512, 1100, 600), (1024, 1500, 520), (1024, 1100, 600), (1536, 1032, 520)]
    for variant in KernelVariant.allCases {
      let tile = variant.shapes.gemm
      let shapes = candidates.filter { m, n, k in
        GEMM.split(m: m, n: n, k: k, threads: 2, mr: tile[0], nr: tile[1])
          == GEMM.Split(workers: 2, byRows: true)
      }
      XCTAssertFalse(shapes.isEmpty, "no row split among the candidates for \(variant)")
      for (m, n, k) in shapes.prefix(2) {
        for transposeB in [false, true] {
          var rng = GEMMTests.XorShift(seed: UInt64(m + n + k))
          let a = (0..<(m * k)).map { _ in rng.nextFloat() }
          let b = (0..<(k * n)).map { _ in rng.nextFloat() }
          func run(_ threads: Int) -> [Float] {
            var c = [Float](repeating: 0, count: m * n)
            KernelConfiguration.withVariant(variant) {
              GEMM.sgemm(
                transposeA: false, transposeB: transposeB, m: m, n: n, k: k, alpha: 1, a: a, lda: k,
                b: b, ldb: transposeB ? k : n, beta: 0, c: &c, ldc: n, threads: threads)
            }
            return c
          }
          let one = run(1)
          for threads in [2, 3] {
            XCTAssertEqual(
              zip(one, run(threads)).filter { $0.bitPattern != $1.bitPattern }.count, 0,
              "\(variant) \(m)x\(n)x\(k) transposed B \(transposeB), \(threads) threads")
          }
        }
      }
    }
  }
}

/// An A operand packed once (``GEMM/packA(transposeA:m:k:a:lda:variant:)``, a convolution's
/// weight over its groups) gives the same bits as the ordinary product, for every variant,
/// transposition and thread count, including shapes the ordinary product splits by rows.
final class GEMMPackedATests: XCTestCase {
  func testPackedA_givesTheOrdinaryProductsBits() {
    let shapes = [(13, 7, 5), (512, 224, 600), (40, 3000, 70), (300, 100, 1100)]
    // Both ways an ordinary product splits, or the packed one's column split proves little.
    let splits = KernelVariant.allCases.flatMap { variant in
      shapes.map {
        GEMM.split(
          m: $0.0, n: $0.1, k: $0.2, threads: 2, mr: variant.shapes.gemm[0],
          nr: variant.shapes.gemm[1])
      }
    }
    XCTAssertTrue(splits.contains(GEMM.Split(workers: 2, byRows: true)))
    XCTAssertTrue(splits.contains(GEMM.Split(workers: 2, byRows: false)))
    for (m, n, k) in shapes {
      for transposeA in [false, true] {
        for variant in KernelVariant.allCases {
          var rng = GEMMTests.XorShift(seed: UInt64(m * 7 + n * 3 + k))
          let a = (0..<(m * k)).map { _ in rng.nextFloat() }
          let b = (0..<(k * n)).map { _ in rng.nextFloat() }
          let c0 = (0..<(m * n)).map { _ in rng.nextFloat() }
          let lda = transposeA ? m : k
          for threads in [1, 2, 3] {
            var want = c0
            GEMM.sgemm(
              transposeA: transposeA, transposeB: false, m: m, n: n, k: k, alpha: 1, a: a,
              lda: lda, b: b, ldb: n, beta: 0.5, c: &want, ldc: n, threads: threads,
              variant: variant)
            let packed = a.withUnsafeBufferPointer {
              GEMM.packA(
                transposeA: transposeA, m: m, k: k, a: $0.baseAddress!, lda: lda, variant: variant)
            }
            var got = c0
            b.withUnsafeBufferPointer { pb in
              got.withUnsafeMutableBufferPointer { pc in
                GEMM.sgemm(
                  packedA: packed, transposeB: false, n: n, b: pb.baseAddress!, ldb: n, beta: 0.5,
                  c: pc.baseAddress!, ldc: n, threads: threads)
              }
            }
            XCTAssertEqual(
              zip(want, got).filter { $0.bitPattern != $1.bitPattern }.count, 0,
              "\(m)x\(n)x\(k) transposed A \(transposeA), \(variant), \(threads) threads")
          }
        }
      }
    }
  }
}
