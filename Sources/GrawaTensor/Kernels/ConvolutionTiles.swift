#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The register-tiled products under every convolution pass, and the per-thread scratch memory of
// the convolution driver.

/// Register-tiled products specialised for NCHW convolution operands.
///
/// The patch matrix is never packed: its rows are read in place through a table of row offsets,
/// which covers both an explicit patch matrix (offsets `r * ld`) and an implicit one (offsets of
/// shifted views into a zero-padded image, `c * planeSize + kh * paddedWidth + kw`). Only the
/// weights, which are small, are packed.
///
/// - ``tile(depth:a:b:offsets:secondB:c:secondC:ldc:rows:bias:)`` computes an 8 x 32 block
///   `C = A * B`: the forward product `W * col` and the input-gradient product `Wᵀ * dy`.
///   Channel counts are usually multiples of 8, so the 8-row weight panels are usually full.
/// - ``dotTile(segments:segmentCount:x:ldx:xRows:y:offsets:yRows:out:strideX:strideY:)`` computes
///   a 4 x 6 block of dot products along runs of pixels: the weight gradient `dy * colᵀ` of the
///   padded-plane passes. (The explicit patch-matrix path leaves that long product to ``GEMM``.)
///
/// Accumulators are separate named locals (an array of SIMD values would live in memory). Every
/// sum runs in a fixed order, so results are deterministic.
enum ConvolutionKernels {
  typealias V = SIMD16<Float>
  /// Rows of a ``tile(depth:a:b:offsets:secondB:c:secondC:ldc:rows:bias:)`` block (rows of a
  /// packed panel).
  static let panelRows = 8
  /// Columns of a ``tile(depth:a:b:offsets:secondB:c:secondC:ldc:rows:bias:)`` block.
  static let tileColumns = 32
  /// Rows of the `x` operand of a dot-product tile.
  static let dotRowsX = 4
  /// Rows of the `y` operand of a dot-product tile.
  static let dotRowsY = 6

  /// Packs the `rows x depth` matrix with element `(i, p)` at
  /// `src[i * rowStride + p * depthStride]` into 8-row panels:
  /// `dst[(i / 8) * depth * 8 + p * 8 + i % 8]`, rows past `rows` zero.
  /// Needs `ceil(rows / 8) * 8 * depth` floats.
  static func pack(
    _ src: UnsafePointer<Float>, rows: Int, depth: Int, rowStride: Int, depthStride: Int,
    into dst: UnsafeMutablePointer<Float>
  ) {
    let panels = (rows + panelRows - 1) / panelRows
    for panel in 0..<panels {
      let out = dst + panel * depth * panelRows
      for r in 0..<panelRows {
        let i = panel * panelRows + r
        if i < rows {
          let from = src + i * rowStride
          for p in 0..<depth { out[p * panelRows + r] = from[p * depthStride] }
        } else {
          for p in 0..<depth { out[p * panelRows + r] = 0 }
        }
      }
    }
  }

  /// `C[r, 0..<32] = bias[r] + sum_p A[r, p] * B[p, 0..<32]` for `r < rows` (at most 8), where `a`
  /// is one packed panel (`depth` groups of 8) and `C`'s rows are `ldc` apart.
  ///
  /// The 32 columns are two runs of 16: in row `p` of `B` they start at `b + offsets[p]` and
  /// `secondB` floats further; in row `r` of `C` at `c + r * ldc` and `secondC` further. (Two
  /// output rows of a 16-pixel-wide image make one tile.) The runs may coincide, in which case both
  /// store the same values. The sum over `p` runs in order, one fused multiply-add per step.
  @inline(never)
  static func tile(
    depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
    secondB: Int, c: UnsafeMutablePointer<Float>, secondC: Int, ldc: Int, rows: Int,
    bias: UnsafePointer<Float>?
  ) {
    var c00 = V()
    var c01 = V()
    var c10 = V()
    var c11 = V()
    var c20 = V()
    var c21 = V()
    var c30 = V()
    var c31 = V()
    var c40 = V()
    var c41 = V()
    var c50 = V()
    var c51 = V()
    var c60 = V()
    var c61 = V()
    var c70 = V()
    var c71 = V()
    if let bias {
      // Rows past `rows` are never stored, so they may start from any value.
      let last = rows - 1
      c00 = V(repeating: bias[0])
      c10 = V(repeating: bias[min(1, last)])
      c20 = V(repeating: bias[min(2, last)])
      c30 = V(repeating: bias[min(3, last)])
      c40 = V(repeating: bias[min(4, last)])
      c50 = V(repeating: bias[min(5, last)])
      c60 = V(repeating: bias[min(6, last)])
      c70 = V(repeating: bias[min(7, last)])
      (c01, c11, c21, c31, c41, c51, c61, c71) = (c00, c10, c20, c30, c40, c50, c60, c70)
    }
    var pa = a
    let base = UnsafeRawPointer(b)
    let second = secondB &* 4
    for p in 0..<depth {
      let pb = base + offsets[p] &* 4
      let b0 = pb.loadUnaligned(as: V.self)
      let b1 = pb.loadUnaligned(fromByteOffset: second, as: V.self)
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
    }
    @inline(__always) func store(_ row: Int, _ first: V, _ other: V) {
      let raw = UnsafeMutableRawPointer(c + row * ldc)
      raw.storeBytes(of: first, as: V.self)
      raw.storeBytes(of: other, toByteOffset: secondC &* 4, as: V.self)
    }
    store(0, c00, c01)
    if rows > 1 { store(1, c10, c11) }
    if rows > 2 { store(2, c20, c21) }
    if rows > 3 { store(3, c30, c31) }
    if rows > 4 { store(4, c40, c41) }
    if rows > 5 { store(5, c50, c51) }
    if rows > 6 { store(6, c60, c61) }
    if rows > 7 { store(7, c70, c71) }
  }

