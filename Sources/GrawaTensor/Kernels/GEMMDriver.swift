import Foundation

// The blocked SGEMM driver: BLIS loop order (N blocks, K blocks, M blocks, then the macro-kernel
// over register tiles), packing, and the split of C between threads.

/// The operands of one SGEMM call, bundled for the driver.
struct GEMMOperands {
  var transposeA: Bool
  var transposeB: Bool
  var m: Int
  var n: Int
  var k: Int
  var alpha: Float
  var beta: Float
  var a: UnsafePointer<Float>
  var lda: Int
  var b: UnsafePointer<Float>
  var ldb: Int
  var c: UnsafeMutablePointer<Float>
  var ldc: Int
}

/// Cache blocking of the driver.
enum GEMMBlocking {
  /// Largest K block; `k` is cut into `ceil(k / kc)` nearly equal blocks, depending on `k` only.
  static let kc: Int = env("GRAWA_GEMM_KC", 256)
  /// Rows of C per packed A block (a multiple of `GEMMTile.mr`).
  static let mc: Int = env("GRAWA_GEMM_MC", 192) / GEMMTile.mr * GEMMTile.mr
  /// Columns of C per packed B block (a multiple of `GEMMTile.nr`).
  static let nc: Int = env("GRAWA_GEMM_NC", 2048) / GEMMTile.nr * GEMMTile.nr
  /// Regions whose padded op(A) has at most this many floats pack it once for all N blocks.
  static let packAOnceFloats: Int = env("GRAWA_GEMM_AONCE", 64 * 1024)
  /// Target size in bytes of a packed B block when A is packed once (about L1).
  static let smallBBlockBytes: Int = env("GRAWA_GEMM_SMALLB", 32 * 1024)
  /// Below this many flops (2mnk) a call runs on one thread.
  static let parallelFlops: Int = env("GRAWA_GEMM_PAR", 2_000_000)

  private static func env(_ name: String, _ fallback: Int) -> Int {
    guard let raw = getenv(name), let value = Int(String(cString: raw)), value > 0 else {
      return fallback
    }
    return value
  }

  /// The K blocks of a product with inner dimension `k`: `count` blocks, block `i` covering
  /// `k * i / count ..< k * (i + 1) / count`. Independent of threads, so results are too.
  static func kBlockCount(_ k: Int) -> Int { max(1, (k + kc - 1) / kc) }
}

extension GEMM {
  /// How a call splits C between workers: `workers` contiguous ranges of rows (or of columns),
  /// cut at register-tile boundaries.
  struct Split: Equatable {
    var workers: Int
    var byRows: Bool
  }

  /// Chooses the number of workers and the split direction for an `m x n x k` product.
  static func split(m: Int, n: Int, k: Int, threads: Int) -> Split {
    let flops = 2 * m * n * k
    if threads <= 1 || flops < GEMMBlocking.parallelFlops { return Split(workers: 1, byRows: true) }
    let mr = GEMMTile.mr, nr = GEMMTile.nr
    let tilesM = (m + mr - 1) / mr
    let tilesN = (n + nr - 1) / nr
    let wRows = min(threads, tilesM)
    let wCols = min(threads, tilesN)
    // Estimated time of the slowest worker, in units of one multiply-add of the micro-kernel:
    // its padded share of the product, plus packing (each packed float costs about 16 FMAs).
    let paddedN = tilesN * nr, paddedM = tilesM * mr
    let rowsEach = (tilesM + wRows - 1) / wRows * mr
    let colsEach = (tilesN + wCols - 1) / wCols * nr
    let costRows = rowsEach * paddedN * k + 16 * (k * n + rowsEach * k * max(1, n / GEMMBlocking.nc))
    let costCols = colsEach * paddedM * k + 16 * (k * colsEach + m * k * max(1, colsEach / GEMMBlocking.nc))
    if wRows <= 1 && wCols <= 1 { return Split(workers: 1, byRows: true) }
    if wCols <= 1 || (wRows > 1 && costRows <= costCols) {
      return Split(workers: wRows, byRows: true)
    }
    return Split(workers: wCols, byRows: false)
  }

  /// Runs a product with `m, n, k > 0` and `alpha != 0` on up to `threads` threads.
  static func blockedSGEMM(_ op: GEMMOperands, threads: Int) {
    let plan = split(m: op.m, n: op.n, k: op.k, threads: threads)
    if plan.workers <= 1 {
      GEMMWorkspace.withCurrent { ws in
        runRegion(op, rows: 0..<op.m, cols: 0..<op.n, workspace: ws)
      }
      return
    }
    let tiles = plan.byRows
      ? (op.m + GEMMTile.mr - 1) / GEMMTile.mr : (op.n + GEMMTile.nr - 1) / GEMMTile.nr
    let unit = plan.byRows ? GEMMTile.mr : GEMMTile.nr
    let extent = plan.byRows ? op.m : op.n
    let workers = plan.workers
    parallelFor(workers, threads: workers) { w in
      let lo = min(extent, tiles * w / workers * unit)
      let hi = min(extent, tiles * (w + 1) / workers * unit)
      if lo >= hi { return }
      GEMMWorkspace.withCurrent { ws in
        if plan.byRows {
          runRegion(op, rows: lo..<hi, cols: 0..<op.n, workspace: ws)
        } else {
          runRegion(op, rows: 0..<op.m, cols: lo..<hi, workspace: ws)
        }
      }
    }
  }

