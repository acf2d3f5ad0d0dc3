// Packing for the blocked SGEMM: copies blocks of op(A) and op(B) into the layouts the
// micro-kernel reads, so the kernel sees one layout whatever the transposes and leading dimensions.
//
// Packed A: row panels of `mr = K.gemmRows` rows; inside a panel, for each p in 0..<kc, `mr`
//   floats (one per row). Rows past the end of the matrix are zero.
// Packed B: column panels of `nr = K.gemmColumns` columns; inside a panel, for each p in 0..<kc,
//   `nr` floats (one per column). Columns past the end of the matrix are zero.

/// Packs rows `i0 ..< i0 + mc` and columns `p0 ..< p0 + kc` of op(A) into `dst`
/// (`ceil(mc / mr) * mr * kc` floats).
func gemmPackA<K: KernelShapes>(
  _: K.Type, transposed: Bool, _ a: UnsafePointer<Float>, lda: Int,
  i0: Int, mc: Int, p0: Int, kc: Int, into dst: UnsafeMutablePointer<Float>
) {
  let mr = K.gemmRows
  if transposed {
    // Element (i, p) is a[p * lda + i]: each p holds a panel's `mr` rows contiguously.
    let fullPanels = mc / mr
    let tail = mc - fullPanels * mr
    for q in 0..<fullPanels {
      var s = a + p0 * lda + i0 + q * mr
      var out = dst + q * mr * kc
      for _ in 0..<kc {
        gemmCopyPanelRow(s, out, mr: mr)
        s += lda
        out += mr
      }
    }
    if tail > 0 {
      var s = a + p0 * lda + i0 + fullPanels * mr
      var out = dst + fullPanels * mr * kc
      for _ in 0..<kc {
        for r in 0..<tail { out[r] = s[r] }
        for r in tail..<mr { out[r] = 0 }
        s += lda
        out += mr
      }
    }
    return
  }
  // Element (i, p) is a[i * lda + p]: each row is contiguous in p.
  var out = dst
  var r0 = 0
  while r0 < mc {
    let rows = min(mr, mc - r0)
    let src = a + (i0 + r0) * lda + p0
    if rows == mr {
      for p in 0..<kc {
        let s = src + p
        for r in 0..<mr { out[r] = s[r * lda] }
        out += mr
      }
    } else {
      for p in 0..<kc {
        let s = src + p
        for r in 0..<rows { out[r] = s[r * lda] }
        for r in rows..<mr { out[r] = 0 }
        out += mr
      }
    }
    r0 += mr
  }
}

