// Matrix multiplication and the fully connected layer, on the GEMM kernel.

extension Tensor {
  /// The matrix product `op(a) * op(b)` of rank-2 tensors, `op` transposing when asked.
  /// - Throws: ``TensorError`` when an operand is not rank 2 or the inner dimensions differ.
  public static func matmul(
    _ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false
  ) throws -> Tensor {
    guard a.rank == 2, b.rank == 2 else {
      throw TensorError("matmul", "needs rank-2 operands, got \(describe(a.shape)) and \(describe(b.shape))")
    }
    let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let (k2, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
    guard k == k2 else {
      throw TensorError(
        "matmul",
        "inner dimensions differ: \(describe(a.shape))\(transposeA ? "ᵀ" : "") x \(describe(b.shape))\(transposeB ? "ᵀ" : "")")
    }
    var result = Tensor(validShape: [m, n], scalars: gemm(a, transposeA, b, transposeB, m: m, n: n, k: k))
    let (va, vb) = (a.detached(), b.detached())
    record(&result, operation: "matmul", inputs: [a, b]) { g in
      // C = A B: dA = dC Bᵀ, dB = Aᵀ dC; the transposed variants follow by swapping roles.
      var ga: Tensor?
      var gb: Tensor?
      if a.node != nil {
        ga = transposeA
          ? Tensor(validShape: va.shape, scalars: gemm(vb, transposeB, g, true, m: k, n: m, k: n))
          : Tensor(validShape: va.shape, scalars: gemm(g, false, vb, !transposeB, m: m, n: k, k: n))
      }
      if b.node != nil {
        gb = transposeB
          ? Tensor(validShape: vb.shape, scalars: gemm(g, true, va, transposeA, m: n, n: k, k: m))
          : Tensor(validShape: vb.shape, scalars: gemm(va, !transposeA, g, false, m: k, n: n, k: m))
      }
      return [ga, gb]
    }
    return result
  }

  /// A fully connected layer: `x Wᵀ + b` for `x` `[N, in]`, `weight` `[out, in]`, `bias` `[out]`.
  /// - Throws: ``TensorError`` when the shapes do not fit.
  public func linear(weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
    guard rank == 2, weight.rank == 2, weight.shape[1] == shape[1] else {
      throw TensorError(
        "linear", "input \(describe(shape)) does not fit weight \(describe(weight.shape)) (expected [N, \(weight.shape.last ?? 0)])")
    }
    let product = try Tensor.matmul(self, weight, transposeB: true)
    guard let bias else { return product }
    guard bias.shape == [weight.shape[0]] else {
      throw TensorError("linear", "bias \(describe(bias.shape)) does not fit weight \(describe(weight.shape))")
    }
    return try product + bias
  }
}

/// `op(a) * op(b)` into a fresh `[m, n]` buffer through ``GEMM``.
private func gemm(_ a: Tensor, _ ta: Bool, _ b: Tensor, _ tb: Bool, m: Int, n: Int, k: Int) -> [Float] {
  a.scalars.withUnsafeBufferPointer { pa in
    b.scalars.withUnsafeBufferPointer { pb in
      makeScalars(count: m * n) { pc in
        MultiplyAddCounter.add(m * n * k)
        if m == 0 || n == 0 { return }
        if k == 0 {
          pc.initialize(repeating: 0, count: m * n)
          return
        }
        GEMM.sgemm(
          transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: 1,
          a: pa.start, lda: a.shape[1], b: pb.start, ldb: b.shape[1], beta: 0, c: pc, ldc: n)
      }
    }
  }
}