  /// The sum of the 16 lanes, as a fixed tree (halves added pairwise).
  @inline(__always)
  static func horizontalSum(_ v: V) -> Float {
    let h8 = v.lowHalf + v.highHalf
    let h4 = h8.lowHalf + h8.highHalf
    let h2 = h4.lowHalf + h4.highHalf
    return h2[0] + h2[1]
  }

  /// `out[i * strideX + j * strideY] += sum_s sum_{l < 16} x_i[xs + l] * y_j[ys + l]`, where `(xs,
  /// ys)` runs over the `segmentCount` pairs at `segments`, for `i < xRows` (at most 4) and
  /// `j < yRows` (at most 6); row `i` of `x` starts at `x + i * ldx`, row `j` of `y` at
  /// `y + offsets[j]`. (Contiguous rows are segments `(16 s, 16 s)`; an image read in place and a
  /// zero-padded copy of it pair up row by row.)
  ///
  /// Each product is summed in 16 lanes over the segments in order, then the lanes in a fixed
  /// tree.
  @inline(never)
  static func dotTile(
    segments: UnsafePointer<Int>, segmentCount: Int, x: UnsafePointer<Float>, ldx: Int, xRows: Int,
    y: UnsafePointer<Float>, offsets: UnsafePointer<Int>, yRows: Int,
    out: UnsafeMutablePointer<Float>,
    strideX: Int, strideY: Int
  ) {
    // Rows past the end repeat the last row (their sums are discarded): no branches in the loop.
    @inline(__always) func xRow(_ i: Int) -> UnsafeRawPointer {
      UnsafeRawPointer(x + min(i, xRows - 1) * ldx)
    }
    @inline(__always) func yRow(_ j: Int) -> UnsafeRawPointer {
      UnsafeRawPointer(y + offsets[min(j, yRows - 1)])
    }
    let (x0, x1, x2, x3) = (xRow(0), xRow(1), xRow(2), xRow(3))
    let (y0, y1, y2, y3, y4, y5) = (yRow(0), yRow(1), yRow(2), yRow(3), yRow(4), yRow(5))
    var a00 = V()
    var a01 = V()
    var a02 = V()
    var a03 = V()
    var a04 = V()
    var a05 = V()
    var a10 = V()
    var a11 = V()
    var a12 = V()
    var a13 = V()
    var a14 = V()
    var a15 = V()
    var a20 = V()
    var a21 = V()
    var a22 = V()
    var a23 = V()
    var a24 = V()
    var a25 = V()
    var a30 = V()
    var a31 = V()
    var a32 = V()
    var a33 = V()
    var a34 = V()
    var a35 = V()
    var segment = segments
    for _ in 0..<segmentCount {
      let offset = segment[0] &* 4
      let u0 = x0.loadUnaligned(fromByteOffset: offset, as: V.self)
      let u1 = x1.loadUnaligned(fromByteOffset: offset, as: V.self)
      let u2 = x2.loadUnaligned(fromByteOffset: offset, as: V.self)
      let u3 = x3.loadUnaligned(fromByteOffset: offset, as: V.self)
      let yOffset = segment[1] &* 4
      segment += 2
      var v = y0.loadUnaligned(fromByteOffset: yOffset, as: V.self)
      a00.addProduct(u0, v)
      a10.addProduct(u1, v)
      a20.addProduct(u2, v)
      a30.addProduct(u3, v)
      v = y1.loadUnaligned(fromByteOffset: yOffset, as: V.self)
      a01.addProduct(u0, v)
      a11.addProduct(u1, v)
      a21.addProduct(u2, v)
      a31.addProduct(u3, v)
      v = y2.loadUnaligned(fromByteOffset: yOffset, as: V.self)
      a02.addProduct(u0, v)
      a12.addProduct(u1, v)
      a22.addProduct(u2, v)
      a32.addProduct(u3, v)
      v = y3.loadUnaligned(fromByteOffset: yOffset, as: V.self)
      a03.addProduct(u0, v)
      a13.addProduct(u1, v)
      a23.addProduct(u2, v)
      a33.addProduct(u3, v)
      v = y4.loadUnaligned(fromByteOffset: yOffset, as: V.self)
      a04.addProduct(u0, v)
      a14.addProduct(u1, v)
      a24.addProduct(u2, v)
      a34.addProduct(u3, v)
      v = y5.loadUnaligned(fromByteOffset: yOffset, as: V.self)
      a05.addProduct(u0, v)
      a15.addProduct(u1, v)
      a25.addProduct(u2, v)
      a35.addProduct(u3, v)
    }
    @inline(__always) func add(_ j: Int, _ s0: V, _ s1: V, _ s2: V, _ s3: V) {
      guard j < yRows else { return }
      let target = out + j * strideY
      target[0] += horizontalSum(s0)
      if xRows > 1 { target[strideX] += horizontalSum(s1) }
      if xRows > 2 { target[2 * strideX] += horizontalSum(s2) }
      if xRows > 3 { target[3 * strideX] += horizontalSum(s3) }
    }
    add(0, a00, a10, a20, a30)
    add(1, a01, a11, a21, a31)
    add(2, a02, a12, a22, a32)
    add(3, a03, a13, a23, a33)
    add(4, a04, a14, a24, a34)
    add(5, a05, a15, a25, a35)
  }

