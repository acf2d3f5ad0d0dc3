// Convolution product tiles with fewer rows than the variant's, and the cut of a product's rows
// into weight panels of nearly equal size.
//
// With a 6-row AVX2 tile, 16 output channels made panels of 6, 6 and 4 rows and 32 made five of 6
// and one of 2; the full tile ran all 6 rows of multiply-adds for the short panel (11% of the
// multiply-adds of every 16- and 32-channel product wasted). Rows are now cut into
// `ceil(rows / R)` panels whose sizes differ by at most one (16 -> 5, 5, 6; 32 -> 5, 5, 6, 5, 5,
// 6), and a panel below `R` rows runs a tile that multiply-adds only its rows. Each row keeps two
// accumulators whose multiply-adds wait on the previous step (about 4 cycles), so an `r`-row tile
// takes about `max(4, r)` cycles per step against `R` for a full one.
//
// Every output element is the same sum, in the same order, whichever panel or tile computes it:
// the bias (or zero), then one fused multiply-add per step over `p`. Results are bit-identical to
// the full tiles'.

extension ConvolutionKernels {
  /// The rows of weight panel `panel` when `rows` rows are cut into `ceil(rows / panelRows)`
  /// panels of nearly equal size (the later ones are the larger).
  @inline(__always)
  static func panelBounds(_ panel: Int, rows: Int, panelRows: Int) -> Range<Int> {
    let count = (rows + panelRows - 1) / panelRows
    return (rows * panel / count)..<(rows * (panel + 1) / count)
  }

  /// The first `rows` rows (`1 ... 7`, fewer than the variant's) of a convolution tile two vectors
  /// wide (see ``tile8x2(_:depth:a:b:offsets:secondB:c:secondC:ldc:rows:bias:)``); `a` is a packed
  /// weight panel with `aStride` floats per step (rows past `rows` are not read).
  @inline(__always)
  static func shortTile2<V: SIMD>(
    _: V.Type, rows: Int, aStride: Int, depth: Int, a: UnsafePointer<Float>,
    b: UnsafePointer<Float>, offsets: UnsafePointer<Int>, secondB: Int,
    c: UnsafeMutablePointer<Float>, secondC: Int, ldc: Int, bias: UnsafePointer<Float>?
  ) where V.Scalar == Float {
    // One copy of the loop per row count: `r` is a constant in each, so the unused rows fold away.
    switch rows {
    case 1: shortRows2(V.self, 1, aStride, depth, a, b, offsets, secondB, c, secondC, ldc, bias)
    case 2: shortRows2(V.self, 2, aStride, depth, a, b, offsets, secondB, c, secondC, ldc, bias)
    case 3: shortRows2(V.self, 3, aStride, depth, a, b, offsets, secondB, c, secondC, ldc, bias)
    case 4: shortRows2(V.self, 4, aStride, depth, a, b, offsets, secondB, c, secondC, ldc, bias)
    case 5: shortRows2(V.self, 5, aStride, depth, a, b, offsets, secondB, c, secondC, ldc, bias)
    case 6: shortRows2(V.self, 6, aStride, depth, a, b, offsets, secondB, c, secondC, ldc, bias)
    case 7: shortRows2(V.self, 7, aStride, depth, a, b, offsets, secondB, c, secondC, ldc, bias)
    default: preconditionFailure("shortTile2: \(rows) rows, expected 1 to 7")
    }
  }

  /// The body of ``shortTile2(_:rows:aStride:depth:a:b:offsets:secondB:c:secondC:ldc:bias:)`` for
  /// `r` rows; inlined with a constant `r`, so every `r > i` test is decided at compile time.
  @inline(__always)
  private static func shortRows2<V: SIMD>(
    _: V.Type, _ r: Int, _ aStride: Int, _ depth: Int, _ a: UnsafePointer<Float>,
    _ b: UnsafePointer<Float>, _ offsets: UnsafePointer<Int>, _ secondB: Int,
    _ c: UnsafeMutablePointer<Float>, _ secondC: Int, _ ldc: Int, _ bias: UnsafePointer<Float>?
  ) where V.Scalar == Float {
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
    if let bias {
      c00 = V(repeating: bias[0])
      if r > 1 { c10 = V(repeating: bias[1]) }
      if r > 2 { c20 = V(repeating: bias[2]) }
      if r > 3 { c30 = V(repeating: bias[3]) }
      if r > 4 { c40 = V(repeating: bias[4]) }
      if r > 5 { c50 = V(repeating: bias[5]) }
      if r > 6 { c60 = V(repeating: bias[6]) }
      (c01, c11, c21, c31, c41, c51, c61) = (c00, c10, c20, c30, c40, c50, c60)
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
      if r > 1 {
        av = V(repeating: pa[1])
        c10.addProduct(av, b0)
        c11.addProduct(av, b1)
      }
      if r > 2 {
        av = V(repeating: pa[2])
        c20.addProduct(av, b0)
        c21.addProduct(av, b1)
      }
      if r > 3 {
        av = V(repeating: pa[3])
        c30.addProduct(av, b0)
        c31.addProduct(av, b1)
      }
      if r > 4 {
        av = V(repeating: pa[4])
        c40.addProduct(av, b0)
        c41.addProduct(av, b1)
      }
      if r > 5 {
        av = V(repeating: pa[5])
        c50.addProduct(av, b0)
        c51.addProduct(av, b1)
      }
      if r > 6 {
        av = V(repeating: pa[6])
        c60.addProduct(av, b0)
        c61.addProduct(av, b1)
      }
      pa += aStride
    }
    @inline(__always) func store(_ row: Int, _ first: V, _ other: V) {
      let raw = UnsafeMutableRawPointer(c + row * ldc)
      raw.storeBytes(of: first, as: V.self)
      raw.storeBytes(of: other, toByteOffset: secondC &* 4, as: V.self)
    }
    store(0, c00, c01)
    if r > 1 { store(1, c10, c11) }
    if r > 2 { store(2, c20, c21) }
    if r > 3 { store(3, c30, c31) }
    if r > 4 { store(4, c40, c41) }
    if r > 5 { store(5, c50, c51) }
    if r > 6 { store(6, c60, c61) }
  }
}

extension KernelShapes {
  /// The first `rows` rows (`0 < rows < convolutionRows`) of a convolution tile, at a cost in
  /// proportion to the rows (see
  /// ``ConvolutionKernels/shortTile2(_:rows:aStride:depth:a:b:offsets:secondB:c:secondC:ldc:bias:)``);
  /// specialised once per variant.
  @inline(never)
  static func convolutionShortTile(
    depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
    secondB: Int, c: UnsafeMutablePointer<Float>, secondC: Int, ldc: Int, rows: Int,
    bias: UnsafePointer<Float>?
  ) {
    ConvolutionKernels.shortTile2(
      Vector.self, rows: rows, aStride: convolutionRows, depth: depth, a: a, b: b,
      offsets: offsets, secondB: secondB, c: c, secondC: secondC, ldc: ldc, bias: bias)
  }
}
