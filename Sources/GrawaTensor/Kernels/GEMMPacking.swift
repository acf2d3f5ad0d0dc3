// Packing for the blocked SGEMM: copies blocks of op(A) and op(B) into the layouts the
// micro-kernel reads, so the kernel sees one layout whatever the transposes and leading dimensions.
//
// Packed A: row panels of `GEMMTile.mr` rows; inside a panel, for each p in 0..<kc, `mr` floats
//   (one per row). Rows past the end of the matrix are zero.
// Packed B: column panels of `GEMMTile.nr` columns; inside a panel, for each p in 0..<kc, `nr`
//   floats (one per column). Columns past the end of the matrix are zero.

/// Packs rows `i0 ..< i0 + mc` and columns `p0 ..< p0 + kc` of op(A) into `dst`
/// (`ceil(mc / mr) * mr * kc` floats).
func gemmPackA(
  transposed: Bool, _ a: UnsafePointer<Float>, lda: Int,
  i0: Int, mc: Int, p0: Int, kc: Int, into dst: UnsafeMutablePointer<Float>
) {
  let mr = GEMMTile.mr
  var out = dst
  var r0 = 0
  while r0 < mc {
    let rows = min(mr, mc - r0)
    if !transposed {
      // Element (i, p) is a[i * lda + p]: each row is contiguous in p.
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
    } else {
      // Element (i, p) is a[p * lda + i]: each p holds the panel's rows contiguously.
      let src = a + p0 * lda + i0 + r0
      if rows == mr {
        for p in 0..<kc {
          let s = src + p * lda
          for r in 0..<mr { out[r] = s[r] }
          out += mr
        }
      } else {
        for p in 0..<kc {
          let s = src + p * lda
          for r in 0..<rows { out[r] = s[r] }
          for r in rows..<mr { out[r] = 0 }
          out += mr
        }
      }
    }
    r0 += mr
  }
}

/// Packs rows `p0 ..< p0 + kc` and columns `j0 ..< j0 + nc` of op(B) into `dst`
/// (`ceil(nc / nr) * nr * kc` floats, 64-byte aligned).
func gemmPackB(
  transposed: Bool, _ b: UnsafePointer<Float>, ldb: Int,
  p0: Int, kc: Int, j0: Int, nc: Int, into dst: UnsafeMutablePointer<Float>
) {
  let nr = GEMMTile.nr
  let fullPanels = nc / nr
  let tail = nc - fullPanels * nr
  let panelSize = nr * kc
  if !transposed {
    // Element (p, j) is b[p * ldb + j]: walk each row of the block once, left to right.
    typealias V = GEMMVector
    let w = V.scalarCount
    for p in 0..<kc {
      let src = UnsafeRawPointer(b + (p0 + p) * ldb + j0)
      let out = UnsafeMutableRawPointer(dst + p * nr)
      for q in 0..<fullPanels {
        let s = src + q * nr * 4
        let o = out + q * panelSize * 4
        o.storeBytes(of: s.loadUnaligned(as: V.self), as: V.self)
        o.storeBytes(of: s.loadUnaligned(fromByteOffset: w * 4, as: V.self), toByteOffset: w * 4, as: V.self)
      }
      if tail > 0 {
        let s = b + (p0 + p) * ldb + j0 + fullPanels * nr
        let o = dst + fullPanels * panelSize + p * nr
        for j in 0..<tail { o[j] = s[j] }
        for j in tail..<nr { o[j] = 0 }
      }
    }
  } else {
    // Element (p, j) is b[j * ldb + p]: each column of op(B) is contiguous in p. Copy blocks of
    // 16 p values from every column of a panel, so reads stay sequential and writes stay local.
    for q in 0...fullPanels {
      let cols = q < fullPanels ? nr : tail
      if cols == 0 { break }
      let panel = dst + q * panelSize
      let src = b + (j0 + q * nr) * ldb + p0
      var pStart = 0
      while pStart < kc {
        let pEnd = min(kc, pStart + 16)
        for j in 0..<cols {
          let s = src + j * ldb
          for p in pStart..<pEnd { panel[p * nr + j] = s[p] }
        }
        if cols < nr {
          for p in pStart..<pEnd {
            for j in cols..<nr { panel[p * nr + j] = 0 }
          }
        }
        pStart = pEnd
      }
    }
  }
}
