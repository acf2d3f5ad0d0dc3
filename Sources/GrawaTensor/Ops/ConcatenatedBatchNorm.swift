// Batch normalisation of a channel concatenation that is never formed (DenseNet's layers).

/// The batch statistics of each channel of a tensor: mean and biased variance over the batch and
/// the map, in Double, as batch normalisation computes them (the same numbers whatever layer
/// normalises that tensor).
///
/// Returned by ``Tensor/batchNorm2d(concatenating:gamma:beta:statistics:mode:relu:partStatistics:)``
/// for each part it normalised, so that a later layer normalising the same part (a DenseNet
/// layer's input holds every earlier layer's output) reuses them instead of reading the part
/// twice more.
public struct ChannelStatistics: Sendable, Equatable {
  /// The mean of each channel.
  public let mean: [Double]
  /// The biased variance (divided by `N * H * W`) of each channel.
  public let variance: [Double]

  /// The statistics of `tensor`'s channels, seen through `layout`.
  init(of tensor: Tensor, layout: ChannelLayout) {
    var mean = [Double](repeating: 0, count: layout.channels)
    var variance = [Double](repeating: 0, count: layout.channels)
    tensor.scalars.withUnsafeBufferPointer { x in
      mean.withUnsafeMutableBufferPointer { m in
        variance.withUnsafeMutableBufferPointer { v in
          BatchNormKernels.statistics(layout, input: x.start, mean: m.start, variance: v.start)
        }
      }
    }
    self.mean = mean
    self.variance = variance
  }
}

extension Tensor {
  /// ``batchNorm2d(gamma:beta:statistics:mode:)`` (followed by ``relu()`` when `relu`) of the
  /// channel concatenation of `parts`, without forming it: each part is read where it is and
  /// receives its own share of the input gradient, so a DenseNet layer neither copies every
  /// earlier feature map into a new input nor keeps that copy for its backward pass. Outputs and
  /// gradients are bit-identical to ``concatenate(_:axis:)`` along the channels followed by the
  /// batch norm (and ReLU).
  ///
  /// In the batch-statistics modes, `partStatistics[k]` holds part `k`'s statistics when an
  /// earlier call computed them (pass `nil` otherwise); this call fills in the missing ones. Pass
  /// the same array to every layer that normalises the same parts, in the same forward pass:
  /// statistics given for a part that has changed since are used as they are.
  /// - Parameters:
  ///   - parts: `[N, C_k, H, W]` tensors with the same `N`, `H` and `W` (at least one).
  ///   - gamma: per-channel scale `[C]`, `C` the sum of the parts' channels.
  ///   - beta: per-channel offset `[C]`.
  ///   - statistics: the layer's running statistics, read in inference and updated in training.
  ///   - mode: which statistics to normalise with (see ``BatchNormMode``).
  ///   - relu: whether a ReLU follows, fused.
  ///   - partStatistics: one entry per part (see above).
  /// - Returns: an `[N, C, H, W]` tensor.
  /// - Throws: ``TensorError`` for no parts, a part that is not 4-D or whose batch or map differs
  ///   from the first's, a `partStatistics` of another length or whose statistics do not match
  ///   their part's channels, and as ``batchNorm2d(gamma:beta:statistics:mode:)``.
  public static func batchNorm2d(
    concatenating parts: [Tensor], gamma: Tensor, beta: Tensor,
    statistics: inout BatchNormStatistics, mode: BatchNormMode, relu: Bool = false,
    partStatistics: inout [ChannelStatistics?]
  ) throws -> Tensor {
    let op = relu ? "concatenatedBatchNormReLU2d" : "concatenatedBatchNorm2d"
    guard let first = parts.first else { throw TensorError(op, "needs at least one part") }
    for (k, part) in parts.enumerated() {
      guard part.rank == 4 else {
        throw TensorError(op, "part \(k) must be [N, C, H, W], got shape \(describe(part.shape))")
      }
      guard part.shape[0] == first.shape[0], part.shape[2...] == first.shape[2...] else {
        throw TensorError(
          op,
          "part \(k) of shape \(describe(part.shape)) differs from part 0 of shape "
            + "\(describe(first.shape)) outside the channels")
      }
    }
    guard partStatistics.count == parts.count else {
      throw TensorError(
        op, "\(partStatistics.count) part statistics given for \(parts.count) parts")
    }
    for (k, known) in partStatistics.enumerated() {
      if let known, known.mean.count != parts[k].shape[1] || known.variance.count != parts[k].shape[1]
      {
        throw TensorError(
          op,
          "statistics of part \(k) have \(known.mean.count) means and \(known.variance.count) "
            + "variances, the part has \(parts[k].shape[1]) channels")
      }
    }
    return try batchNorm2d(
      parts: parts, op: op, gamma: gamma, beta: beta, statistics: &statistics, mode: mode,
      relu: relu, residual: nil, partStatistics: &partStatistics)
  }

  /// ``batchNorm2d(concatenating:gamma:beta:statistics:mode:relu:partStatistics:)`` with no
  /// statistics carried from or to other calls.
  public static func batchNorm2d(
    concatenating parts: [Tensor], gamma: Tensor, beta: Tensor,
    statistics: inout BatchNormStatistics, mode: BatchNormMode, relu: Bool = false
  ) throws -> Tensor {
    var partStatistics = [ChannelStatistics?](repeating: nil, count: parts.count)
    return try batchNorm2d(
      concatenating: parts, gamma: gamma, beta: beta, statistics: &statistics, mode: mode,
      relu: relu, partStatistics: &partStatistics)
  }
}
