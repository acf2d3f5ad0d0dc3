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

/// Cache blocking and threading thresholds of the driver (tuned on 2-core AMD Zen 4 and Intel Xeon
/// machines; the results do not depend on them, except through `kc`).
enum GEMMBlocking {
  /// Largest K block; `k` is cut into `ceil(k / kc)` nearly equal blocks, depending on `k` only
  /// (the same in every build and variant, so results are too). Each register tile of a K block
  /// ends by adding its sums to C, a pause of some 50 cycles whatever `kc` is: at 256, that cost
  /// 3-4% of an AVX2 6 x 16 tile's time (1536 cycles of FMAs). At 512 a packed B panel
  /// (`kc x nr`: 32 KB on AVX2, 64 KB on AVX-512) outgrows L1 and is read from L2, which the
  /// tiles absorb: SGEMM 1024^3 measured 2-3% faster on both variants on a Zen 4, no model step
  /// changed beyond noise.
  static var kc: Int { 512 }
  /// Most rows of C per packed A block (a multiple of the tile's `rows`): the A block stays in L2.
  static func mc(rows: Int) -> Int { 128 / rows * rows }
  /// The A blocks of a region of `rows` rows with `mr`-row register tiles: `count` blocks of
  /// nearly equal whole numbers of tiles, at most `mcMax` rows each. Equal blocks, because every
  /// A block streams the whole packed B block past its tiles once: a last block of one tile (510
  /// rows in blocks of 126, a 1024-row product split over 2 threads) pays that pass for a
  /// twenty-first of the work (on a Zen 4 the difference stayed within noise: 1024^3 on 2
  /// threads, ResNet-50 steps). Tile boundaries do not move, so neither do the results.
  static func aBlocks(rows: Int, mr: Int, mcMax: Int) -> (count: Int, tiles: Int) {
    let tiles = (rows + mr - 1) / mr
    let perBlock = max(1, mcMax / mr)
    return ((tiles + perBlock - 1) / perBlock, tiles)
  }
  /// Columns of C per packed B block (a multiple of the tile's `columns`): a 1 MB B block.
  static func nc(columns: Int) -> Int { 1024 / columns * columns }
  /// Below this many flops (2mnk) a call runs on the calling thread only: waking a Dispatch
  /// worker costs about 10-20 microseconds on the reference machine.
  static var parallelFlops: Int { 8_000_000 }
  /// Each extra worker needs at least this many flops of work.
  static var flopsPerWorker: Int { 4_000_000 }

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

  /// Chooses the number of workers and the split direction for an `m x n x k` product with
  /// `mr x nr` register tiles: the direction whose slowest worker has the least estimated work.
  static func split(m: Int, n: Int, k: Int, threads: Int, mr: Int, nr: Int) -> Split {
    // Doubles: products of dimensions may exceed Int for absurd shapes.
    let flops = 2 * Double(m) * Double(n) * Double(k)
    if threads <= 1 || flops < Double(GEMMBlocking.parallelFlops) {
      return Split(workers: 1, byRows: true)
    }
    let maxWorkers = min(threads, max(1, Int(flops / Double(GEMMBlocking.flopsPerWorker))))
    let tilesM = (m + mr - 1) / mr
    let tilesN = (n + nr - 1) / nr
    let wRows = min(maxWorkers, tilesM)
    let wCols = min(maxWorkers, tilesN)
    if wRows <= 1 && wCols <= 1 { return Split(workers: 1, byRows: true) }
    // Work of the slowest worker in multiply-adds: its share of the padded product, plus packing
    // (a packed float costs about as much as 8 multiply-adds). Splitting rows makes every worker
    // pack all of B (and its rows of A once per N block); splitting columns, all of A.
    let nc = GEMMBlocking.nc(columns: nr)
    let nBlocks = { (cols: Int) in Double(max(1, (cols + nc - 1) / nc)) }
    let rowsEach = Double((tilesM + wRows - 1) / wRows * mr)
    let colsEach = Double((tilesN + wCols - 1) / wCols * nr)
    let dk = Double(k)
    let costRows = rowsEach * Double(tilesN * nr) * dk
      + 8 * (dk * Double(n) + rowsEach * dk * nBlocks(n))
    let costCols = colsEach * Double(tilesM * mr) * dk
      + 8 * (dk * colsEach + Double(m) * dk * nBlocks(Int(colsEach)))
    if wCols <= 1 || (wRows > 1 && costRows <= costCols) {
      return Split(workers: wRows, byRows: true)
    }
    return Split(workers: wCols, byRows: false)
  }