/// Copies `mr` contiguous floats (one p of a transposed A panel) with vector moves.
@inline(__always)
private func gemmCopyPanelRow(
  _ s: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, mr: Int
) {
  let from = UnsafeRawPointer(s), to = UnsafeMutableRawPointer(out)
  if mr == 8 {
    to.storeBytes(of: from.loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
  } else if mr == 6 {
    to.storeBytes(of: from.loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
    to.storeBytes(
      of: from.loadUnaligned(fromByteOffset: 16, as: SIMD2<Float>.self), toByteOffset: 16,
      as: SIMD2<Float>.self)
  } else {
    for r in 0..<mr { out[r] = s[r] }
  }
}

/// Packs rows `p0 ..< p0 + kc` and columns `j0 ..< j0 + nc` of op(B) into `dst`
/// (`ceil(nc / nr) * nr * kc` floats, 64-byte aligned).
func gemmPackB<K: KernelShapes>(
  _: K.Type, transposed: Bool, _ b: UnsafePointer<Float>, ldb: Int,
  p0: Int, kc: Int, j0: Int, nc: Int, into dst: UnsafeMutablePointer<Float>
) {
  let nr = K.gemmColumns
  let fullPanels = nc / nr
  let tail = nc - fullPanels * nr
  let panelSize = nr * kc
  if !transposed {
    // Element (p, j) is b[p * ldb + j]: walk each row of the block once, left to right.
    typealias V = K.Vector
    let w = V.scalarCount
    for p in 0..<kc {
      let src = UnsafeRawPointer(b + (p0 + p) * ldb + j0)
      let out = UnsafeMutableRawPointer(dst + p * nr)
      for q in 0..<fullPanels {
        let s = src + q * nr * 4
        let o = out + q * panelSize * 4
        for v in 0..<K.gemmVectors {
          o.storeBytes(
            of: s.loadUnaligned(fromByteOffset: v * w * 4, as: V.self), toByteOffset: v * w * 4,
            as: V.self)
        }
      }
      if tail > 0 {
        let s = b + (p0 + p) * ldb + j0 + fullPanels * nr
        let o = dst + fullPanels * panelSize + p * nr
        var j = 0
        while j + w <= tail {
          UnsafeMutableRawPointer(o + j).storeBytes(
            of: UnsafeRawPointer(s + j).loadUnaligned(as: V.self), as: V.self)
          j += w
        }
        while j < tail {
          o[j] = s[j]
          j += 1
        }
        while j < nr {
          o[j] = 0
          j += 1
        }
      }
    }
  } else {
    // Element (p, j) is b[j * ldb + p]: each column of op(B) is contiguous in p.
    for q in 0...fullPanels {
      let cols = q < fullPanels ? nr : tail
      if cols == 0 { break }
      let panel = b + (j0 + q * nr) * ldb + p0
      if K.Vector.scalarCount == 16 && nr == 32 {
        gemmPackTransposedPanel32(panel, ldb: ldb, kc: kc, cols: cols, into: dst + q * panelSize)
      } else if (K.Vector.scalarCount == 8 || K.Vector.scalarCount == 4)
        && nr % K.Vector.scalarCount == 0
      {
        gemmPackTransposedPanelBlocks(
          width: K.Vector.scalarCount, panel, ldb: ldb, kc: kc, cols: cols, nr: nr,
          into: dst + q * panelSize)
      } else {
        gemmPackTransposedPanel(
          panel, ldb: ldb, kc: kc, cols: cols, nr: nr, into: dst + q * panelSize)
      }
    }
  }
}

/// Packs one 32-column B panel from a transposed B (the AVX-512 variant): `cols <= 32` source
/// rows of `kc` contiguous floats (`ldb` apart) become `kc` rows of 32 floats, zero past `cols`.
/// Each half panel (16 columns) goes through 16 x 16 register transposes (32 registers);
/// partial blocks (fewer than 16 columns or p values) through a zero-padded scratch block.
private func gemmPackTransposedPanel32(
  _ src: UnsafePointer<Float>, ldb: Int, kc: Int, cols: Int, into panel: UnsafeMutablePointer<Float>
) {
  typealias V = SIMD16<Float>
  let nr = 32
  for half in 0..<2 {
    let valid = min(16, max(0, cols - half * 16))
    let out = panel + half * 16
    if valid == 0 {
      for p in 0..<kc { UnsafeMutableRawPointer(out + p * nr).storeBytes(of: V(), as: V.self) }
      continue
    }
    let s = src + half * 16 * ldb
    var p = 0
    if valid == 16 {
      while p + 16 <= kc {
        gemmTranspose16(s + p, ldb, out + p * nr, nr)
        p += 16
      }
    }
    if p == kc { continue }
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 512) { scratch in
      guard let block = scratch.baseAddress else { return }
      let transposed = block + 256
      while p < kc {
        let count = min(16, kc - p)
        block.update(repeating: 0, count: 256)
        for j in 0..<valid {
          for i in 0..<count { block[j * 16 + i] = s[j * ldb + p + i] }
        }
        gemmTranspose16(block, 16, transposed, 16)
        for i in 0..<count {
          UnsafeMutableRawPointer(out + (p + i) * nr).storeBytes(
            of: UnsafeRawPointer(transposed + i * 16).loadUnaligned(as: V.self), as: V.self)
        }
        p += count
      }
    }
  }
}
/// Packs one B panel from a transposed B with square register transposes of `width` (8 on
/// AVX2; 4 for the generic and NEON variants) floats: `cols <= nr` source rows of `kc`
/// contiguous floats become `kc` rows of `nr` floats, zero past `cols`. A full panel goes
/// through `width x width` blocks (measured on AVX2, Zen 4: 2x faster than the scalar copy, and
/// the products using it 1.2-1.4x faster: a 576-column, 384-deep B took 64 microseconds scalar,
/// a sixth of a 64 x 576 x 384 product); partial panels and the last `kc % width` rows through
/// the scalar copy.
private func gemmPackTransposedPanelBlocks(
  width: Int, _ src: UnsafePointer<Float>, ldb: Int, kc: Int, cols: Int, nr: Int,
  into panel: UnsafeMutablePointer<Float>
) {
  let blocks = kc / width * width
  guard cols == nr && blocks > 0 else {
    gemmPackTransposedPanel(src, ldb: ldb, kc: kc, cols: cols, nr: nr, into: panel)
    return
  }
  // 64 deep at a time, one group of `width` columns after the other: each group reads its
  // source rows sequentially (8 lines, one L1 set's ways, when `ldb` is a multiple of 1024
  // floats; 16 rows at once thrashed it), and the chunk's 64 output rows stay in L1 until the
  // last group completes them.
  var p = 0
  while p < blocks {
    let depth = min(64, blocks - p)
    for group in 0..<(nr / width) {
      var q = p
      while q < p + depth {
        let from = src + group * width * ldb + q
        let to = panel + q * nr + group * width
        if width == 8 {
          gemmTranspose8(from, ldb, to, nr)
        } else {
          gemmTranspose4(from, ldb, to, nr)
        }
        q += width
      }
    }
    p += depth
  }
  if blocks < kc {
    gemmPackTransposedPanel(
      src + blocks, ldb: ldb, kc: kc - blocks, cols: cols, nr: nr, into: panel + blocks * nr)
  }
}

/// Packs one B panel from a transposed B: `cols <= nr` source rows of `kc` contiguous floats
/// (`ldb` apart) become `kc` rows of `nr` floats, zero past `cols` (scalar; full panels go
/// through register transposes first).
private func gemmPackTransposedPanel(
  _ src: UnsafePointer<Float>, ldb: Int, kc: Int, cols: Int, nr: Int,
  into panel: UnsafeMutablePointer<Float>
) {
  // Blocks of 16 p values from every column, so reads stay sequential and writes stay local.
  var pStart = 0
  while pStart < kc {
    let pEnd = min(kc, pStart + 16)
    for j in 0..<cols {
      let s = src + j * ldb
      for p in pStart..<pEnd { panel[p * nr + j] = s[p] }
    }
    for p in pStart..<pEnd {
      for j in cols..<nr { panel[p * nr + j] = 0 }
    }
    pStart = pEnd
  }
}

/// Splits the 8 lanes of `a` followed by `b` into even and odd lanes.
@inline(__always)
private func unzip(_ a: SIMD4<Float>, _ b: SIMD4<Float>) -> (SIMD4<Float>, SIMD4<Float>) {
  let both = SIMD8<Float>(lowHalf: a, highHalf: b)
  return (both.evenHalf, both.oddHalf)
}

/// Transposes a 4 x 4 block (see ``gemmTranspose8(_:_:_:_:)``; two rounds rotate the 4 index
/// bits by two).
@inline(__always)
func gemmTranspose4(_ src: UnsafePointer<Float>, _ ld: Int, _ dst: UnsafeMutablePointer<Float>, _ ldd: Int) {
  typealias V = SIMD4<Float>
  let s = UnsafeRawPointer(src)
  let stride = ld * 4
  var r0 = s.loadUnaligned(as: V.self)
  var r1 = s.loadUnaligned(fromByteOffset: stride, as: V.self)
  var r2 = s.loadUnaligned(fromByteOffset: 2 * stride, as: V.self)
  var r3 = s.loadUnaligned(fromByteOffset: 3 * stride, as: V.self)
  for _ in 0..<2 {
    let (n0, n2) = unzip(r0, r1)
    let (n1, n3) = unzip(r2, r3)
    r0 = n0; r1 = n1; r2 = n2; r3 = n3
  }
  let d = UnsafeMutableRawPointer(dst)
  let out = ldd * 4
  d.storeBytes(of: r0, as: V.self)
  d.storeBytes(of: r1, toByteOffset: out, as: V.self)
  d.storeBytes(of: r2, toByteOffset: 2 * out, as: V.self)
  d.storeBytes(of: r3, toByteOffset: 3 * out, as: V.self)
}

/// Splits the 16 lanes of `a` followed by `b` into even and odd lanes.
@inline(__always)
private func unzip(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
  let both = SIMD16<Float>(lowHalf: a, highHalf: b)
  return (both.evenHalf, both.oddHalf)
}

/// Transposes an 8 x 8 block: row `r` of the source (8 floats at `src + r * ld`) becomes column
/// `r` of the destination (rows at `dst + c * ldd`). As in ``gemmTranspose16(_:_:_:_:)``, each
/// round of even/odd unzipping of row pairs rotates the 6 index bits (row, column) by one; three
/// rounds make the transpose.
@inline(__always)
func gemmTranspose8(_ src: UnsafePointer<Float>, _ ld: Int, _ dst: UnsafeMutablePointer<Float>, _ ldd: Int) {
  typealias V = SIMD8<Float>
  let s = UnsafeRawPointer(src)
  let stride = ld * 4
  var r0 = s.loadUnaligned(as: V.self)
  var r1 = s.loadUnaligned(fromByteOffset: stride, as: V.self)
  var r2 = s.loadUnaligned(fromByteOffset: 2 * stride, as: V.self)
  var r3 = s.loadUnaligned(fromByteOffset: 3 * stride, as: V.self)
  var r4 = s.loadUnaligned(fromByteOffset: 4 * stride, as: V.self)
  var r5 = s.loadUnaligned(fromByteOffset: 5 * stride, as: V.self)
  var r6 = s.loadUnaligned(fromByteOffset: 6 * stride, as: V.self)
  var r7 = s.loadUnaligned(fromByteOffset: 7 * stride, as: V.self)
  for _ in 0..<3 {
    let (n0, n4) = unzip(r0, r1)
    let (n1, n5) = unzip(r2, r3)
    let (n2, n6) = unzip(r4, r5)
    let (n3, n7) = unzip(r6, r7)
    r0 = n0; r1 = n1; r2 = n2; r3 = n3; r4 = n4; r5 = n5; r6 = n6; r7 = n7
  }
  let d = UnsafeMutableRawPointer(dst)
  let out = ldd * 4
  d.storeBytes(of: r0, as: V.self)
  d.storeBytes(of: r1, toByteOffset: out, as: V.self)
  d.storeBytes(of: r2, toByteOffset: 2 * out, as: V.self)
  d.storeBytes(of: r3, toByteOffset: 3 * out, as: V.self)
  d.storeBytes(of: r4, toByteOffset: 4 * out, as: V.self)
  d.storeBytes(of: r5, toByteOffset: 5 * out, as: V.self)
  d.storeBytes(of: r6, toByteOffset: 6 * out, as: V.self)
  d.storeBytes(of: r7, toByteOffset: 7 * out, as: V.self)
}

/// Splits the 32 lanes of `a` followed by `b` into even and odd lanes.
@inline(__always)
private func unzip(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> (SIMD16<Float>, SIMD16<Float>) {
  let both = SIMD32<Float>(lowHalf: a, highHalf: b)
  return (both.evenHalf, both.oddHalf)
}

/// Transposes a 16 x 16 block: row `r` of the source (16 floats at `src + r * ld`) becomes column
/// `r` of the destination (rows at `dst + c * ldd`). Four rounds of even/odd unzipping of row
/// pairs rotate the 8 index bits (row, column) by four: a transpose, in 64 `vpermt2ps`.
@inline(__always)
func gemmTranspose16(_ src: UnsafePointer<Float>, _ ld: Int, _ dst: UnsafeMutablePointer<Float>, _ ldd: Int) {
  typealias V = SIMD16<Float>
  let s = UnsafeRawPointer(src)
  let stride = ld * 4
  var r0 = s.loadUnaligned(as: V.self)
  var r1 = s.loadUnaligned(fromByteOffset: stride, as: V.self)
  var r2 = s.loadUnaligned(fromByteOffset: 2 * stride, as: V.self)
  var r3 = s.loadUnaligned(fromByteOffset: 3 * stride, as: V.self)
  var r4 = s.loadUnaligned(fromByteOffset: 4 * stride, as: V.self)
  var r5 = s.loadUnaligned(fromByteOffset: 5 * stride, as: V.self)
  var r6 = s.loadUnaligned(fromByteOffset: 6 * stride, as: V.self)
  var r7 = s.loadUnaligned(fromByteOffset: 7 * stride, as: V.self)
  var r8 = s.loadUnaligned(fromByteOffset: 8 * stride, as: V.self)
  var r9 = s.loadUnaligned(fromByteOffset: 9 * stride, as: V.self)
  var r10 = s.loadUnaligned(fromByteOffset: 10 * stride, as: V.self)
  var r11 = s.loadUnaligned(fromByteOffset: 11 * stride, as: V.self)
  var r12 = s.loadUnaligned(fromByteOffset: 12 * stride, as: V.self)
  var r13 = s.loadUnaligned(fromByteOffset: 13 * stride, as: V.self)
  var r14 = s.loadUnaligned(fromByteOffset: 14 * stride, as: V.self)
  var r15 = s.loadUnaligned(fromByteOffset: 15 * stride, as: V.self)
  for _ in 0..<4 {
    let (n0, n8) = unzip(r0, r1)
    let (n1, n9) = unzip(r2, r3)
    let (n2, n10) = unzip(r4, r5)
    let (n3, n11) = unzip(r6, r7)
    let (n4, n12) = unzip(r8, r9)
    let (n5, n13) = unzip(r10, r11)
    let (n6, n14) = unzip(r12, r13)
    let (n7, n15) = unzip(r14, r15)
    r0 = n0; r1 = n1; r2 = n2; r3 = n3; r4 = n4; r5 = n5; r6 = n6; r7 = n7
    r8 = n8; r9 = n9; r10 = n10; r11 = n11; r12 = n12; r13 = n13; r14 = n14; r15 = n15
  }
  let d = UnsafeMutableRawPointer(dst)
  let out = ldd * 4
  d.storeBytes(of: r0, as: V.self)
  d.storeBytes(of: r1, toByteOffset: out, as: V.self)
  d.storeBytes(of: r2, toByteOffset: 2 * out, as: V.self)
  d.storeBytes(of: r3, toByteOffset: 3 * out, as: V.self)
  d.storeBytes(of: r4, toByteOffset: 4 * out, as: V.self)
  d.storeBytes(of: r5, toByteOffset: 5 * out, as: V.self)
  d.storeBytes(of: r6, toByteOffset: 6 * out, as: V.self)
  d.storeBytes(of: r7, toByteOffset: 7 * out, as: V.self)
  d.storeBytes(of: r8, toByteOffset: 8 * out, as: V.self)
  d.storeBytes(of: r9, toByteOffset: 9 * out, as: V.self)
  d.storeBytes(of: r10, toByteOffset: 10 * out, as: V.self)
  d.storeBytes(of: r11, toByteOffset: 11 * out, as: V.self)
  d.storeBytes(of: r12, toByteOffset: 12 * out, as: V.self)
  d.storeBytes(of: r13, toByteOffset: 13 * out, as: V.self)
  d.storeBytes(of: r14, toByteOffset: 14 * out, as: V.self)
  d.storeBytes(of: r15, toByteOffset: 15 * out, as: V.self)
}
