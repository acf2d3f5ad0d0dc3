// 2-D batch normalisation (Ioffe & Szegedy, 2015) with PyTorch's conventions, and its gradients.

/// The running statistics of a 2-D batch normalisation layer (PyTorch's buffers `running_mean`,
/// `running_var`, `num_batches_tracked`), updated by ``BatchNormMode/training`` passes.
///
/// Update rule (PyTorch's): `running = (1 - momentum) * running + momentum * batch`, where the
/// batch variance used here is the *unbiased* one (divided by `n - 1`, `n = N * H * W`), while the
/// normalisation itself divides by the biased one.
public struct BatchNormStatistics: Sendable, Equatable {
  /// Per-channel running mean; starts at 0.
  public var runningMean: [Float]
  /// Per-channel running (unbiased) variance; starts at 1.
  public var runningVariance: [Float]
  /// Weight of the newest batch in the running averages (PyTorch's default 0.1).
  public var momentum: Float
  /// Added to the variance before the square root (PyTorch's default `1e-5`).
  public var epsilon: Float
  /// How many training passes have updated the statistics.
  public var numBatchesTracked: Int

  /// Fresh statistics for `channels` channels: means 0, variances 1, no batches tracked.
  public init(channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
    runningMean = [Float](repeating: 0, count: channels)
    runningVariance = [Float](repeating: 1, count: channels)
    self.momentum = momentum
    self.epsilon = epsilon
    numBatchesTracked = 0
  }

  /// The number of channels.
  public var channels: Int { runningMean.count }
}

/// Which statistics batch normalisation normalises with, and whether it updates the running ones.
public enum BatchNormMode: String, Sendable, CaseIterable {
  /// Batch statistics; the running statistics are updated (PyTorch's `train()` mode).
  case training
  /// Batch statistics; the running statistics are left untouched (for probe batches, or any pass
  /// that must not disturb the buffers). Gradients flow through the batch statistics as in
  /// training.
  case batchStatistics
  /// The running statistics, held constant (PyTorch's `eval()` mode); the layer is an affine map.
  case inference

  /// Whether the mode normalises with the statistics of the current batch.
  public var usesBatchStatistics: Bool { self != .inference }
}

extension Tensor {
  /// Batch normalisation of an `[N, C, H, W]` tensor, per channel:
  /// `y = (x - mean_c) / sqrt(var_c + epsilon) * gamma_c + beta_c`.
  ///
  /// In the batch-statistics modes, `mean_c` and `var_c` are the mean and biased variance of
  /// channel `c` over the batch and the image (`n = N * H * W` values), and gradients flow through
  /// them; ``BatchNormMode/training`` also updates `statistics`. In ``BatchNormMode/inference``
  /// the running statistics are used as constants. Statistics are reduced in Double, in a fixed
  /// order: results do not depend on the thread count.
  /// - Parameters:
  ///   - gamma: per-channel scale `[C]` (may require gradients).
  ///   - beta: per-channel offset `[C]` (may require gradients).
  ///   - statistics: the layer's running statistics, read in inference and updated in training.
  ///   - mode: which statistics to normalise with (see ``BatchNormMode``).
  /// - Returns: a tensor of the input's shape.
  /// - Throws: ``TensorError`` when the input is not 4-D, `gamma`, `beta` or the statistics do not
  ///   have `C` channels, or a batch-statistics mode gets a single value per channel.
  public func batchNorm2d(
    gamma: Tensor, beta: Tensor, statistics: inout BatchNormStatistics, mode: BatchNormMode
  ) throws -> Tensor {
    try batchNorm2d(gamma: gamma, beta: beta, statistics: &statistics, mode: mode, relu: false)
  }

  /// ``batchNorm2d(gamma:beta:statistics:mode:)`` followed by ``relu()``, in one operation:
  /// `max(y, 0)` is written as `y` is computed, and the backward pass masks the output gradient
  /// while it reads it for the batch-norm gradients, instead of a separate pass (and tensor) for
  /// each. Outputs and gradients are bit-identical to the two operations one after the other
  /// (up to the sign of an output of exactly zero: negative values become 0 and a `-0` stays, as
  /// in ``relu()``'s vector loop, whose few scalar tail elements write `+0` instead).
  /// - Throws: as ``batchNorm2d(gamma:beta:statistics:mode:)``.
  public func batchNormReLU2d(
    gamma: Tensor, beta: Tensor, statistics: inout BatchNormStatistics, mode: BatchNormMode
  ) throws -> Tensor {
    try batchNorm2d(gamma: gamma, beta: beta, statistics: &statistics, mode: mode, relu: true)
  }

