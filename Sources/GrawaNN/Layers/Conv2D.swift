import GrawaTensor

/// How a layer's weights are initialised.
public enum WeightInitialization: Sendable, Equatable {
  /// PyTorch's default for `Conv2d`/`Linear`: uniform in `±1/sqrt(fanIn)` (kaiming_uniform, a = sqrt 5).
  case pytorchDefault
  /// Kaiming/He normal with ReLU gain (`kaiming_normal_`), scaled by the given fan.
  case kaimingNormal(FanMode)
}

/// A 2-D convolution layer over `[N, C, H, W]` inputs (PyTorch's `Conv2d`, square kernels).
///
/// Parameters: `weight` `[out, in, k, k]` and, when enabled, `bias` `[out]`.
public final class Conv2D: Layer {
  /// The kernel, `[outputChannels, inputChannels, kernelSize, kernelSize]`.
  public let weight: Parameter
  /// The per-output-channel bias, if the layer has one.
  public let bias: Parameter?
  /// The step between kernel applications.
  public let stride: Int
  /// Zero padding added on every side.
  public let padding: Int

  /// A convolution with `kernelSize x kernelSize` kernels.
  /// - Parameters:
  ///   - initialization: how the weight is drawn; the bias always uses PyTorch's default.
  ///   - generator: the source of the initial values.
  public init(
    inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
    bias: Bool = false, initialization: WeightInitialization = .pytorchDefault,
    generator: inout RandomGenerator
  ) {
    let shape = [outputChannels, inputChannels, kernelSize, kernelSize]
    switch initialization {
    case .pytorchDefault:
      weight = Parameter(Tensor.pytorchDefaultWeight(shape, using: &generator))
    case .kaimingNormal(let mode):
      weight = Parameter(Tensor.kaimingNormal(shape, mode: mode, using: &generator))
    }
    self.bias =
      bias ? Parameter(Tensor.pytorchDefaultBias(count: outputChannels, weightShape: shape, using: &generator)) : nil
    self.stride = stride
    self.padding = padding
  }

  /// Convolves `input`.
  public func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    try input.conv2d(weight: weight.value, bias: bias?.value, stride: stride, padding: padding)
  }

  /// `weight`, then `bias` if present.
  public var namedParameters: [(name: String, parameter: Parameter)] {
    var entries: [(name: String, parameter: Parameter)] = [("weight", weight)]
    if let bias { entries.append(("bias", bias)) }
    return entries
  }
}
