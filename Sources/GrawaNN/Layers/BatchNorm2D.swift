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
    let channels = weight.count
    var statistics = BatchNormStatistics(
      channels: channels, momentum: context.batchNormMomentum ?? momentum, epsilon: epsilon)
    statistics.runningMean = runningMean.value.scalars
    statistics.runningVariance = runningVariance.value.scalars
    let mode: BatchNormMode =
      switch context.mode {
      case .training: .training
      case .trainingFrozenStatistics: .batchStatistics
      case .inference: .inference
      }
    let output =
      relu
      ? try input.batchNormReLU2d(
        gamma: weight.value, beta: bias.value, statistics: &statistics, mode: mode)
      : try input.batchNorm2d(
        gamma: weight.value, beta: bias.value, statistics: &statistics, mode: mode)
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
