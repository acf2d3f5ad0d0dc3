import GrawaTensor

/// A tiny convolutional network for tests, examples and quick demonstrations of the distributed
/// strategies (not a paper model): conv 3x3 (8 channels) - batch norm - ReLU - max pool 2 -
/// conv 3x3 (16) - batch norm - ReLU - global average pool - linear. With 3 input channels and 10
/// classes it has 1,586 parameters in 8 tensors and 48 buffer scalars.
public final class TinyCNN: Layer {
  private let body: Sequential

  /// A tiny CNN for `inputChannels`-channel images and `classes` classes (any input size >= 2).
  public init(inputChannels: Int, classes: Int, generator: inout RandomGenerator) {
    body = Sequential(named: [
      ("conv1", Conv2D(inputChannels: inputChannels, outputChannels: 8, kernelSize: 3, padding: 1, generator: &generator)),
      ("bn1", BatchNorm2D(channels: 8)),
      ("relu1", ReLU()),
      ("pool", MaxPool2D(kernelSize: 2)),
      ("conv2", Conv2D(inputChannels: 8, outputChannels: 16, kernelSize: 3, padding: 1, generator: &generator)),
      ("bn2", BatchNorm2D(channels: 16)),
      ("relu2", ReLU()),
      ("gap", GlobalAvgPool2D()),
      ("fc", Linear(inputFeatures: 16, outputFeatures: classes, generator: &generator)),
    ])
  }

  /// Logits `[N, classes]` for images `[N, C, H, W]`.
  public func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    try body(input, context)
  }

  /// The layers' parameters under `conv1`, `bn1`, `conv2`, `bn2`, `fc`.
  public var namedParameters: [(name: String, parameter: Parameter)] { body.namedParameters }
  /// The batch-norm buffers.
  public var namedBuffers: [(name: String, buffer: Buffer)] { body.namedBuffers }
}