  // MARK: - Whole products

  /// `C = bias + A * B` tile by tile: `A` packed (`rows x depth`, see
  /// ``pack(_:rows:depth:rowStride:depthStride:into:)``), row `p` of `B` at `b + offsets[p]`, and
  /// `tileCount` tiles described by four offsets each at `tiles`: where the two 16-column runs
  /// start in `B`'s rows and in `C`'s rows (rows `ldc` apart). Tiles are the outer loop, so a tile
  /// of `B` stays in L1 while every weight panel passes over it; with `threads > 1` the tiles are
  /// shared out in contiguous ranges (each output element is still computed by one tile).
  static func multiply(
    packed a: UnsafePointer<Float>, rows: Int, depth: Int, b: UnsafePointer<Float>,
    offsets: UnsafePointer<Int>, tiles: UnsafePointer<Int>, tileCount: Int,
    bias: UnsafePointer<Float>?,
    c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int
  ) {
    let workers = max(1, min(threads, tileCount / 4))
    parallelFor(workers, threads: workers) { w in
      multiplyTiles(
        packed: a, rows: rows, depth: depth, b: b, offsets: offsets, tiles: tiles,
        range: (tileCount * w / workers)..<(tileCount * (w + 1) / workers), bias: bias, c: c,
        ldc: ldc)
    }
  }

  /// The tiles `range` of
  /// ``multiply(packed:rows:depth:b:offsets:tiles:tileCount:bias:c:ldc:threads:)``.
  private static func multiplyTiles(
    packed a: UnsafePointer<Float>, rows: Int, depth: Int, b: UnsafePointer<Float>,
    offsets: UnsafePointer<Int>, tiles: UnsafePointer<Int>, range: Range<Int>,
    bias: UnsafePointer<Float>?,
    c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    for t in range {
      let (b0, b1, c0, c1) = (tiles[4 * t], tiles[4 * t + 1], tiles[4 * t + 2], tiles[4 * t + 3])
      var row = 0
      while row < rows {
        tile(
          depth: depth, a: a + row * depth, b: b + b0, offsets: offsets, secondB: b1 - b0,
          c: c + row * ldc + c0, secondC: c1 - c0, ldc: ldc, rows: min(panelRows, rows - row),
          bias: bias.map { $0 + row })
        row += panelRows
      }
    }
  }

