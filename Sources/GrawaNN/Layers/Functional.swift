import GrawaTensor

/// The rectified linear unit as a layer (no parameters).
public final class ReLU: Layer {
  /// A ReLU layer.
  public init() {}
  /// `max(x, 0)`.
  public func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor { input.relu() }
  /// None.
  public var namedParameters: [(name: String, parameter: Parameter)] { [] }
}

/// Max pooling over square windows (PyTorch's `MaxPool2d`).
public final class MaxPool2D: Layer {
  /// Window size, step and zero padding.
  public let kernelSize: Int, stride: Int, padding: Int
  /// A pooling layer; `stride` defaults to the window size, as in PyTorch.
  public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
    self.padding = padding
  }
  /// Pools `input`.
  public func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    try input.maxPool2d(kernelSize: kernelSize, stride: stride, padding: padding)
  }
  /// None.
  public var namedParameters: [(name: String, parameter: Parameter)] { [] }
}

/// Average pooling over square windows (PyTorch's `AvgPool2d`, padding counted in the average).
public final class AvgPool2D: Layer {
  /// Window size, step and zero padding.
  public let kernelSize: Int, stride: Int, padding: Int
  /// A pooling layer; `stride` defaults to the window size, as in PyTorch.
  public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
    self.kernelSize = kernelSize
    self.stride = stride ?? kernelSize
    self.padding = padding
  }
  /// Pools `input`.
  public func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    try input.avgPool2d(kernelSize: kernelSize, stride: stride, padding: padding)
  }
  /// None.
  public var namedParameters: [(name: String, parameter: Parameter)] { [] }
}

/// Global average pooling: `[N, C, H, W]` to `[N, C]` (adaptive average pooling to 1x1, flattened).
public final class GlobalAvgPool2D: Layer {
  /// A global pooling layer.
  public init() {}
  /// Averages every channel's plane.
  public func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    try input.globalAvgPool2d()
  }
  /// None.
  public var namedParameters: [(name: String, parameter: Parameter)] { [] }
}

/// Flattens `[N, ...]` to `[N, rest]` (PyTorch's `Flatten`).
public final class Flatten: Layer {
  /// A flatten layer.
  public init() {}
  /// Flattens all but the batch dimension.
  public func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor { input.flattened() }
  /// None.
  public var namedParameters: [(name: String, parameter: Parameter)] { [] }
}

/// Dropout, active only in training modes; masks come from the context's generator.
public final class Dropout: Layer {
  /// The probability of zeroing an element.
  public let probability: Float
  /// A dropout layer.
  public init(probability: Float) { self.probability = probability }
  /// Drops elements in training; the identity in inference.
  public func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    guard context.isTraining else { return input }
    return try input.dropout(probability: probability, using: &context.random)
  }
  /// None.
  public var namedParameters: [(name: String, parameter: Parameter)] { [] }
}
