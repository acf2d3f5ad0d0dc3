// The compile-time shapes of each kernel variant, and the concrete kernels they run.
//
// Drivers (the SGEMM loop nest, the convolution tile loops) are generic over `KernelShapes` and
// specialised once per variant, so tile sizes are constants inside each copy; the public entry
// points switch on the run-time `KernelVariant` once per call. The tile bodies themselves are
// generic over the SIMD vector (`GEMMMicroKernel.swift`, `ConvolutionTiles.swift`) and forced
// inline into the small concrete `@inline(never)` functions below: one compiled kernel per
// variant, accumulators in registers, nothing generic left at run time.

/// The register-tile shapes and kernels of one ``KernelVariant``.
protocol KernelShapes {
  /// The SIMD vector the tiles are made of.
  associatedtype Vector: SIMD where Vector.Scalar == Float

  /// Rows of the SGEMM register tile (rows of a packed A panel).
  static var gemmRows: Int { get }
  /// Vectors per row of the SGEMM register tile.
  static var gemmVectors: Int { get }
  /// One full SGEMM register tile (see ``gemmTile2(_:rows:aStride:_:_:_:_:_:_:_:_:)``).
  static func gemmTile(
    _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafeRawPointer, _ bRowBytes: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float)
  /// The first `rows` rows (`0 < rows < gemmRows`) of a full-width SGEMM register tile, at a
  /// cost in proportion to the rows where the variant has such tiles (see
  /// ``gemmShortTile2(_:rows:aStride:_:_:_:_:_:_:_:_:)``); `tile` is scratch for the others.
  static func gemmShortTile(
    rows: Int, _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafeRawPointer, _ bRowBytes: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float,
    tile: UnsafeMutablePointer<Float>)

  /// Rows of the convolution tile (rows of a packed weight panel).
  static var convolutionRows: Int { get }
  /// One full convolution tile of `convolutionRows` x 2 vectors (see
  /// ``ConvolutionKernels/tile2(_:rows:aStride:depth:a:b:offsets:secondB:c:secondC:ldc:bias:)``).
  static func convolutionTile(
    depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
    secondB: Int, c: UnsafeMutablePointer<Float>, secondC: Int, ldc: Int,
    bias: UnsafePointer<Float>?)

  /// `x` rows (output-gradient channels) of the weight-gradient dot-product tile.
  static var dotRowsX: Int { get }
  /// `y` rows (patch rows) of the weight-gradient dot-product tile.
  static var dotRowsY: Int { get }
  /// One dot-product tile (see
  /// ``ConvolutionKernels/dotTile4x5(_:segments:segmentCount:x:ldx:xRows:y:offsets:yRows:lanes:first:out:strideX:strideY:)``).
  static func dotTile(
    segments: UnsafePointer<Int>, segmentCount: Int, x: UnsafePointer<Float>, ldx: Int,
    xRows: Int, y: UnsafePointer<Float>, offsets: UnsafePointer<Int>, yRows: Int,
    lanes: UnsafeMutableRawPointer, first: Bool, out: UnsafeMutablePointer<Float>?, strideX: Int,
    strideY: Int)
}

extension KernelShapes {
  /// Columns of the SGEMM register tile (columns of a packed B panel).
  @inline(__always) static var gemmColumns: Int { gemmVectors * Vector.scalarCount }

  /// Short tiles two vectors wide (``gemmShortTile2(_:rows:aStride:_:_:_:_:_:_:_:_:)``), for
  /// the variants whose SGEMM tile is two vectors wide; specialised once per variant. NEON's
  /// tile is three vectors wide and has its own.
  @inline(never)
  static func gemmShortTile(
    rows: Int, _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafeRawPointer, _ bRowBytes: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float,
    tile: UnsafeMutablePointer<Float>
  ) {
    precondition(gemmVectors == 2, "gemmShortTile: two-vector tiles only")
    gemmShortTile2(
      Vector.self, rows: rows, aStride: gemmRows, kc, a, b, bRowBytes, c, ldc, alpha, beta)
  }
  /// Columns of the convolution tile: two vectors.
  @inline(__always) static var convolutionColumns: Int { 2 * Vector.scalarCount }

  /// The shapes, for reports.
  static var tileShapes: KernelTileShapes {
    KernelTileShapes(
      vectorWidth: Vector.scalarCount, gemm: [gemmRows, gemmColumns],
      convolution: [convolutionRows, convolutionColumns],
      dotProduct: [dotRowsX, dotRowsY])
  }
}

/// Byte alignment of packing buffers and scratch tiles: a cache line, and the widest vector.
let kernelAlignment = 64
/// Floats of the largest SGEMM register tile of any variant (the edge-tile scratch).
let largestGEMMTile = 8 * 32

