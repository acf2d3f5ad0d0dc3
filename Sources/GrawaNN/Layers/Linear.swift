import GrawaTensor

/// A fully connected layer, `y = x Wᵀ + b` on `[N, in]` inputs (PyTorch's `Linear`).
///
/// Parameters: `weight` `[out, in]` and, when enabled, `bias` `[out]`, both with PyTorch's default
/// initialisation (uniform in `±1/sqrt(in)`).
public final class Linear: Layer {
  /// The weight matrix, `[outputFeatures, inputFeatures]`.
  public let weight: Parameter
  /// The bias, `[outputFeatures]`, if the layer has one.
  public let bias: Parameter?

  /// A layer mapping `inputFeatures` to `outputFeatures`.
  public init(inputFeatures: Int, outputFeatures: Int, bias: Bool = true, generator: inout RandomGenerator) {
    let shape = [outputFeatures, inputFeatures]
    weight = Parameter(Tensor.pytorchDefaultWeight(shape, using: &generator))
    self.bias =
      bias ? Parameter(Tensor.pytorchDefaultBias(count: outputFeatures, weightShape: shape, using: &generator)) : nil
  }

  /// Applies the affine map.
  public func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    try input.linear(weight: weight.value, bias: bias?.value)
  }

  /// `weight`, then `bias` if present.
  public var namedParameters: [(name: String, parameter: Parameter)] {
    var entries: [(name: String, parameter: Parameter)] = [("weight", weight)]
    if let bias { entries.append(("bias", bias)) }
    return entries
  }
}
