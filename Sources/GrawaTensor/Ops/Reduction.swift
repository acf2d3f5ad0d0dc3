// Reductions: sum, mean (differentiable), max and argmax (not differentiable).

extension Tensor {
  /// The sum of all elements, as a rank-0 tensor.
  public func sum() -> Tensor {
    let total = scalars.withUnsafeBufferPointer { ElementwiseKernels.sum($0.start, count: count) }
    var result = Tensor(total)
    let original = shape
    Tensor.record(&result, operation: "sum", inputs: [self]) { g in
      [Tensor(repeating: g.scalars[0], shape: original)]
    }
    return result
  }

  /// The mean of all elements, as a rank-0 tensor (NaN for an empty tensor).
  public func mean() -> Tensor {
    sum().scaled(by: 1 / Float(count))
  }

  /// Sums over `axis`, removing it (e.g. `[N, C]` summed over axis 0 gives `[C]`).
  /// - Throws: ``TensorError`` when `axis` is out of range.
  public func sum(alongAxis axis: Int) throws -> Tensor {
    guard axis >= 0, axis < rank else {
      throw TensorError("sum(alongAxis:)", "axis \(axis) out of range for shape \(describe(shape))")
    }
    var kept = shape
    kept[axis] = 1
    var reduced = reducedToShape(kept).detached()
    var outShape = shape
    outShape.remove(at: axis)
    reduced.shape = outShape
    let original = shape
    Tensor.record(&reduced, operation: "sum(alongAxis:)", inputs: [self]) { g in
      // Broadcast the gradient back along the removed axis.
      [Tensor(validShape: kept, scalars: g.scalars).broadcasted(to: original)]
    }
    return reduced
  }

  /// The largest element (NaN if any element is NaN); `-infinity` for an empty tensor.
  public func maximum() -> Float {
    var best = -Float.infinity
    for v in scalars {
      if v.isNaN { return .nan }
      if v > best { best = v }
    }
    return best
  }

  /// For each row of the last dimension, the index of its largest element (first on ties).
  /// A `[N, C]` tensor of logits gives `N` predicted classes.
  public func argmaxLastAxis() -> [Int] {
    let columns = shape.last ?? 1
    guard columns > 0 else { return [] }
    let rows = count / columns
    var result = [Int](repeating: 0, count: rows)
    scalars.withUnsafeBufferPointer { p in
      for r in 0..<rows {
        var bestIndex = 0
        var best = p[r * columns]
        for c in 1..<max(columns, 1) where p[r * columns + c] > best {
          best = p[r * columns + c]
          bestIndex = c
        }
        result[r] = bestIndex
      }
    }
    return result
  }

  /// The Euclidean norm of all elements, accumulated in `Double`.
  public func norm() -> Double {
    scalars.withUnsafeBufferPointer { ElementwiseKernels.sumOfSquares($0.start, count: count) }.squareRoot()
  }
}
