/// NumPy-style broadcasting: shapes are aligned at their trailing dimensions, and a dimension of
/// extent 1 (or a missing leading one) stretches to match the other operand.
enum Broadcasting {
  /// The broadcast shape of `a` and `b`, or `nil` when they are incompatible.
  static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
      let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
      let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
      if da == db || db == 1 {
        result[i] = da
      } else if da == 1 {
        result[i] = db
      } else {
        return nil
      }
    }
    return result
  }

  /// Element strides of `shape` viewed inside `outShape`: 0 along broadcast dimensions.
  static func strides(of shape: [Int], in outShape: [Int]) -> [Int] {
    let offset = outShape.count - shape.count
    var strides = [Int](repeating: 0, count: outShape.count)
    var running = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
      strides[i + offset] = shape[i] == 1 && outShape[i + offset] != 1 ? 0 : running
      running *= shape[i]
    }
    return strides
  }

  /// Merges adjacent dimensions along which every operand's strides are contiguous, so inner
  /// loops run over the longest possible stretches. Returns the collapsed extents and strides.
  static func coalesce(_ extents: [Int], _ strideSets: [[Int]]) -> ([Int], [[Int]]) {
    var dims: [Int] = []
    var sets: [[Int]] = strideSets.map { _ in [] }
    for i in extents.indices where extents[i] != 1 {
      if !dims.isEmpty,
        strideSets.indices.allSatisfy({ sets[$0].last == strideSets[$0][i] * extents[i] })
      {
        dims[dims.count - 1] *= extents[i]
        for s in sets.indices { sets[s][sets[s].count - 1] = strideSets[s][i] }
      } else {
        dims.append(extents[i])
        for s in sets.indices { sets[s].append(strideSets[s][i]) }
      }
    }
    if dims.isEmpty {
      return ([1], strideSets.map { _ in [0] })
    }
    return (dims, sets)
  }

  /// Calls `body(offsetA, offsetB, outOffset, innerCount, innerStrideA, innerStrideB)` for every
  /// inner run of the broadcast iteration over `outShape`, in row-major order.
  static func forEachRun(
    outShape: [Int], stridesA: [Int], stridesB: [Int],
    _ body: (Int, Int, Int, Int, Int, Int) -> Void
  ) {
    let outStrides = contiguousStrides(outShape)
    let (dims, sets) = coalesce(outShape, [stridesA, stridesB, outStrides])
    let sa = sets[0]
    let sb = sets[1]
    let so = sets[2]
    let rank = dims.count
    let inner = dims[rank - 1]
    let outer = dims.dropLast().reduce(1, *)
    var index = [Int](repeating: 0, count: max(rank - 1, 0))
    var offA = 0
    var offB = 0
    var offO = 0
    for _ in 0..<outer {
      body(offA, offB, offO, inner, sa[rank - 1], sb[rank - 1])
      // Advance the multi-index over the outer dimensions (odometer style).
      var d = rank - 2
      while d >= 0 {
        index[d] += 1
        offA += sa[d]
        offB += sb[d]
        offO += so[d]
        if index[d] < dims[d] { break }
        offA -= sa[d] * dims[d]
        offB -= sb[d] * dims[d]
        offO -= so[d] * dims[d]
        index[d] = 0
        d -= 1
      }
    }
  }

  /// Row-major strides of a contiguous tensor of `shape`.
  static func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var running = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
      strides[i] = running
      running *= shape[i]
    }
    return strides
  }
}

extension Tensor {
  /// Sums this tensor down to `target`, undoing a broadcast from `target` to `self.shape`.
  ///
  /// This is the single place where broadcasting is reversed in backward passes.
  func reducedToShape(_ target: [Int]) -> Tensor {
    if target == shape { return self }
    var result = [Float](repeating: 0, count: target.reduce(1, *))
    let targetStrides = Broadcasting.strides(of: target, in: shape)
    let zeroStrides = [Int](repeating: 0, count: shape.count)
    scalars.withUnsafeBufferPointer { source in
      result.withUnsafeMutableBufferPointer { dest in
        // "A" walks the target (accumulated into), "B" is unused, the output walks the source.
        Broadcasting.forEachRun(outShape: shape, stridesA: targetStrides, stridesB: zeroStrides) {
          offT, _, offS, n, strideT, _ in
          if strideT == 0 {
            dest[offT] += ElementwiseKernels.sum(source.start + offS, count: n)
          } else {
            for j in 0..<n { dest[offT + j * strideT] += source[offS + j] }
          }
        }
      }
    }
    return Tensor(validShape: target, scalars: result)
  }
}

extension Tensor {
  /// This tensor stretched to `target` (which it must broadcast to); not recorded.
  func broadcasted(to target: [Int]) -> Tensor {
    if target == shape { return detached() }
    let sa = Broadcasting.strides(of: shape, in: target)
    let zero = [Int](repeating: 0, count: target.count)
    let count = target.reduce(1, *)
    let out = scalars.withUnsafeBufferPointer { src in
      makeScalars(count: count) { dst in
        Broadcasting.forEachRun(outShape: target, stridesA: sa, stridesB: zero) { oa, _, oo, n, ia, _ in
          if ia == 0 {
            (dst + oo).initialize(repeating: src[oa], count: n)
          } else {
            for j in 0..<n { dst[oo + j] = src[oa + j * ia] }
          }
        }
      }
    }
    return Tensor(validShape: target, scalars: out)
  }
}