  /// Runs a product with `m, n, k > 0` and `alpha != 0` on up to `threads` threads with the
  /// kernels of `variant`.
  static func blockedSGEMM(_ op: GEMMOperands, threads: Int, variant: KernelVariant) {
    switch variant {
    case .avx512: blockedSGEMM(op, threads: threads, AVX512Kernels.self)
    case .avx2: blockedSGEMM(op, threads: threads, AVX2Kernels.self)
    case .neon: blockedSGEMM(op, threads: threads, NEONKernels.self)
    case .generic: blockedSGEMM(op, threads: threads, GenericKernels.self)
    }
  }

  /// Runs a product with `m, n, k > 0` and `alpha != 0` on up to `threads` threads with the
  /// kernels of `K` (one specialised copy of the driver per variant).
  /// With `packedA` (whose floats `op.a` points to), the workers split C by columns, so that
  /// every region spans all rows and reads A's blocks from the packed copy instead of packing them.
  static func blockedSGEMM<K: KernelShapes>(
    _ op: GEMMOperands, threads: Int, _: K.Type, packedA: PackedA? = nil
  ) {
    let mr = K.gemmRows, nr = K.gemmColumns
    let plan = split(m: op.m, n: op.n, k: op.k, threads: threads, mr: mr, nr: nr)
    let prepacked = packedA.map { PrepackedA(floats: op.a, paddedRows: $0.paddedRows) }
    if plan.workers <= 1 {
      GEMMWorkspace.withCurrent { ws in
        runRegion(op, rows: 0..<op.m, cols: 0..<op.n, workspace: ws, prepacked: prepacked, K.self)
      }
      return
    }
    // A row split would pack each worker's rows of A from the original layout, which a packed
    // copy no longer has.
    let byRows = plan.byRows && packedA == nil
    let tiles = byRows ? (op.m + mr - 1) / mr : (op.n + nr - 1) / nr
    let unit = byRows ? mr : nr
    let extent = byRows ? op.m : op.n
    let workers = min(plan.workers, tiles)
    // A row split shares one packed B between the workers when it is not too large.
    let layout = SharedPackedB.Layout(
      k: op.k, n: op.n, kBlocks: GEMMBlocking.kBlockCount(op.k),
      nc: min(GEMMBlocking.nc(columns: nr), (op.n + nr - 1) / nr * nr), nr: nr)
    let shared = byRows ? SharedPackedB.current : nil
    let sharing = shared?.prepare(layout) == true ? shared : nil
    parallelFor(workers, threads: workers) { w in
      let lo = min(extent, tiles * w / workers * unit)
      let hi = min(extent, tiles * (w + 1) / workers * unit)
      if lo >= hi { return }
      GEMMWorkspace.withCurrent { ws in
        if byRows {
          let packedB = sharing.map { SharedB(packing: $0, start: layout.chunksPerBlock * w / workers) }
          runRegion(op, rows: lo..<hi, cols: 0..<op.n, workspace: ws, shared: packedB, K.self)
        } else {
          runRegion(op, rows: 0..<op.m, cols: lo..<hi, workspace: ws, prepacked: prepacked, K.self)
        }
      }
    }
  }

  /// A packed A as ``runRegion(_:rows:cols:workspace:shared:prepacked:_:)`` reads it.
  struct PrepackedA {
    var floats: UnsafePointer<Float>
    var paddedRows: Int
  }

  /// A worker's use of a shared packed B: the buffer, and the chunk it starts packing at.
  struct SharedB {
    var packing: SharedPackedB
    var start: Int
  }

