extension Tensor {
  /// Inverted dropout: each element is zeroed with probability `probability` and the survivors
  /// are scaled by `1 / (1 - probability)`, so the expectation is unchanged (PyTorch's `dropout`
  /// in training mode). The mask is drawn from `generator`, so a seeded run repeats exactly.
  /// - Throws: ``TensorError`` unless `0 <= probability < 1`.
  public func dropout(probability: Float, using generator: inout RandomGenerator) throws -> Tensor {
    guard probability >= 0, probability < 1 else {
      throw TensorError("dropout", "probability must be in [0, 1), got \(probability)")
    }
    if probability == 0 { return self }
    let keep = 1 / (1 - probability)
    var mask = [Float](repeating: 0, count: count)
    for i in 0..<count where generator.nextUnitFloat() >= probability {
      mask[i] = keep
    }
    let maskTensor = Tensor(validShape: shape, scalars: mask)
    let out = scalars.withUnsafeBufferPointer { p in
      mask.withUnsafeBufferPointer { m in
        makeScalars(count: count) { ElementwiseKernels.multiply(p.start, m.start, $0, count: count) }
      }
    }
    var result = Tensor(validShape: shape, scalars: out)
    Tensor.record(&result, operation: "dropout", inputs: [self]) { g in
      let grad = g.scalars.withUnsafeBufferPointer { pg in
        maskTensor.scalars.withUnsafeBufferPointer { m in
          makeScalars(count: g.count) { ElementwiseKernels.multiply(pg.start, m.start, $0, count: g.count) }
        }
      }
      return [Tensor(validShape: maskTensor.shape, scalars: grad)]
    }
    return result
  }
}
