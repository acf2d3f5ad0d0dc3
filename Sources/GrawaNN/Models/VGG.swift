import GrawaTensor

/// VGG-16 with batch normalisation for CIFAR (Simonyan & Zisserman 2015, configuration D, as in
/// github.com/chengyangfu/pytorch-vgg-cifar10, which the GRAWA authors copy).
///
/// `features`: thirteen 3x3 convolutions (with bias) each followed by batch norm and ReLU, in
/// the pattern 64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M
/// (M = 2x2 max pool, stride 2); then `classifier`: Dropout(0.5) - Linear(512, 512) - ReLU -
/// Dropout(0.5) - Linear(512, 512) - ReLU - Linear(512, classes). Parameter names are PyTorch's
/// `nn.Sequential` indices: `features.0.weight`, `features.0.bias` (convolution),
/// `features.1.weight`, `features.1.bias` (batch norm), `features.3.weight`, ...,
/// `classifier.1.weight`, `classifier.4.weight`, `classifier.6.weight`, `classifier.6.bias`:
/// 58 tensors, 15,253,578 parameters for 3 input channels and 10 classes.
///
/// **Initialisation.** The authors' copy drops chengyangfu's explicit initialisation, so every
/// layer keeps PyTorch's default (convolution and linear weights and biases uniform in
/// `±1/sqrt(fanIn)`), batch norm gamma 1 and beta 0. We do the same.
///
/// **Input size.** Five 2x2 pools take 32x32 to 1x1, so the classifier sees 512 features, as in
/// the reference. For other sizes two rules keep that true: a pool whose input has a side of 1
/// is skipped (28x28 goes 28 -> 14 -> 7 -> 3 -> 1 and the fifth pool leaves the 1x1 map alone,
/// where PyTorch would fail), and the final map is averaged to 1x1 before the classifier (a
/// no-op for 32x32 and 28x28; larger inputs, which PyTorch would reject, get global average
/// pooling).
public final class VGG16: Layer {
  /// Configuration D: output channels of each convolution, `nil` for a max pool.
  static let configuration: [Int?] = [
    64, 64, nil, 128, 128, nil, 256, 256, 256, nil, 512, 512, 512, nil, 512, 512, 512, nil,
  ]

  /// The number of output classes.
  public let classes: Int
  /// The dropout probability of the two classifier dropouts.
  public let dropoutProbability: Float
  let features: Sequential
  let classifier: Sequential

  /// Builds VGG-16 (batch norm) for `classes` classes.
  /// - Parameters:
  ///   - inputChannels: channels of the input images (3 for CIFAR, 1 for Fashion-MNIST).
  ///   - inputSize: height and width of the (square) input images; any size from 1 works.
  ///   - classes: the number of output classes.
  ///   - dropoutProbability: the classifier's dropout probability (PyTorch's default 0.5).
  ///   - generator: the source of the initial values, consumed in declaration order.
  /// - Throws: ``ModelError`` for a count below 1 or a probability outside `[0, 1)`.
  public init(
    inputChannels: Int, inputSize: Int, classes: Int, dropoutProbability: Float = 0.5,
    generator: inout RandomGenerator
  ) throws {
    try ModelArguments.check(
      "VGG-16", inputChannels: inputChannels, inputSize: inputSize, classes: classes)
    guard dropoutProbability >= 0, dropoutProbability < 1 else {
      throw ModelError("VGG-16", "dropout probability must be in [0, 1), got \(dropoutProbability)")
    }
    self.classes = classes
    self.dropoutProbability = dropoutProbability
    var layers: [any Layer] = []
    var channels = inputChannels
    for entry in VGG16.configuration {
      guard let width = entry else {
        layers.append(HalvingMaxPool())
        continue
      }
      layers.append(
        Conv2D(
          inputChannels: channels, outputChannels: width, kernelSize: 3, padding: 1, bias: true,
          generator: &generator))
      layers.append(BatchNorm2D(channels: width))
      layers.append(ReLU())
      channels = width
    }
    features = Sequential(layers)
    classifier = Sequential([
      Dropout(probability: dropoutProbability),
      Linear(inputFeatures: 512, outputFeatures: 512, generator: &generator),
      ReLU(),
      Dropout(probability: dropoutProbability),
      Linear(inputFeatures: 512, outputFeatures: 512, generator: &generator),
      ReLU(),
      Linear(inputFeatures: 512, outputFeatures: classes, generator: &generator),
    ])
  }

  private var children: NamedChildren { [("features", features), ("classifier", classifier)] }

  /// Maps `[N, inputChannels, H, W]` images to `[N, classes]` logits.
  public func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    let x = try features(input, context)
    // [N, 512, 1, 1] for 32x32 and 28x28 inputs: the average is then the flattening itself.
    let pooled: Tensor
    if x.rank == 4, x.shape[2] == 1, x.shape[3] == 1 {
      pooled = x.flattened()
    } else {
      pooled = try x.globalAvgPool2d()
    }
    return try classifier(pooled, context)
  }

  /// `features.0.weight`, `features.0.bias`, `features.1.weight`, ..., `classifier.6.bias`.
  public var namedParameters: [(name: String, parameter: Parameter)] { collectParameters(children) }

  /// `features.1.running_mean`, `features.1.running_var`, `features.4.running_mean`, ...
  public var namedBuffers: [(name: String, buffer: Buffer)] { collectBuffers(children) }
}

/// VGG's 2x2 stride-2 max pool, skipped when the input already has a side of 1 (see ``VGG16``).
final class HalvingMaxPool: Layer {
  func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    if input.rank == 4, input.shape[2] < 2 || input.shape[3] < 2 {
      return input
    }
    return try input.maxPool2d(kernelSize: 2, stride: 2)
  }

  var namedParameters: [(name: String, parameter: Parameter)] { [] }
}