  /// ``batchNorm2d(gamma:beta:statistics:mode:)`` plus `residual`, followed by ``relu()``, in one
  /// operation: `relu(batchNorm2d(self) + residual)`, the end of a post-activation residual block
  /// (He et al. 2016: the ResNets' basic and bottleneck blocks). The sum and the ReLU are written
  /// as the normalised values are computed, instead of one pass (and tensor) for the sum and one
  /// for the ReLU; the backward pass masks the output gradient once and hands it to both the
  /// batch-norm gradients and `residual`. Outputs and gradients are bit-identical to the three
  /// operations one after the other (up to the sign of an output of exactly zero, as for
  /// ``batchNormReLU2d(gamma:beta:statistics:mode:)``).
  /// - Parameter residual: the tensor added to the normalised input (the block's shortcut), of
  ///   the input's shape (no broadcasting); may require gradients.
  /// - Throws: as ``batchNorm2d(gamma:beta:statistics:mode:)``, and ``TensorError`` when
  ///   `residual`'s shape is not the input's.
  public func batchNormAddReLU2d(
    adding residual: Tensor, gamma: Tensor, beta: Tensor, statistics: inout BatchNormStatistics,
    mode: BatchNormMode
  ) throws -> Tensor {
    try batchNorm2d(
      gamma: gamma, beta: beta, statistics: &statistics, mode: mode, relu: true,
      residual: residual)
  }

  /// ``batchNorm2d(gamma:beta:statistics:mode:)`` plus `residual`, in one operation (the end of a
  /// residual block with no activation after the sum); the same bits as the two operations.
  /// - Parameter residual: as in ``batchNormAddReLU2d(adding:gamma:beta:statistics:mode:)``.
  /// - Throws: as ``batchNormAddReLU2d(adding:gamma:beta:statistics:mode:)``.
  public func batchNormAdd2d(
    adding residual: Tensor, gamma: Tensor, beta: Tensor, statistics: inout BatchNormStatistics,
    mode: BatchNormMode
  ) throws -> Tensor {
    try batchNorm2d(
      gamma: gamma, beta: beta, statistics: &statistics, mode: mode, relu: false,
      residual: residual)
  }

  /// Batch normalisation, plus `residual` when given, followed by a ReLU when `relu`.
  func batchNorm2d(
    gamma: Tensor, beta: Tensor, statistics: inout BatchNormStatistics, mode: BatchNormMode,
    relu: Bool, residual: Tensor? = nil
  ) throws -> Tensor {
    let op =
      residual == nil
      ? (relu ? "batchNormReLU2d" : "batchNorm2d") : (relu ? "batchNormAddReLU2d" : "batchNormAdd2d")
    guard rank == 4 else {
      throw TensorError(op, "input must be [N, C, H, W], got shape \(describe(shape))")
    }
    if let residual, residual.shape != shape {
      throw TensorError(
        op,
        "residual must have the input's shape \(describe(shape)), got shape "
          + "\(describe(residual.shape))")
    }
    var noCache: [ChannelStatistics?] = [nil]
    return try Tensor.batchNorm2d(
      parts: [self], op: op, gamma: gamma, beta: beta, statistics: &statistics, mode: mode,
      relu: relu, residual: residual, partStatistics: &noCache)
  }