  /// Computes the block `C[rows, cols]` on the calling thread with the packing memory of `ws`.
  static func runRegion<K: KernelShapes>(
    _ op: GEMMOperands, rows: Range<Int>, cols: Range<Int>, workspace ws: GEMMWorkspace,
    shared: SharedB? = nil, prepacked: PrepackedA? = nil, _: K.Type
  ) {
    let mr = K.gemmRows, nr = K.gemmColumns
    let kBlocks = GEMMBlocking.kBlockCount(op.k)
    let kcMax = (op.k + kBlocks - 1) / kBlocks
    let ncMax = min(GEMMBlocking.nc(columns: nr), (cols.count + nr - 1) / nr * nr)
    let mcMax = min(GEMMBlocking.mc(rows: mr), (rows.count + mr - 1) / mr * mr)
    let bBuf = shared == nil ? ws.bBuffer(count: ncMax * kcMax) : nil
    // A packed A serves regions of every row (its row blocks start at 0).
    let prepacked = rows == 0..<op.m ? prepacked : nil
    let aBuf = prepacked == nil ? ws.aBuffer(count: mcMax * kcMax) : nil
    let tile = ws.tile
    let aBlocks = GEMMBlocking.aBlocks(rows: rows.count, mr: mr, mcMax: mcMax)
    var jc = cols.lowerBound
    while jc < cols.upperBound {
      let nc = min(ncMax, cols.upperBound - jc)
      for kb in 0..<kBlocks {
        let p0 = op.k * kb / kBlocks
        let kc = op.k * (kb + 1) / kBlocks - p0
        let beta: Float = kb == 0 ? op.beta : 1
        let packedB: UnsafeMutablePointer<Float>
        if let shared {
          // With a shared B the region spans every column, so `jc` is a multiple of `ncMax`.
          packedB = shared.packing.block(
            op, jb: jc / ncMax, kb: kb, start: shared.start, K.self)
        } else {
          packedB = bBuf!
          gemmPackB(
            K.self, transposed: op.transposeB, op.b, ldb: op.ldb, p0: p0, kc: kc, j0: jc, nc: nc,
            into: packedB)
        }
        for block in 0..<aBlocks.count {
          let ic = rows.lowerBound + aBlocks.tiles * block / aBlocks.count * mr
          let end = rows.lowerBound + aBlocks.tiles * (block + 1) / aBlocks.count * mr
          let mc = min(rows.upperBound, end) - ic
          let packedA: UnsafeMutablePointer<Float>
          if let prepacked {
            packedA = UnsafeMutablePointer(mutating: prepacked.floats + p0 * prepacked.paddedRows + ic * kc)
          } else {
            packedA = aBuf!
            gemmPackA(
              K.self, transposed: op.transposeA, op.a, lda: op.lda, i0: ic, mc: mc, p0: p0, kc: kc,
              into: packedA)
          }
          macroKernel(
            kc: kc, mc: mc, nc: nc, a: packedA, b: packedB, c: op.c + ic * op.ldc + jc, ldc: op.ldc,
            alpha: op.alpha, beta: beta, tile: tile, K.self)
        }
      }
      jc += nc
    }
  }

  /// Multiplies a packed `mc x kc` A block by a packed `kc x nc` B block into C, one register
  /// tile at a time: B panels outside (a panel stays in L1), A panels inside.
  @inline(__always)
  static func macroKernel<K: KernelShapes>(
    kc: Int, mc: Int, nc: Int, a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, beta: Float,
    tile: UnsafeMutablePointer<Float>, _: K.Type
  ) {
    let mr = K.gemmRows, nr = K.gemmColumns
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
          K.gemmTile(kc, aPanel, bPanel, rowBytes, cTile, ldc, alpha, beta)
        } else if cols == nr {
          K.gemmShortTile(
            rows: rows, kc, aPanel, bPanel, rowBytes, cTile, ldc, alpha, beta, tile: tile)
        } else {
          gemmEdgeKernel(
            K.self, kc, aPanel, bPanel, rowBytes, cTile, ldc, rows: rows, cols: cols, alpha, beta,
            tile: tile)
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
