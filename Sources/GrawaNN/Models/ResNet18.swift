import GrawaTensor

/// ResNet-18 in its common CIFAR form (He et al. 2016's 18-layer network as written in
/// github.com/kuangliu/pytorch-cifar): a 3x3 stride-1 stem with 64 channels and no max pool, four
/// stages of two basic blocks with 64, 128, 256 and 512 channels (stages 2-4 start with stride
/// 2), projection shortcuts (1x1 convolution + batch norm, option B) wherever the shape changes,
/// global average pooling and a linear classifier.
///
/// Parameter names follow that code: `conv1.weight`, `bn1.weight`, `bn1.bias`,
/// `layer1.0.conv1.weight`, ..., `layer2.0.shortcut.0.weight` (projection convolution),
/// `layer2.0.shortcut.1.weight` (its batch norm), ..., `linear.weight`, `linear.bias`: 62 tensors,
/// 11,173,962 parameters for 3 input channels and 10 classes.
///
/// **Initialisation.** As in the reference code, PyTorch's defaults: convolution and linear
/// weights uniform in `±1/sqrt(fanIn)`, batch norm gamma 1 and beta 0.
///
/// **Input size.** The reference ends with `avg_pool2d(out, 4)`, which is global pooling only for
/// 32x32 inputs; we average the whole final map instead, so 32x32 (4x4 map) gives the same
/// network and 28x28 (4x4 map as well, through 28 -> 14 -> 7 -> 4) works unchanged.
public final class ResNet18: Layer {
  /// The number of output classes.
  public let classes: Int
  let conv1: Conv2D
  let bn1: BatchNorm2D
  /// `layer1` ... `layer4`.
  let stages: [Sequential]
  let linear: Linear

  /// Builds ResNet-18 for `classes` classes.
  /// - Parameters:
  ///   - inputChannels: channels of the input images (3 for CIFAR, 1 for Fashion-MNIST).
  ///   - inputSize: height and width of the (square) input images; any size from 1 works.
  ///   - classes: the number of output classes.
  ///   - generator: the source of the initial values, consumed in declaration order.
  /// - Throws: ``ModelError`` for a count below 1.
  public init(inputChannels: Int, inputSize: Int, classes: Int, generator: inout RandomGenerator)
    throws
  {
    try ModelArguments.check(
      "ResNet-18", inputChannels: inputChannels, inputSize: inputSize, classes: classes)
    self.classes = classes
    conv1 = Conv2D(
      inputChannels: inputChannels, outputChannels: 64, kernelSize: 3, padding: 1,
      generator: &generator)
    bn1 = BatchNorm2D(channels: 64)
    var inputPlanes = 64
    var stages: [Sequential] = []
    for (planes, stride) in [(64, 1), (128, 2), (256, 2), (512, 2)] {
      var blocks: [any Layer] = []
      for index in 0..<2 {
        blocks.append(
          ProjectionBasicBlock(
            inputPlanes: inputPlanes, planes: planes, stride: index == 0 ? stride : 1,
            generator: &generator))
        inputPlanes = planes
      }
      stages.append(Sequential(blocks))
    }
    self.stages = stages
    linear = Linear(inputFeatures: 512, outputFeatures: classes, generator: &generator)
  }

  private var children: NamedChildren {
    [("conv1", conv1), ("bn1", bn1)]
      + stages.enumerated().map { (name: "layer\($0.offset + 1)", layer: $0.element as any Layer) }
      + [("linear", linear)]
  }

  /// Maps `[N, inputChannels, H, W]` images to `[N, classes]` logits.
  public func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    var x = try bn1(conv1(input, context), context, relu: true)
    for stage in stages {
      x = try stage(x, context)
    }
    return try linear(x.globalAvgPool2d(), context)
  }

  /// `conv1.weight`, `bn1.weight`, `bn1.bias`, `layer1.0.conv1.weight`, ..., `linear.bias`.
  public var namedParameters: [(name: String, parameter: Parameter)] { collectParameters(children) }

  /// `bn1.running_mean`, `bn1.running_var`, `layer1.0.bn1.running_mean`, ...
  public var namedBuffers: [(name: String, buffer: Buffer)] { collectBuffers(children) }
}

/// A basic block whose shortcut is the identity or, when stride or width change, a 1x1
/// convolution and batch norm (`shortcut.0`, `shortcut.1`).
final class ProjectionBasicBlock: Layer {
  let conv1: Conv2D
  let bn1: BatchNorm2D
  let conv2: Conv2D
  let bn2: BatchNorm2D
  /// The projection, or `nil` for the identity.
  let shortcut: Sequential?

  init(inputPlanes: Int, planes: Int, stride: Int, generator: inout RandomGenerator) {
    conv1 = Conv2D(
      inputChannels: inputPlanes, outputChannels: planes, kernelSize: 3, stride: stride, padding: 1,
      generator: &generator)
    bn1 = BatchNorm2D(channels: planes)
    conv2 = Conv2D(
      inputChannels: planes, outputChannels: planes, kernelSize: 3, padding: 1,
      generator: &generator)
    bn2 = BatchNorm2D(channels: planes)
    if stride != 1 || inputPlanes != planes {
      let projection = Conv2D(
        inputChannels: inputPlanes, outputChannels: planes, kernelSize: 1, stride: stride,
        generator: &generator)
      shortcut = Sequential([projection, BatchNorm2D(channels: planes)])
    } else {
      shortcut = nil
    }
  }

  private var children: NamedChildren {
    var list: NamedChildren = [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2)]
    if let shortcut { list.append(("shortcut", shortcut)) }
    return list
  }

  func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    let hidden = try bn1(conv1(input, context), context, relu: true)
    let identity = try shortcut?.callAsFunction(input, context) ?? input
    // relu(bn2(conv2(hidden)) + identity), fused.
    return try bn2(conv2(hidden, context), context, adding: identity, relu: true)
  }

  var namedParameters: [(name: String, parameter: Parameter)] { collectParameters(children) }

  var namedBuffers: [(name: String, buffer: Buffer)] { collectBuffers(children) }
}
