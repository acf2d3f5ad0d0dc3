// The accumulators of a register tile two vectors wide, for the tiles whose row count is a
// compile-time constant of each inlined copy (the short SGEMM and convolution tiles).

/// Up to 8 rows of two vectors of sums, as named fields (an array of vectors would live in
/// memory). Every method takes the number of rows in use, `r`; inlined with a constant `r`, the
/// rows past it fold away and the rest stay in registers.
struct TileRows2<V: SIMD> where V.Scalar == Float {
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

  /// All sums zero.
  @inline(__always) init() {}

  /// Row `i < r` starts from `bias[i]` in every lane (zero without a bias).
  @inline(__always) init(_ r: Int, bias: UnsafePointer<Float>?) {
    guard let bias else { return }
    c00 = V(repeating: bias[0])
    if r > 1 { c10 = V(repeating: bias[1]) }
    if r > 2 { c20 = V(repeating: bias[2]) }
    if r > 3 { c30 = V(repeating: bias[3]) }
    if r > 4 { c40 = V(repeating: bias[4]) }
    if r > 5 { c50 = V(repeating: bias[5]) }
    if r > 6 { c60 = V(repeating: bias[6]) }
    if r > 7 { c70 = V(repeating: bias[7]) }
    (c01, c11, c21, c31, c41, c51, c61, c71) = (c00, c10, c20, c30, c40, c50, c60, c70)
  }

  /// One step of the sums: row `i < r` adds `a[i] * b0` and `a[i] * b1`, one fused multiply-add
  /// each.
  @inline(__always) mutating func addProducts(
    _ r: Int, _ a: UnsafePointer<Float>, _ b0: V, _ b1: V
  ) {
    var av = V(repeating: a[0])
    c00.addProduct(av, b0)
    c01.addProduct(av, b1)
    if r > 1 {
      av = V(repeating: a[1])
      c10.addProduct(av, b0)
      c11.addProduct(av, b1)
    }
    if r > 2 {
      av = V(repeating: a[2])
      c20.addProduct(av, b0)
      c21.addProduct(av, b1)
    }
    if r > 3 {
      av = V(repeating: a[3])
      c30.addProduct(av, b0)
      c31.addProduct(av, b1)
    }
    if r > 4 {
      av = V(repeating: a[4])
      c40.addProduct(av, b0)
      c41.addProduct(av, b1)
    }
    if r > 5 {
      av = V(repeating: a[5])
      c50.addProduct(av, b0)
      c51.addProduct(av, b1)
    }
    if r > 6 {
      av = V(repeating: a[6])
      c60.addProduct(av, b0)
      c61.addProduct(av, b1)
    }
    if r > 7 {
      av = V(repeating: a[7])
      c70.addProduct(av, b0)
      c71.addProduct(av, b1)
    }
  }

  /// Calls `body(i, first, second)` for each row `i < r`, in order.
  @inline(__always) func forEachRow(_ r: Int, _ body: (Int, V, V) -> Void) {
    body(0, c00, c01)
    if r > 1 { body(1, c10, c11) }
    if r > 2 { body(2, c20, c21) }
    if r > 3 { body(3, c30, c31) }
    if r > 4 { body(4, c40, c41) }
    if r > 5 { body(5, c50, c51) }
    if r > 6 { body(6, c60, c61) }
    if r > 7 { body(7, c70, c71) }
  }
}

/// Calls `body(r)` with `r == rows` (1 ... 7), passing a literal in each case of a switch: once
/// `body` is inlined, each copy of it has a constant row count (for the short tiles).
@inline(__always)
func withConstantRowCount(_ rows: Int, _ caller: StaticString, _ body: (Int) -> Void) {
  switch rows {
  case 1: body(1)
  case 2: body(2)
  case 3: body(3)
  case 4: body(4)
  case 5: body(5)
  case 6: body(6)
  case 7: body(7)
  default: preconditionFailure("\(caller): \(rows) rows, expected 1 to 7")
  }
}
