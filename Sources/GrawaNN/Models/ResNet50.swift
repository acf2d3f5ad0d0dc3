import GrawaTensor

/// ResNet-50 in torchvision's ImageNet layout (He et al. 2016, table 1, with the "v1.5" stride on
/// the 3x3 convolution of each bottleneck, as torchvision has it).
///
/// A 7x7 stride-2 stem with 64 channels, batch norm, ReLU and a 3x3 stride-2 max pool; four
/// stages of [3, 4, 6, 3] bottleneck blocks (1x1 -> 3x3 -> 1x1, expansion 4, widths 64, 128, 256,
/// 512; stages 2-4 start with stride 2) whose first block projects the shortcut with a 1x1
/// convolution and batch norm (`downsample.0`, `downsample.1`); global average pooling and a
/// linear classifier `fc`. Parameter names are torchvision's: `conv1.weight`, `bn1.weight`, ...,
/// `layer1.0.downsample.0.weight`, ..., `fc.weight`, `fc.bias`: 161 tensors, 25,557,032 parameters
/// for 3 input channels and 1000 classes.
///
/// **Initialisation.** As torchvision: convolutions Kaiming normal with ReLU gain scaled by the
/// fan-out, batch norm gamma 1 and beta 0 (no zero-initialised residual gamma), the linear layer
/// PyTorch's default.
///
/// **Input size.** torchvision's adaptive average pooling to 1x1 makes every input size from 1
/// pixel work; 224x224 gives a 7x7 final map, 32x32 a 1x1 map, 64x64 a 2x2 map.
public final class ResNet50: Layer {
  /// The number of output classes.
  public let classes: Int
  let conv1: Conv2D
  let bn1: BatchNorm2D
  let maxPool: MaxPool2D
  /// `layer1` ... `layer4`.
  let stages: [Sequential]
  let fc: Linear

  /// Builds ResNet-50 for `classes` classes.
  /// - Parameters:
  ///   - inputChannels: channels of the input images (3 for ImageNet or CIFAR).
  ///   - inputSize: height and width of the (square) input images; any size from 1 works.
  ///   - classes: the number of output classes (1000 for ImageNet).
  ///   - generator: the source of the initial values, consumed in declaration order.
  /// - Throws: ``ModelError`` for a count below 1.
  public init(inputChannels: Int, inputSize: Int, classes: Int, generator: inout RandomGenerator)
    throws
  {
    try ModelArguments.check(
      "ResNet-50", inputChannels: inputChannels, inputSize: inputSize, classes: classes)
    self.classes = classes
    conv1 = Conv2D(
      inputChannels: inputChannels, outputChannels: 64, kernelSize: 7, stride: 2, padding: 3,
      initialization: .kaimingNormal(.fanOut), generator: &generator)
    bn1 = BatchNorm2D(channels: 64)
    maxPool = MaxPool2D(kernelSize: 3, stride: 2, padding: 1)
    var inputPlanes = 64
    var stages: [Sequential] = []
    for (planes, count, stride) in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)] {
      var blocks: [any Layer] = []
      for index in 0..<count {
        blocks.append(
          Bottleneck(
            inputPlanes: inputPlanes, planes: planes, stride: index == 0 ? stride : 1,
            generator: &generator))
        inputPlanes = planes * Bottleneck.expansion
      }
      stages.append(Sequential(blocks))
    }
    self.stages = stages
    fc = Linear(
      inputFeatures: 512 * Bottleneck.expansion, outputFeatures: classes, generator: &generator)
  }

  private var children: NamedChildren {
    [("conv1", conv1), ("bn1", bn1)]
      + stages.enumerated().map { (name: "layer\($0.offset + 1)", layer: $0.element as any Layer) }
      + [("fc", fc)]
  }

  /// Maps `[N, inputChannels, H, W]` images to `[N, classes]` logits.
  public func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    var x = try bn1(conv1(input, context), context, relu: true)
    x = try maxPool(x, context)
    for stage in stages {
      x = try stage(x, context)
    }
    return try fc(x.globalAvgPool2d(), context)
  }

  /// `conv1.weight`, `bn1.weight`, `bn1.bias`, `layer1.0.conv1.weight`, ..., `fc.bias`.
  public var namedParameters: [(name: String, parameter: Parameter)] { collectParameters(children) }

  /// `bn1.running_mean`, `bn1.running_var`, `layer1.0.bn1.running_mean`, ...
  public var namedBuffers: [(name: String, buffer: Buffer)] { collectBuffers(children) }
}

/// torchvision's bottleneck block: `relu(bn3(conv3(relu(bn2(conv2(relu(bn1(conv1(x))))))))
/// + downsample(x))`, the stride on `conv2`.
final class Bottleneck: Layer {
  /// Output channels per `planes`.
  static let expansion = 4

  let conv1: Conv2D
  let bn1: BatchNorm2D
  let conv2: Conv2D
  let bn2: BatchNorm2D
  let conv3: Conv2D
  let bn3: BatchNorm2D
  /// The projection shortcut, or `nil` for the identity.
  let downsample: Sequential?

  init(inputPlanes: Int, planes: Int, stride: Int, generator: inout RandomGenerator) {
    let outputPlanes = planes * Bottleneck.expansion
    let kaiming = WeightInitialization.kaimingNormal(.fanOut)
    conv1 = Conv2D(
      inputChannels: inputPlanes, outputChannels: planes, kernelSize: 1, initialization: kaiming,
      generator: &generator)
    bn1 = BatchNorm2D(channels: planes)
    conv2 = Conv2D(
      inputChannels: planes, outputChannels: planes, kernelSize: 3, stride: stride, padding: 1,
      initialization: kaiming, generator: &generator)
    bn2 = BatchNorm2D(channels: planes)
    conv3 = Conv2D(
      inputChannels: planes, outputChannels: outputPlanes, kernelSize: 1, initialization: kaiming,
      generator: &generator)
    bn3 = BatchNorm2D(channels: outputPlanes)
    if stride != 1 || inputPlanes != outputPlanes {
      let projection = Conv2D(
        inputChannels: inputPlanes, outputChannels: outputPlanes, kernelSize: 1, stride: stride,
        initialization: kaiming, generator: &generator)
      downsample = Sequential([projection, BatchNorm2D(channels: outputPlanes)])
    } else {
      downsample = nil
    }
  }

  private var children: NamedChildren {
    var list: NamedChildren = [
      ("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2), ("conv3", conv3),
      ("bn3", bn3),
    ]
    if let downsample { list.append(("downsample", downsample)) }
    return list
  }

  func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    var x = try bn1(conv1(input, context), context, relu: true)
    x = try bn2(conv2(x, context), context, relu: true)
    let identity = try downsample?.callAsFunction(input, context) ?? input
    // relu(bn3(conv3(x)) + identity), fused.
    return try bn3(conv3(x, context), context, adding: identity, relu: true)
  }

  var namedParameters: [(name: String, parameter: Parameter)] { collectParameters(children) }

  var namedBuffers: [(name: String, buffer: Buffer)] { collectBuffers(children) }
}
