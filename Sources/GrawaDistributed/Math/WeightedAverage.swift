import GrawaTensor

/// Weighted averages of workers' flat parameter vectors, whole-model or per tensor.
public enum WeightedAverage {
  /// `sum_i weights[i] * vectors[i]`, accumulated in `Double` in worker order (deterministic).
  /// - Throws: ``DistributedError`` when the counts or lengths differ.
  public static func combine(_ vectors: [[Float]], weights: [Double]) throws -> [Float] {
    guard vectors.count == weights.count, let first = vectors.first else {
      throw DistributedError.countMismatch("\(vectors.count) vectors for \(weights.count) weights")
    }
    let length = first.count
    for (worker, vector) in vectors.enumerated() where vector.count != length {
      throw DistributedError.lengthMismatch(expected: length, got: vector.count, worker: worker)
    }
    var accumulator = [Double](repeating: 0, count: length)
    for (vector, weight) in zip(vectors, weights) {
      vector.withUnsafeBufferPointer { v in
        accumulator.withUnsafeMutableBufferPointer { acc in
          for j in 0..<length { acc[j] += weight * Double(v[j]) }
        }
      }
    }
    return accumulator.map { Float($0) }
  }

  /// Per-tensor weighted average (LGRAWA, paper eq. 7): tensor `l` of the result is
  /// `sum_i weights[i][l] * x_i,l`, with `layout` telling where each tensor lies.
  /// - Parameters:
  ///   - weights: `weights[worker][tensor]`; for each tensor the workers' weights should sum to 1.
  /// - Throws: ``DistributedError`` when counts or lengths differ from the layout.
  public static func combinePerTensor(
    _ vectors: [[Float]], weights: [[Double]], layout: ParameterLayout
  ) throws -> [Float] {
    guard vectors.count == weights.count, !vectors.isEmpty else {
      throw DistributedError.countMismatch("\(vectors.count) vectors for \(weights.count) weight rows")
    }
    for (worker, vector) in vectors.enumerated() where vector.count != layout.totalCount {
      throw DistributedError.lengthMismatch(expected: layout.totalCount, got: vector.count, worker: worker)
    }
    for (worker, row) in weights.enumerated() where row.count != layout.tensorCount {
      throw DistributedError.countMismatch(
        "worker \(worker): \(row.count) tensor weights for a layout of \(layout.tensorCount) tensors")
    }
    var accumulator = [Double](repeating: 0, count: layout.totalCount)
    for (vector, row) in zip(vectors, weights) {
      vector.withUnsafeBufferPointer { v in
        accumulator.withUnsafeMutableBufferPointer { acc in
          for tensor in 0..<layout.tensorCount {
            let weight = row[tensor]
            for j in layout.range(of: tensor) { acc[j] += weight * Double(v[j]) }
          }
        }
      }
    }
    return accumulator.map { Float($0) }
  }

  /// Moves `x` a fraction of the way toward `target`: `x <- (1 - fraction) * x + fraction * target`.
  ///
  /// The pull of every parameter-sharing strategy (EASGD's elastic force with `alpha`, LSGD's and
  /// GRAWA's with `c2`) and the proximity pull between syncs (with `p2 / tau`).
  /// - Throws: ``DistributedError/lengthMismatch(expected:got:worker:)`` when lengths differ.
  public static func interpolate(_ x: inout [Float], toward target: [Float], fraction: Float) throws {
    guard x.count == target.count else {
      throw DistributedError.lengthMismatch(expected: x.count, got: target.count, worker: -1)
    }
    let keep = 1 - fraction
    let count = x.count
    target.withUnsafeBufferPointer { t in
      x.withUnsafeMutableBufferPointer { v in
        for j in 0..<count { v[j] = keep * v[j] + fraction * t[j] }
      }
    }
  }
}
