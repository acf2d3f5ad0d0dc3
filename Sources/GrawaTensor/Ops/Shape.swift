// Shape operations: reshape, flatten, permute, batch slicing, concatenation.

extension Tensor {
  /// The same elements viewed with `newShape`; one dimension may be `-1` (inferred).
  /// - Throws: ``TensorError`` when the element counts differ or more than one `-1` is given.
  public func reshaped(to newShape: [Int]) throws -> Tensor {
    var resolved = newShape
    let inferred = newShape.indices.filter { newShape[$0] == -1 }
    guard inferred.count <= 1, newShape.allSatisfy({ $0 >= -1 }) else {
      throw TensorError("reshape", "invalid target shape \(describe(newShape))")
    }
    if let index = inferred.first {
      let known = newShape.filter { $0 != -1 }.reduce(1, *)
      guard known > 0, count % known == 0 else {
        throw TensorError("reshape", "cannot reshape \(describe(shape)) to \(describe(newShape))")
      }
      resolved[index] = count / known
    }
    guard resolved.reduce(1, *) == count else {
      throw TensorError("reshape", "cannot reshape \(describe(shape)) (\(count) elements) to \(describe(newShape))")
    }
    var result = Tensor(validShape: resolved, scalars: scalars)
    let original = shape
    Tensor.record(&result, operation: "reshape", inputs: [self]) { g in
      [Tensor(validShape: original, scalars: g.scalars)]
    }
    return result
  }

  /// `[N, d1, d2, ...]` flattened to `[N, d1 * d2 * ...]` (PyTorch's `flatten(1)`).
  public func flattened() -> Tensor {
    let batch = shape.first ?? 1
    let rest = shape.dropFirst().reduce(1, *)
    var result = Tensor(validShape: [batch, rest], scalars: scalars)
    let original = shape
    Tensor.record(&result, operation: "flatten", inputs: [self]) { g in
      [Tensor(validShape: original, scalars: g.scalars)]
    }
    return result
  }

  /// The dimensions reordered: output dimension `i` is input dimension `axes[i]`.
  /// - Throws: ``TensorError`` unless `axes` is a permutation of `0..<rank`.
  public func permuted(_ axes: [Int]) throws -> Tensor {
    guard axes.count == rank, axes.sorted() == Array(0..<rank) else {
      throw TensorError("permute", "axes \(describe(axes)) are not a permutation of 0..<\(rank) for shape \(describe(shape))")
    }
    var result = Tensor(validShape: axes.map { shape[$0] }, scalars: permute(scalars, shape: shape, axes: axes))
    var inverse = [Int](repeating: 0, count: rank)
    for (i, axis) in axes.enumerated() { inverse[axis] = i }
    let outShape = result.shape
    Tensor.record(&result, operation: "permute", inputs: [self]) { g in
      [Tensor(validShape: inverse.map { outShape[$0] }, scalars: permute(g.scalars, shape: outShape, axes: inverse))]
    }
    return result
  }

  /// The transpose of a rank-2 tensor.
  /// - Throws: ``TensorError`` when the tensor is not rank 2.
  public func transposed() throws -> Tensor {
    guard rank == 2 else {
      throw TensorError("transpose", "needs a rank-2 tensor, got shape \(describe(shape))")
    }
    return try permuted([1, 0])
  }

  /// Rows `range` of the leading (batch) dimension.
  /// - Throws: ``TensorError`` when the tensor is rank 0 or the range is out of bounds.
  public func slicingBatch(_ range: Range<Int>) throws -> Tensor {
    guard rank >= 1, range.lowerBound >= 0, range.upperBound <= shape[0] else {
      throw TensorError("slicingBatch", "range \(range) out of bounds for shape \(describe(shape))")
    }
    let rowSize = shape.dropFirst().reduce(1, *)
    var newShape = shape
    newShape[0] = range.count
    var result = Tensor(
      validShape: newShape, scalars: Array(scalars[(range.lowerBound * rowSize)..<(range.upperBound * rowSize)]))
    let original = shape
    Tensor.record(&result, operation: "slicingBatch", inputs: [self]) { g in
      var full = [Float](repeating: 0, count: original.reduce(1, *))
      full.replaceSubrange((range.lowerBound * rowSize)..<(range.upperBound * rowSize), with: g.scalars)
      return [Tensor(validShape: original, scalars: full)]
    }
    return result
  }