  /// Computes the block `C[rows, cols]` on the calling thread with the packing memory of `ws`.
  static func runRegion(_ op: GEMMOperands, rows: Range<Int>, cols: Range<Int>, workspace ws: GEMMWorkspace) {
    let mr = GEMMTile.mr, nr = GEMMTile.nr
    let kBlocks = GEMMBlocking.kBlockCount(op.k)
    let kcMax = (op.k + kBlocks - 1) / kBlocks
    let paddedRows = (rows.count + mr - 1) / mr * mr
    // When all of this region's op(A) is small, pack it once (every K block, at offset
    // `paddedRows * p0`) and reuse it for every N block; the N blocks can then be small, so each
    // freshly packed B block is still in L1 when the kernel reads it.
    let packAOnce = paddedRows * op.k <= GEMMBlocking.packAOnceFloats
    let ncLimit = packAOnce
      ? max(nr, GEMMBlocking.smallBBlockBytes / (4 * kcMax) / nr * nr) : GEMMBlocking.nc
    let ncMax = min(ncLimit, (cols.count + nr - 1) / nr * nr)
    let mcMax = packAOnce ? paddedRows : min(GEMMBlocking.mc, paddedRows)
    let bBuf = ws.bBuffer(count: ncMax * kcMax)
    let aBuf = ws.aBuffer(count: packAOnce ? paddedRows * op.k : mcMax * kcMax)
    let tile = ws.tile
    var jc = cols.lowerBound
    while jc < cols.upperBound {
      let nc = min(ncMax, cols.upperBound - jc)
      for kb in 0..<kBlocks {
        let p0 = op.k * kb / kBlocks
        let kc = op.k * (kb + 1) / kBlocks - p0
        let beta: Float = kb == 0 ? op.beta : 1
        gemmPackB(transposed: op.transposeB, op.b, ldb: op.ldb, p0: p0, kc: kc, j0: jc, nc: nc, into: bBuf)
        if packAOnce {
          let aBlock = aBuf + paddedRows * p0
          if jc == cols.lowerBound {
            gemmPackA(
              transposed: op.transposeA, op.a, lda: op.lda, i0: rows.lowerBound, mc: rows.count,
              p0: p0, kc: kc, into: aBlock)
          }
          macroKernel(
            kc: kc, mc: rows.count, nc: nc, a: aBlock, b: bBuf,
            c: op.c + rows.lowerBound * op.ldc + jc, ldc: op.ldc, alpha: op.alpha, beta: beta,
            tile: tile)
          continue
        }
        var ic = rows.lowerBound
        while ic < rows.upperBound {
          let mc = min(mcMax, rows.upperBound - ic)
          gemmPackA(transposed: op.transposeA, op.a, lda: op.lda, i0: ic, mc: mc, p0: p0, kc: kc, into: aBuf)
          macroKernel(
            kc: kc, mc: mc, nc: nc, a: aBuf, b: bBuf, c: op.c + ic * op.ldc + jc, ldc: op.ldc,
            alpha: op.alpha, beta: beta, tile: tile)
          ic += mc
        }
      }
      jc += nc
    }
  }

  /// Multiplies a packed `mc x kc` A block by a packed `kc x nc` B block into C, one register
  /// tile at a time: B panels outside (a panel stays in L1), A panels inside.
  @inline(__always)
  static func macroKernel(
    kc: Int, mc: Int, nc: Int, a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float,
    tile: UnsafeMutablePointer<Float>
  ) {
    let mr = GEMMTile.mr, nr = GEMMTile.nr
    var j = 0
    while j < nc {
      let cols = min(nr, nc - j)
      let bPanel = UnsafeRawPointer(b + j * kc)
      let rowBytes = nr * 4
      var i = 0
      while i < mc {
        let rows = min(mr, mc - i)
        let aPanel = a + i * kc
        let cTile = c + i * ldc + j
        if rows == mr && cols == nr {
          gemmMicroKernel(kc, aPanel, bPanel, rowBytes, cTile, ldc, alpha, beta)
        } else {
          gemmEdgeKernel(
            kc, aPanel, bPanel, rowBytes, cTile, ldc, rows: rows, cols: cols, alpha, beta, tile: tile)
        }
        i += mr
      }
      j += nr
    }
  }

  /// `C = beta * C` (C set to zero when `beta == 0`, whatever it held).
  static func scaleC(m: Int, n: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if beta == 1 { return }
    for i in 0..<m {
      let row = c + i * ldc
      if beta == 0 {
        row.update(repeating: 0, count: n)
      } else {
        for j in 0..<n { row[j] *= beta }
      }
    }
  }
}