  /// The pass behind every form of batch normalisation: the input is the channel concatenation of
  /// `parts` (rank 4, the same batch and map; one part for a plain tensor), never formed. Each
  /// part's statistics, normalisation and gradients run on the part itself with the per-channel
  /// coefficients of its channels, so the results are the bits of one tensor holding them all.
  /// `partStatistics[k]`, when set, gives part `k`'s batch statistics (as an earlier pass over the
  /// same part computed them); the batch-statistics modes fill the missing ones. `residual` only
  /// with one part.
  static func batchNorm2d(
    parts: [Tensor], op: String, gamma: Tensor, beta: Tensor,
    statistics: inout BatchNormStatistics, mode: BatchNormMode, relu: Bool, residual: Tensor?,
    partStatistics: inout [ChannelStatistics?]
  ) throws -> Tensor {
    let first = parts[0]
    let partChannels = parts.map { $0.shape[1] }
    let channels = partChannels.reduce(0, +)
    var shape = first.shape
    shape[1] = channels
    let layout = ChannelLayout(batch: shape[0], channels: channels, plane: shape[2] * shape[3])
    let layouts = partChannels.map {
      ChannelLayout(batch: layout.batch, channels: $0, plane: layout.plane)
    }
    // The first channel of each part.
    let offsets = partChannels.indices.map { partChannels[..<$0].reduce(0, +) }
    for (name, parameter) in [("gamma", gamma), ("beta", beta)] where parameter.shape != [channels]
    {
      throw TensorError(
        op,
        "\(name) must be [\(channels)] for input \(describe(shape)), "
          + "got shape \(describe(parameter.shape))")
    }
    guard statistics.runningMean.count == channels, statistics.runningVariance.count == channels
    else {
      throw TensorError(
        op,
        "running statistics have \(statistics.runningMean.count) means and "
          + "\(statistics.runningVariance.count) variances, input \(describe(shape)) has "
          + "\(channels) channels")
    }
    let n = layout.perChannel
    if mode.usesBatchStatistics && n <= 1 {
      throw TensorError(
        op, "batch statistics need more than one value per channel, got input \(describe(shape))")
    }

    // Per-channel statistics in Double.
    var mean = [Double](repeating: 0, count: channels)
    var variance = [Double](repeating: 1, count: channels)
    if mode.usesBatchStatistics {
      for k in parts.indices {
        let known =
          partStatistics[k]
          ?? ChannelStatistics(of: parts[k], layout: layouts[k])
        partStatistics[k] = known
        mean.replaceSubrange(offsets[k]..<(offsets[k] + partChannels[k]), with: known.mean)
        variance.replaceSubrange(offsets[k]..<(offsets[k] + partChannels[k]), with: known.variance)
      }
    } else {
      mean = statistics.runningMean.map(Double.init)
      variance = statistics.runningVariance.map(Double.init)
    }
    let epsilon = Double(statistics.epsilon)
    let invStd = variance.map { 1 / ($0 + epsilon).squareRoot() }
    if mode == .training {
      let m = Double(statistics.momentum)
      let unbiased = Double(n) / Double(n - 1)
      for c in 0..<channels {
        statistics.runningMean[c] = Float((1 - m) * Double(statistics.runningMean[c]) + m * mean[c])
        statistics.runningVariance[c] =
          Float((1 - m) * Double(statistics.runningVariance[c]) + m * variance[c] * unbiased)
      }
      statistics.numBatchesTracked += 1
    }

    // y = x * scale + shift, with scale = gamma / std and shift = beta - mean * scale.
    let gammaValues = gamma.scalars
    let scale = (0..<channels).map { Float(Double(gammaValues[$0]) * invStd[$0]) }
    let shift = (0..<channels).map {
      Float(Double(beta.scalars[$0]) - mean[$0] * Double(scale[$0]))
    }
    let output = makeScalars(count: layout.batch * channels * layout.plane) { y in
      withResidualPointer(residual) { r in
        scale.withUnsafeBufferPointer { a in
          shift.withUnsafeBufferPointer { b in
            BatchNormKernels.forEachPart(layouts) { k in
              parts[k].scalars.withUnsafeBufferPointer { x in
                BatchNormKernels.affine(
                  layouts[k], input: x.start, scale: a.start + offsets[k],
                  shift: b.start + offsets[k], residual: r, relu: relu,
                  output: y + offsets[k] * layout.plane, outputChannels: channels)
              }
            }
          }
        }
      }
    }
    var result = Tensor(validShape: shape, scalars: output)

    let inputs = parts.map { $0.detached() }
    let needInput = parts.map { $0.node != nil }
    let needGamma = gamma.node != nil
    let needBeta = beta.node != nil
    let batchMode = mode.usesBatchStatistics
    let meanFloat = mean.map { Float($0) }
    // Without a residual, the fused ReLU's mask is recomputed from the input with the forward's
    // scale and shift. With one, the output decides it (positive exactly where the sum was), and
    // the masked gradient, which the residual receives too, is formed once before the rest.
    let maskedByInput = relu && residual == nil
    let reluOutput = relu && residual != nil ? result.detached() : nil
    let hasResidual = residual != nil
    let needResidual = residual?.node != nil
    let maskScale = maskedByInput ? scale : []
    let maskShift = maskedByInput ? shift : []
    let needSums = needGamma || needBeta || (needInput.contains(true) && batchMode)
    let recorded = parts + [gamma, beta] + (residual.map { [$0] } ?? [])
    Tensor.record(&result, operation: op, inputs: recorded) { outputGradient in
      let gradient = reluOutput.map { Tensor.reluGradient(output: $0, gradient: outputGradient) }
        ?? outputGradient
      // Each part's share of the output gradient, in the part's layout.
      let partGradients = inputs.count == 1 ? [gradient] : gradient.split(partChannels, axis: 1)
      // sum dy and sum (x - mean) dy per channel: beta's and gamma's gradients, and the batch-mode
      // input gradient's correction terms.
      var sumGradient = [Double](repeating: 0, count: channels)
      var sumProduct = [Double](repeating: 0, count: channels)
      // Part `k`'s view of the fused ReLU's mask, from the pointers to `maskScale` and `maskShift`.
      func mask(_ scale: UnsafePointer<Float>, _ shift: UnsafePointer<Float>, _ k: Int)
        -> BatchNormKernels.ReLUMask?
      {
        guard maskedByInput else { return nil }
        return BatchNormKernels.ReLUMask(scale: scale + offsets[k], shift: shift + offsets[k])
      }
      if needSums {
        withPointers(to: [meanFloat, maskScale, maskShift]) { c in
          sumGradient.withUnsafeMutableBufferPointer { s in
            sumProduct.withUnsafeMutableBufferPointer { p in
              BatchNormKernels.forEachPart(layouts) { k in
                inputs[k].scalars.withUnsafeBufferPointer { x in
                  partGradients[k].scalars.withUnsafeBufferPointer { dy in
                    BatchNormKernels.gradientSums(
                      layouts[k], input: x.start, outputGradient: dy.start,
                      mean: c[0] + offsets[k], relu: mask(c[1], c[2], k),
                      sumGradient: s.start + offsets[k],
                      sumCenteredProduct: p.start + offsets[k])
                  }
                }
              }
            }
          }
        }
      }
      var inputGradients = [Tensor?](repeating: nil, count: inputs.count)
      if needInput.contains(true) {
        // Batch statistics:
        //   dx = (dy - mean(dy) - (x - mean) * sum((x - mean) dy) / (n var')) * gamma / std,
        // var' = var + epsilon. Running statistics: dx = dy * gamma / std.
        var a = [Float](repeating: 0, count: channels)
        var b = [Float](repeating: 0, count: channels)
        var d = [Float](repeating: 0, count: channels)
        for c in 0..<channels {
          let scaleC = Double(gammaValues[c]) * invStd[c]
          a[c] = Float(scaleC)
          if batchMode {
            b[c] = Float(-sumProduct[c] * invStd[c] * invStd[c] / Double(n) * scaleC)
            d[c] = Float(-sumGradient[c] / Double(n) * scaleC)
          }
        }
        let counts = inputs.indices.map { needInput[$0] ? inputs[$0].count : 0 }
        let dxParts = withPointers(to: [meanFloat, a, b, d, maskScale, maskShift]) { c in
          makeScalarArrays(counts: counts) { dx in
            BatchNormKernels.forEachPart(layouts) { k in
              guard needInput[k] else { return }
              let c0 = offsets[k]
              inputs[k].scalars.withUnsafeBufferPointer { x in
                partGradients[k].scalars.withUnsafeBufferPointer { dy in
                  BatchNormKernels.inputGradient(
                    layouts[k], input: x.start, outputGradient: dy.start, mean: c[0] + c0,
                    a: c[1] + c0, b: c[2] + c0, d: c[3] + c0, relu: mask(c[4], c[5], k),
                    inputGradient: dx[k])
                }
              }
            }
          }
        }
        for k in inputs.indices where needInput[k] {
          inputGradients[k] = Tensor(validShape: inputs[k].shape, scalars: dxParts[k])
        }
      }
      let gammaGradient =
        needGamma
        ? Tensor(
          validShape: [channels], scalars: (0..<channels).map { Float(sumProduct[$0] * invStd[$0]) }
        ) : nil
      let betaGradient =
        needBeta ? Tensor(validShape: [channels], scalars: sumGradient.map { Float($0) }) : nil
      let tail = [gammaGradient, betaGradient]
      return inputGradients + (hasResidual ? tail + [needResidual ? gradient : nil] : tail)
    }
    return result
  }

  /// Runs `body` with the scalars of `residual`, or with `nil`.
  private static func withResidualPointer<R>(
    _ residual: Tensor?, _ body: (UnsafePointer<Float>?) -> R
  ) -> R {
    guard let residual else { return body(nil) }
    return residual.scalars.withUnsafeBufferPointer { body($0.baseAddress) }
  }
}
