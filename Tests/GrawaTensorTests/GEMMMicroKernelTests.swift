import XCTest

@testable import GrawaTensor

/// Every kernel variant's SGEMM tiles, forced on this machine: each matches the reference on
/// shapes whose m, n and k are not multiples of its tile (edge tiles, K blocks), and all variants
/// give the same bits (each element is summed in the same order whatever the tile).
extension GEMMTests {
  /// Rows and columns around `tile` (one tile, one tile and a bit, several tiles and a bit).
  func sizes(around tile: Int) -> [Int] {
    Set([1, tile - 1, tile, tile + 1, 2 * tile + 3, 5 * tile - 2]).filter { $0 > 0 }.sorted()
  }

  func testEveryVariant_edgeTiles_matchReference() {
    for variant in KernelVariant.allCases {
      let tile = variant.shapes.gemm
      for m in sizes(around: tile[0]) {
        for n in sizes(around: tile[1]) {
          for (ta, tb) in transposes {
            let p = Problem(
              m: m, n: n, k: 37, transposeA: ta, transposeB: tb, alpha: 1.25, beta: 0.5,
              pad: (1, 2, 3))
            assertMatchesReference(p, threads: 1, variant: variant)
          }
        }
      }
    }
  }

  func testShortTiles_giveTheBitsOfFullTiles() {
    // The first r rows alone (one short tile, or the edge kernel on NEON) against the same rows
    // computed inside a full tile, for every r below each variant's tile height; two K blocks
    // (the second adds to C), a partial column panel, every transpose, and three betas.
    for variant in KernelVariant.allCases {
      let tile = variant.shapes.gemm
      for (ta, tb) in transposes {
        for beta: Float in [0, 1, -0.5] {
          var p = Problem(
            m: tile[0], n: 2 * tile[1] + 3, k: 600, transposeA: ta, transposeB: tb, alpha: 0.75,
            beta: beta, seed: 11)
          let full = p.fast(threads: 1, variant: variant)
          for rows in 1..<tile[0] {
            p.m = rows
            let short = p.fast(threads: 1, variant: variant)
            let split = rows * p.ldc
            XCTAssertEqual(
              GEMMTests.bitDifferences(Array(full[..<split]), Array(short[..<split])), 0,
              "\(variant) \(describe(p)): \(rows) rows alone differ from a full tile")
            XCTAssertEqual(
              GEMMTests.bitDifferences(Array(p.c[split...]), Array(short[split...])), 0,
              "\(variant) \(describe(p)): rows past \(rows) were written")
          }
        }
      }
    }
  }

  func testRegisterTransposes_moveEveryElement() {
    // Source and destination rows padded (ld 11 and 19 for 8 x 8, 21 and 35 for 16 x 16), so a
    // lane read or written in the wrong row, or past the block, shows up.
    for (size, ld, ldd) in [(4, 7, 6), (8, 11, 19), (16, 21, 35)] {
      let src = (0..<(size * ld)).map { Float($0) }
      var dst = [Float](repeating: -1, count: size * ldd)
      src.withUnsafeBufferPointer { s in
        dst.withUnsafeMutableBufferPointer { d in
          if size == 4 {
            gemmTranspose4(s.baseAddress!, ld, d.baseAddress!, ldd)
          } else if size == 8 {
            gemmTranspose8(s.baseAddress!, ld, d.baseAddress!, ldd)
          } else {
            gemmTranspose16(s.baseAddress!, ld, d.baseAddress!, ldd)
          }
        }
      }
      for row in 0..<size {
        for column in 0..<ldd {
          let expected: Float = column < size ? src[column * ld + row] : -1
          XCTAssertEqual(dst[row * ldd + column], expected, "\(size)x\(size): [\(row), \(column)]")
        }
      }
    }
  }

  func testEveryVariant_kBlocksAndThreads_matchReference() {
    // k = 513 is two K blocks (three before kc was 512); 2 threads split C by rows or by columns.
    let shapes = [(61, 83, 513, 1), (130, 70, 257, 2), (9, 1100, 300, 2), (301, 13, 90, 2)]
    for variant in KernelVariant.allCases {
      for (m, n, k, threads) in shapes {
        for (ta, tb) in transposes {
          let p = Problem(m: m, n: n, k: k, transposeA: ta, transposeB: tb, beta: 1, seed: 5)
          assertMatchesReference(p, threads: threads, variant: variant)
        }
      }
    }
  }

  func testAllVariants_giveBitIdenticalProducts() {
    let shapes = [(7, 13, 5), (45, 67, 300), (130, 129, 513), (16, 300, 144)]
    for (m, n, k) in shapes {
      for (ta, tb) in transposes {
        let p = Problem(
          m: m, n: n, k: k, transposeA: ta, transposeB: tb, alpha: 0.75, beta: -0.5, seed: 9)
        let first = p.fast(threads: 1, variant: .avx512)
        for variant in KernelVariant.allCases.dropFirst() {
          for threads in [1, 2] {
            XCTAssertEqual(
              GEMMTests.bitDifferences(first, p.fast(threads: threads, variant: variant)), 0,
              "\(describe(p)): \(variant) threads=\(threads) differs from avx512")
          }
        }
      }
    }
  }

  func testPublicEntryPoint_underEveryForcedVariant_matchesReference() {
    // Through `GEMM.sgemm` (no variant argument) inside `withVariant`.
    let p = Problem(m: 37, n: 29, k: 41, transposeB: true, alpha: 2, beta: 0.5, seed: 3)
    for variant in KernelVariant.allCases {
      KernelConfiguration.withVariant(variant) {
        XCTAssertEqual(KernelConfiguration.active, variant)
        assertMatchesReference(p, threads: 2)
      }
    }
  }
}