  /// Joins `tensors` along `axis`; all other dimensions must agree.
  /// DenseNet concatenates feature maps with `axis: 1` (channels).
  /// - Throws: ``TensorError`` on an empty list, a bad axis or mismatched shapes.
  public static func concatenate(_ tensors: [Tensor], axis: Int) throws -> Tensor {
    guard let first = tensors.first else {
      throw TensorError("concatenate", "needs at least one tensor")
    }
    guard axis >= 0, axis < first.rank else {
      throw TensorError("concatenate", "axis \(axis) out of range for shape \(describe(first.shape))")
    }
    for t in tensors {
      var a = t.shape
      var b = first.shape
      guard a.count == b.count else {
        throw TensorError("concatenate", "shapes \(describe(first.shape)) and \(describe(t.shape)) differ in rank")
      }
      a[axis] = 0
      b[axis] = 0
      guard a == b else {
        throw TensorError(
          "concatenate", "shapes \(describe(first.shape)) and \(describe(t.shape)) differ outside axis \(axis)")
      }
    }
    let outer = first.shape[..<axis].reduce(1, *)
    let inner = first.shape[(axis + 1)...].reduce(1, *)
    let extents = tensors.map { $0.shape[axis] }
    let total = extents.reduce(0, +)
    var outShape = first.shape
    outShape[axis] = total
    // Every element of the output is written once: no zero fill. The copies are memory-bound;
    // DenseNet's run to gigabytes per step, shared out over the threads by outer index.
    let sources = tensors.map(\.scalars)
    let out = makeScalars(count: outer * total * inner) { po in
      withPointers(to: sources) { pointers in
        let threads = outer * total * inner >= 262_144 ? ComputeThreads.current : 1
        parallelFor(outer, threads: threads) { o in
          var offset = 0
          for (pt, extent) in zip(pointers, extents) {
            let block = extent * inner
            (po + o * total * inner + offset).update(from: pt + o * block, count: block)
            offset += block
          }
        }
      }
    }
    var result = Tensor(validShape: outShape, scalars: out)
    record(&result, operation: "concatenate", inputs: tensors) { g in
      g.split(extents, axis: axis)
    }
    return result
  }

  /// The consecutive slices of this tensor along `axis` with `extents` entries each (their sum
  /// the axis's size), as separate tensors: the inverse of ``concatenate(_:axis:)``.
  func split(_ extents: [Int], axis: Int) -> [Tensor] {
    let outer = shape[..<axis].reduce(1, *)
    let inner = shape[(axis + 1)...].reduce(1, *)
    let total = shape[axis]
    var parts: [Tensor] = []
    var offset = 0
    scalars.withUnsafeBufferPointer { pg in
      for extent in extents {
        let block = extent * inner
        let part = makeScalars(count: outer * block) { pp in
          let threads = outer * block >= 262_144 ? ComputeThreads.current : 1
          parallelFor(outer, threads: threads) { o in
            (pp + o * block).update(from: pg.start + o * total * inner + offset, count: block)
          }
        }
        var partShape = shape
        partShape[axis] = extent
        parts.append(Tensor(validShape: partShape, scalars: part))
        offset += block
      }
    }
    return parts
  }
}

/// Row-major permutation of `values` of `shape` so output dimension i is input dimension axes[i].
private func permute(_ values: [Float], shape: [Int], axes: [Int]) -> [Float] {
  let rank = shape.count
  if rank == 0 { return values }
  let inStrides = Broadcasting.contiguousStrides(shape)
  let outShape = axes.map { shape[$0] }
  let strides = axes.map { inStrides[$0] }
  var out = [Float](repeating: 0, count: values.count)
  guard !values.isEmpty else { return out }
  values.withUnsafeBufferPointer { src in
    out.withUnsafeMutableBufferPointer { dst in
      var index = [Int](repeating: 0, count: rank)
      var source = 0
      let inner = outShape[rank - 1]
      let innerStride = strides[rank - 1]
      var o = 0
      while o < values.count {
        for j in 0..<inner { dst[o + j] = src[source + j * innerStride] }
        o += inner
        var d = rank - 2
        while d >= 0 {
          index[d] += 1
          source += strides[d]
          if index[d] < outShape[d] { break }
          source -= strides[d] * outShape[d]
          index[d] = 0
          d -= 1
        }
      }
    }
  }
  return out
}
