// An SGEMM A operand packed once for many products: a convolution's weight, multiplied by the
// patch matrix of every group of images in the batch, is packed once per pass instead of once
// per group (for VGG-16's 512 x 4608 weight, 2.4M floats a group).

extension GEMM {
  /// `op(A)` (`m x k`) packed in the driver's layout for the tiles of `variant`: the K blocks of
  /// ``GEMMBlocking/kBlockCount(_:)`` one after the other, each holding the row blocks of
  /// ``GEMMBlocking/mc(rows:)`` rows as ``gemmPackA(_:transposed:_:lda:i0:mc:p0:kc:into:)`` packs
  /// them. K block `kb` (first row `p0` of K) starts at `p0 * paddedRows`, its row block at `ic` a
  /// further `ic * kc` floats in.
  struct PackedA {
    let variant: KernelVariant
    let m: Int
    let k: Int
    /// `m` rounded up to whole register tiles.
    let paddedRows: Int
    let floats: [Float]
  }

  /// Packs `op(A)` (`m x k`, `A` row-major with leading dimension `lda`) once, for
  /// ``sgemm(packedA:transposeB:n:b:ldb:beta:c:ldc:threads:)``.
  static func packA(
    transposeA: Bool, m: Int, k: Int, a: UnsafePointer<Float>, lda: Int, variant: KernelVariant
  ) -> PackedA {
    switch variant {
    case .avx512: packA(AVX512Kernels.self, transposeA, m, k, a, lda, variant)
    case .avx2: packA(AVX2Kernels.self, transposeA, m, k, a, lda, variant)
    case .neon: packA(NEONKernels.self, transposeA, m, k, a, lda, variant)
    case .generic: packA(GenericKernels.self, transposeA, m, k, a, lda, variant)
    }
  }

  private static func packA<K: KernelShapes>(
    _: K.Type, _ transposeA: Bool, _ m: Int, _ k: Int, _ a: UnsafePointer<Float>, _ lda: Int,
    _ variant: KernelVariant
  ) -> PackedA {
    let mr = K.gemmRows
    let paddedRows = (m + mr - 1) / mr * mr
    let kBlocks = GEMMBlocking.kBlockCount(k)
    let mcMax = min(GEMMBlocking.mc(rows: mr), paddedRows)
    let floats = makeScalars(count: max(1, paddedRows * k)) { dst in
      for kb in 0..<kBlocks {
        let p0 = k * kb / kBlocks
        let kc = k * (kb + 1) / kBlocks - p0
        var ic = 0
        while ic < m {
          gemmPackA(
            K.self, transposed: transposeA, a, lda: lda, i0: ic, mc: min(mcMax, m - ic), p0: p0,
            kc: kc, into: dst + p0 * paddedRows + ic * kc)
          ic += mcMax
        }
      }
    }
    return PackedA(variant: variant, m: m, k: k, paddedRows: paddedRows, floats: floats)
  }

  /// `C = A op(B) + beta C` with `A` packed by
  /// ``packA(transposeA:m:k:a:lda:variant:)``, on up to `threads` threads with the kernels `A`
  /// was packed for. Bit-identical to the same product with `A` unpacked.
  static func sgemm(
    packedA: PackedA, transposeB: Bool, n: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
    c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int
  ) {
    let (m, k) = (packedA.m, packedA.k)
    precondition(ldb >= max(1, transposeB ? k : n), "sgemm: ldb too small")
    precondition(ldc >= max(1, n), "sgemm: ldc too small")
    if m == 0 || n == 0 { return }
    if k == 0 {
      scaleC(m: m, n: n, beta: beta, c: c, ldc: ldc)
      return
    }
    packedA.floats.withUnsafeBufferPointer { packed in
      let operands = GEMMOperands(
        transposeA: false, transposeB: transposeB, m: m, n: n, k: k, alpha: 1, beta: beta,
        a: packed.baseAddress!, lda: max(1, k), b: b, ldb: ldb, c: c, ldc: ldc)
      let threads = max(1, threads)
      switch packedA.variant {
      case .avx512: blockedSGEMM(operands, threads: threads, AVX512Kernels.self, packedA: packedA)
      case .avx2: blockedSGEMM(operands, threads: threads, AVX2Kernels.self, packedA: packedA)
      case .neon: blockedSGEMM(operands, threads: threads, NEONKernels.self, packedA: packedA)
      case .generic: blockedSGEMM(operands, threads: threads, GenericKernels.self, packedA: packedA)
      }
    }
  }
}