// MARK: - The variants

/// AVX-512: `SIMD16<Float>`; 16 of 32 registers hold an 8 x 32 SGEMM tile. Eight rows rather
/// than six: more multiply-adds per load, and whole tiles for 16- and 64-channel convolutions.
enum AVX512Kernels: KernelShapes {
  typealias Vector = SIMD16<Float>
  static var gemmRows: Int { 8 }
  static var gemmVectors: Int { 2 }
  static var convolutionRows: Int { 8 }
  static var dotRowsX: Int { 4 }
  static var dotRowsY: Int { 5 }

  @inline(never)
  static func gemmTile(
    _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafeRawPointer, _ bRowBytes: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float
  ) {
    gemmTile2(Vector.self, rows: 8, aStride: 8, kc, a, b, bRowBytes, c, ldc, alpha, beta)
  }

  @inline(never)
  static func convolutionTile(
    depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
    secondB: Int, c: UnsafeMutablePointer<Float>, secondC: Int, ldc: Int,
    bias: UnsafePointer<Float>?
  ) {
    ConvolutionKernels.tile2(
      Vector.self, rows: 8, aStride: 8, depth: depth, a: a, b: b, offsets: offsets,
      secondB: secondB, c: c, secondC: secondC, ldc: ldc, bias: bias)
  }

  // 4 x 5: 20 accumulators and 9 operands fit 32 registers even when the compiler issues every
  // load of an iteration first (a 4 x 6 tile then needed 34 and spilled, 75% of the speed).
  // Optimised for size: unrolling the segment loop doubles the live vectors and spills them
  // (measured on the AVX-512 build); size mode keeps the loop rolled.
  @inline(never)
  @_optimize(size)
  static func dotTile(
    segments: UnsafePointer<Int>, segmentCount: Int, x: UnsafePointer<Float>, ldx: Int,
    xRows: Int, y: UnsafePointer<Float>, offsets: UnsafePointer<Int>, yRows: Int,
    lanes: UnsafeMutableRawPointer, first: Bool, out: UnsafeMutablePointer<Float>?, strideX: Int,
    strideY: Int
  ) {
    ConvolutionKernels.dotTile4x5(
      Vector.self, segments: segments, segmentCount: segmentCount, x: x, ldx: ldx, xRows: xRows,
      y: y, offsets: offsets, yRows: yRows, lanes: lanes, first: first, out: out, strideX: strideX,
      strideY: strideY)
  }
}

/// AVX2: `SIMD8<Float>`; 12 of 16 registers hold a 6 x 16 tile (a 16-accumulator tile spills).
enum AVX2Kernels: KernelShapes {
  typealias Vector = SIMD8<Float>
  static var gemmRows: Int { 6 }
  static var gemmVectors: Int { 2 }
  static var convolutionRows: Int { 6 }
  static var dotRowsX: Int { 3 }
  static var dotRowsY: Int { 3 }

  @inline(never)
  static func gemmTile(
    _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafeRawPointer, _ bRowBytes: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float
  ) {
    gemmTile2(Vector.self, rows: 6, aStride: 6, kc, a, b, bRowBytes, c, ldc, alpha, beta)
  }

  @inline(never)
  static func convolutionTile(
    depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
    secondB: Int, c: UnsafeMutablePointer<Float>, secondC: Int, ldc: Int,
    bias: UnsafePointer<Float>?
  ) {
    ConvolutionKernels.tile2(
      Vector.self, rows: 6, aStride: 6, depth: depth, a: a, b: b, offsets: offsets,
      secondB: secondB, c: c, secondC: secondC, ldc: ldc, bias: bias)
  }

  @inline(never)
  static func dotTile(
    segments: UnsafePointer<Int>, segmentCount: Int, x: UnsafePointer<Float>, ldx: Int,
    xRows: Int, y: UnsafePointer<Float>, offsets: UnsafePointer<Int>, yRows: Int,
    lanes: UnsafeMutableRawPointer, first: Bool, out: UnsafeMutablePointer<Float>?, strideX: Int,
    strideY: Int
  ) {
    ConvolutionKernels.dotTile3x3(
      Vector.self, segments: segments, segmentCount: segmentCount, x: x, ldx: ldx, xRows: xRows,
      y: y, offsets: offsets, yRows: yRows, lanes: lanes, first: first, out: out, strideX: strideX,
      strideY: strideY)
  }
}