  /// Tile descriptors (see
  /// ``multiply(packed:rows:depth:b:offsets:tiles:tileCount:bias:c:ldc:threads:)``)
  /// for contiguous rows of `columns` floats (a multiple of 32) in both `B` and `C`.
  static func contiguousTiles(columns: Int) -> [Int] {
    var list: [Int] = []
    for t in 0..<(columns / tileColumns) {
      let start = t * tileColumns
      list += [start, start + 16, start, start + 16]
    }
    return list
  }

  /// `out[i * ldOut + j] += sum over segments of x_i * y_j` (see
  /// ``dotTile(segments:segmentCount:x:ldx:xRows:y:offsets:yRows:out:strideX:strideY:)``) for
  /// `i < xCount`, `j < yCount`: tiles of six `y` rows (kept in L1) in the outer loop, tiles of
  /// four `x` rows streaming past them in the inner loop. With `threads > 1` the `y` tiles are
  /// shared out in contiguous ranges (each output element is still summed by one tile).
  static func dotProducts(
    segments: UnsafePointer<Int>, segmentCount: Int, x: UnsafePointer<Float>, ldx: Int, xCount: Int,
    y: UnsafePointer<Float>, offsets: UnsafePointer<Int>, yCount: Int,
    out: UnsafeMutablePointer<Float>,
    ldOut: Int, threads: Int
  ) {
    let blocks = (yCount + dotRowsY - 1) / dotRowsY
    let workers = max(1, min(threads, blocks / 2))
    parallelFor(workers, threads: workers) { w in
      var j = blocks * w / workers * dotRowsY
      let end = min(yCount, blocks * (w + 1) / workers * dotRowsY)
      while j < end {
        var i = 0
        while i < xCount {
          dotTile(
            segments: segments, segmentCount: segmentCount, x: x + i * ldx, ldx: ldx,
            xRows: min(dotRowsX, xCount - i), y: y, offsets: offsets + j,
            yRows: min(dotRowsY, yCount - j),
            out: out + i * ldOut + j, strideX: ldOut, strideY: 1)
          i += dotRowsX
        }
        j += dotRowsY
      }
    }
  }
}

// MARK: - Scratch memory

/// Per-thread scratch buffers for the convolution driver (patch matrices, padded images,
/// regrouped gradients).
///
/// Each thread that runs convolution work gets its own workspace, created on first use and kept
/// (grown on demand, never shrunk) until the thread exits, so repeated convolutions allocate
/// nothing. Independent threads, each training its own model, never share one. A re-entrant use
/// on the same thread gets a temporary workspace.
final class ConvolutionWorkspace {
  private var storage: [UnsafeMutableRawPointer?] = [nil, nil, nil]
  private var capacity: [Int] = [0, 0, 0]
  private var inUse = false

  deinit {
    for pointer in storage { pointer?.deallocate() }
  }

  /// A 64-byte aligned buffer of at least `count` floats (contents undefined); `slot` 0, 1 or 2
  /// selects one of three independent buffers.
  func buffer(_ slot: Int, count: Int) -> UnsafeMutablePointer<Float> {
    if let pointer = storage[slot], capacity[slot] >= count {
      return pointer.assumingMemoryBound(to: Float.self)
    }
    storage[slot]?.deallocate()
    let floats = max(count, 16)
    let raw = UnsafeMutableRawPointer.allocate(
      byteCount: floats * MemoryLayout<Float>.stride, alignment: 64)
    storage[slot] = raw
    capacity[slot] = floats
    return raw.bindMemory(to: Float.self, capacity: floats)
  }

  private static let key: pthread_key_t = {
    var key = pthread_key_t()
    let status = pthread_key_create(&key) { raw in
      guard let raw = raw as UnsafeMutableRawPointer? else { return }
      Unmanaged<ConvolutionWorkspace>.fromOpaque(raw).release()
    }
    precondition(status == 0, "pthread_key_create failed with status \(status)")
    return key
  }()

  /// Runs `body` with the calling thread's workspace.
  static func withCurrent<R>(_ body: (ConvolutionWorkspace) -> R) -> R {
    let workspace: ConvolutionWorkspace
    if let raw = pthread_getspecific(key) {
      workspace = Unmanaged<ConvolutionWorkspace>.fromOpaque(raw).takeUnretainedValue()
    } else {
      workspace = ConvolutionWorkspace()
      pthread_setspecific(key, Unmanaged.passRetained(workspace).toOpaque())
    }
    if workspace.inUse { return body(ConvolutionWorkspace()) }
    workspace.inUse = true
    defer { workspace.inUse = false }
    return body(workspace)
  }
}
