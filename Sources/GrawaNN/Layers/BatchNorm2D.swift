import GrawaTensor

/// Batch normalisation over the channels of `[N, C, H, W]` inputs (PyTorch's `BatchNorm2d`).
///
/// Parameters `weight` (gamma, initialised to 1) and `bias` (beta, 0); buffers `running_mean` (0)
/// and `running_var` (1). In ``ForwardContext/Mode/training`` it normalises with batch statistics
/// and updates the running ones with momentum 0.1 and the unbiased batch variance; in
/// ``ForwardContext/Mode/trainingFrozenStatistics`` it uses batch statistics and leaves the
/// buffers alone; in ``ForwardContext/Mode/inference`` it uses the running statistics.
public final class BatchNorm2D: Layer {
  /// The per-channel scale, gamma.
  public let weight: Parameter
  /// The per-channel offset, beta.
  public let bias: Parameter
  /// The running mean of each channel.
  public let runningMean: Buffer
  /// The running (unbiased) variance of each channel.
  public let runningVariance: Buffer
  /// The running-average factor for new batch statistics.
  public let momentum: Float
  /// Added to the variance before the square root.
  public let epsilon: Float

  /// A batch-norm layer for `channels` channels.
  public init(channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
    weight = Parameter(Tensor.ones([channels]))
    bias = Parameter(Tensor.zeros([channels]))
    runningMean = Buffer(Tensor.zeros([channels]))
    runningVariance = Buffer(Tensor.ones([channels]))
    self.momentum = momentum
    self.epsilon = epsilon
  }

  /// Normalises `input` according to the context's mode.
  public func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    try callAsFunction(input, context, relu: false)
  }

  /// Normalises `input` according to the context's mode, then applies a ReLU when `relu`, as one
  /// fused operation (``Tensor/batchNormReLU2d(gamma:beta:statistics:mode:)``: the same bits as
  /// the layer followed by ``ReLU``, with one pass over the activations fewer each way).
  public func callAsFunction(_ input: Tensor, _ context: ForwardContext, relu: Bool) throws
    -> Tensor
  {
    try normalize(input, context, relu: relu, adding: nil)
  }

  /// Normalises `input` according to the context's mode, adds `residual` (a residual block's
  /// shortcut, of the input's shape), then applies a ReLU when `relu`, as one fused operation
  /// (``Tensor/batchNormAddReLU2d(adding:gamma:beta:statistics:mode:)``: the same bits as the
  /// layer, an addition and ``ReLU``, with two passes over the activations fewer forward and one
  /// backward).
  /// - Throws: as the layer, and when `residual`'s shape is not the input's.
  public func callAsFunction(
    _ input: Tensor, _ context: ForwardContext, adding residual: Tensor, relu: Bool
  ) throws -> Tensor {
    try normalize(input, context, relu: relu, adding: residual)
  }

  /// Normalises the channel concatenation of `parts` (never formed) according to the context's
  /// mode, then applies a ReLU when `relu`
  /// (``Tensor/batchNorm2d(concatenating:gamma:beta:statistics:mode:relu:partStatistics:)``: the
  /// same bits as ``Tensor/concatenate(_:axis:)`` followed by the layer). `partStatistics`
  /// carries the parts' batch statistics between the layers that normalise the same parts in one
  /// forward pass (one entry per part, `nil` when not yet known).
  /// - Throws: as the layer, and as the operation for parts that do not concatenate.
  public func callAsFunction(
    concatenating parts: [Tensor], _ context: ForwardContext, relu: Bool,
    partStatistics: inout [ChannelStatistics?]
  ) throws -> Tensor {
    try withStatistics(context) { statistics, mode in
      try Tensor.batchNorm2d(
        concatenating: parts, gamma: weight.value, beta: bias.value, statistics: &statistics,
        mode: mode, relu: relu, partStatistics: &partStatistics)
    }
  }

  /// The layer's operation on `input`, with an optional residual and ReLU.
  private func normalize(
    _ input: Tensor, _ context: ForwardContext, relu: Bool, adding residual: Tensor?
  ) throws -> Tensor {
    let (gamma, beta) = (weight.value, bias.value)
    return try withStatistics(context) { statistics, mode in
      switch (residual, relu) {
      case (nil, false):
        try input.batchNorm2d(gamma: gamma, beta: beta, statistics: &statistics, mode: mode)
      case (nil, true):
        try input.batchNormReLU2d(gamma: gamma, beta: beta, statistics: &statistics, mode: mode)
      case (let residual?, false):
        try input.batchNormAdd2d(
          adding: residual, gamma: gamma, beta: beta, statistics: &statistics, mode: mode)
      case (let residual?, true):
        try input.batchNormAddReLU2d(
          adding: residual, gamma: gamma, beta: beta, statistics: &statistics, mode: mode)
      }
    }
  }

  /// Runs `body` with the layer's running statistics and the context's mode, and keeps the
  /// statistics it updated in training.
  private func withStatistics(
    _ context: ForwardContext, _ body: (inout BatchNormStatistics, BatchNormMode) throws -> Tensor
  ) throws -> Tensor {
    var statistics = BatchNormStatistics(
      channels: weight.count, momentum: context.batchNormMomentum ?? momentum, epsilon: epsilon)
    statistics.runningMean = runningMean.value.scalars
    statistics.runningVariance = runningVariance.value.scalars
    let mode: BatchNormMode =
      switch context.mode {
      case .training: .training
      case .trainingFrozenStatistics: .batchStatistics
      case .inference: .inference
      }
    let output = try body(&statistics, mode)
    if mode == .training {
      try runningMean.value.assign(statistics.runningMean)
      try runningVariance.value.assign(statistics.runningVariance)
    }
    return output
  }

  /// `weight` (gamma), then `bias` (beta).
  public var namedParameters: [(name: String, parameter: Parameter)] {
    [("weight", weight), ("bias", bias)]
  }

  /// `running_mean`, then `running_var` (PyTorch's buffer names).
  public var namedBuffers: [(name: String, buffer: Buffer)] {
    [("running_mean", runningMean), ("running_var", runningVariance)]
  }
}