/// NEON (arm64): `SIMD4<Float>`; 24 of 32 registers hold an 8 x 12 SGEMM tile, 3 more the B
/// row. The convolution tile is 8 x 8 (16 accumulators): its columns must divide the 16-pixel
/// runs of the convolution driver. Compiled (and testable) on every architecture; sized, not
/// timed, for arm64.
enum NEONKernels: KernelShapes {
  typealias Vector = SIMD4<Float>
  static var gemmRows: Int { 8 }
  static var gemmVectors: Int { 3 }
  static var convolutionRows: Int { 8 }
  static var dotRowsX: Int { 4 }
  static var dotRowsY: Int { 5 }

  @inline(never)
  static func gemmTile(
    _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafeRawPointer, _ bRowBytes: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float
  ) {
    gemmTile8x3(Vector.self, kc, a, b, bRowBytes, c, ldc, alpha, beta)
  }

  /// No short tiles for three-vector rows yet: the full tile into scratch, valid rows copied.
  @inline(never)
  static func gemmShortTile(
    rows: Int, _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafeRawPointer, _ bRowBytes: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float,
    tile: UnsafeMutablePointer<Float>
  ) {
    gemmEdgeKernel(
      Self.self, kc, a, b, bRowBytes, c, ldc, rows: rows, cols: gemmColumns, alpha, beta,
      tile: tile)
  }

  @inline(never)
  static func convolutionTile(
    depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
    secondB: Int, c: UnsafeMutablePointer<Float>, secondC: Int, ldc: Int,
    bias: UnsafePointer<Float>?
  ) {
    ConvolutionKernels.tile2(
      Vector.self, rows: 8, aStride: 8, depth: depth, a: a, b: b, offsets: offsets,
      secondB: secondB, c: c, secondC: secondC, ldc: ldc, bias: bias)
  }

  // 4 x 5: 20 accumulators and 9 operands fit 32 registers even when the compiler issues every
  // load of an iteration first (a 4 x 6 tile then needed 34 and spilled, 75% of the speed).
  // Optimised for size: unrolling the segment loop doubles the live vectors and spills them
  // (measured on the AVX-512 build); size mode keeps the loop rolled.
  @inline(never)
  @_optimize(size)
  static func dotTile(
    segments: UnsafePointer<Int>, segmentCount: Int, x: UnsafePointer<Float>, ldx: Int,
    xRows: Int, y: UnsafePointer<Float>, offsets: UnsafePointer<Int>, yRows: Int,
    lanes: UnsafeMutableRawPointer, first: Bool, out: UnsafeMutablePointer<Float>?, strideX: Int,
    strideY: Int
  ) {
    ConvolutionKernels.dotTile4x5(
      Vector.self, segments: segments, segmentCount: segmentCount, x: x, ldx: ldx, xRows: xRows,
      y: y, offsets: offsets, yRows: yRows, lanes: lanes, first: first, out: out, strideX: strideX,
      strideY: strideY)
  }
}

/// Generic: `SIMD4<Float>` with 12 accumulators, for 16 128-bit registers (SSE-only x86, or an
/// unknown CPU).
enum GenericKernels: KernelShapes {
  typealias Vector = SIMD4<Float>
  static var gemmRows: Int { 6 }
  static var gemmVectors: Int { 2 }
  static var convolutionRows: Int { 6 }
  static var dotRowsX: Int { 3 }
  static var dotRowsY: Int { 3 }

  @inline(never)
  static func gemmTile(
    _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafeRawPointer, _ bRowBytes: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ alpha: Float, _ beta: Float
  ) {
    gemmTile2(Vector.self, rows: 6, aStride: 6, kc, a, b, bRowBytes, c, ldc, alpha, beta)
  }

  @inline(never)
  static func convolutionTile(
    depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
    secondB: Int, c: UnsafeMutablePointer<Float>, secondC: Int, ldc: Int,
    bias: UnsafePointer<Float>?
  ) {
    ConvolutionKernels.tile2(
      Vector.self, rows: 6, aStride: 6, depth: depth, a: a, b: b, offsets: offsets,
      secondB: secondB, c: c, secondC: secondC, ldc: ldc, bias: bias)
  }

  @inline(never)
  static func dotTile(
    segments: UnsafePointer<Int>, segmentCount: Int, x: UnsafePointer<Float>, ldx: Int,
    xRows: Int, y: UnsafePointer<Float>, offsets: UnsafePointer<Int>, yRows: Int,
    lanes: UnsafeMutableRawPointer, first: Bool, out: UnsafeMutablePointer<Float>?, strideX: Int,
    strideY: Int
  ) {
    ConvolutionKernels.dotTile3x3(
      Vector.self, segments: segments, segmentCount: segmentCount, x: x, ldx: ldx, xRows: xRows,
      y: y, offsets: offsets, yRows: yRows, lanes: lanes, first: first, out: out, strideX: strideX,
      strideY: strideY)
  }
}
