import Foundation

/// How a per-sample loss is combined over the batch.
public enum LossReduction: String, Sendable, CaseIterable {
  /// The average over the batch (PyTorch's default; the local training step uses it).
  case mean
  /// The sum over the batch (GRAWA's probe-batch gradient, docs/algorithms.md, "Probe batch").
  case sum
}

extension Tensor {
  /// `log(softmax(x))` along the last dimension, computed stably (max subtracted first).
  public func logSoftmax() -> Tensor {
    let columns = shape.last ?? 1
    let rows = columns == 0 ? 0 : count / columns
    let out = scalars.withUnsafeBufferPointer { p in
      makeScalars(count: count) { o in
        for r in 0..<rows {
          let row = p.start + r * columns
          var top = -Float.infinity
          for c in 0..<columns { top = Swift.max(top, row[c]) }
          var total: Double = 0
          for c in 0..<columns { total += Foundation.exp(Double(row[c] - top)) }
          let logTotal = Float(Foundation.log(total))
          for c in 0..<columns { o[r * columns + c] = row[c] - top - logTotal }
        }
      }
    }
    var result = Tensor(validShape: shape, scalars: out)
    let output = result.detached()
    Tensor.record(&result, operation: "logSoftmax", inputs: [self]) { g in
      // d/dx_j = g_j - softmax_j * sum_c g_c, per row.
      let grad = g.scalars.withUnsafeBufferPointer { pg in
        output.scalars.withUnsafeBufferPointer { py in
          makeScalars(count: output.count) { o in
            for r in 0..<rows {
              var total: Float = 0
              for c in 0..<columns { total += pg[r * columns + c] }
              for c in 0..<columns {
                let i = r * columns + c
                o[i] = pg[i] - Foundation.exp(py[i]) * total
              }
            }
          }
        }
      }
      return [Tensor(validShape: output.shape, scalars: grad)]
    }
    return result
  }

  /// Cross-entropy of `[N, C]` logits against class indices: `-log softmax(x)[label]` per row,
  /// reduced over the batch (mean or sum), as PyTorch's `cross_entropy`.
  ///
  /// Fused with the log-softmax: the backward rule is `(softmax - onehot) * g` (divided by N for
  /// `mean`).
  /// - Throws: ``TensorError`` when the logits are not rank 2, the label count differs from N, or a
  ///   label is outside `0..<C`.
  public func crossEntropy(labels: [Int], reduction: LossReduction = .mean) throws -> Tensor {
    guard rank == 2 else {
      throw TensorError("crossEntropy", "needs [N, C] logits, got \(describe(shape))")
    }
    let (rows, columns) = (shape[0], shape[1])
    guard labels.count == rows else {
      throw TensorError("crossEntropy", "\(labels.count) labels for \(rows) rows of logits \(describe(shape))")
    }
    if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= columns }) {
      throw TensorError("crossEntropy", "label \(labels[bad]) at index \(bad) is outside 0..<\(columns)")
    }
    let logProbabilities = GradientRecording.withoutGradients { detached().logSoftmax() }
    var total: Double = 0
    for r in 0..<rows { total -= Double(logProbabilities.scalars[r * columns + labels[r]]) }
    // The mean over an empty batch is 0/0 = NaN, as in PyTorch.
    let divisor = reduction == .mean ? Float(rows) : 1
    var result = Tensor(Float(total) / divisor)
    let original = shape
    Tensor.record(&result, operation: "crossEntropy", inputs: [self]) { g in
      let factor = g.scalars[0] / divisor
      let grad = logProbabilities.scalars.withUnsafeBufferPointer { lp in
        makeScalars(count: rows * columns) { o in
          for i in 0..<(rows * columns) { o[i] = Foundation.exp(lp[i]) * factor }
          for r in 0..<rows { o[r * columns + labels[r]] -= factor }
        }
      }
      return [Tensor(validShape: original, scalars: grad)]
    }
    return result
  }
}
