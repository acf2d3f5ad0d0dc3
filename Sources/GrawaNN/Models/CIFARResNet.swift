import GrawaTensor

/// The CIFAR residual network of He et al. 2016 ("Deep Residual Learning for Image Recognition",
/// section 4.2) with option-A shortcuts: ResNet-20, -32, -44, -56, -110 (depth `6n + 2`).
///
/// A 3x3 stem convolution with 16 channels, then three stages of `n` basic blocks with 16, 32 and
/// 64 channels (the second and third stages start with stride 2), global average pooling and a
/// linear classifier. A block is `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`; the
/// shortcut is the identity, or for a downsampling block `x[:, :, ::2, ::2]` with `planes / 4`
/// zero channels on each side (option A: no parameters).
///
/// This is the definition the GRAWA authors use (their copy of github.com/akamaster/
/// pytorch_resnet_cifar10), with the same parameter names: `conv1.weight`, `bn1.weight`,
/// `bn1.bias`, `layer1.0.conv1.weight`, ..., `linear.weight`, `linear.bias`. ResNet-20 has 59
/// parameter tensors and 269,722 parameters for 3 input channels and 10 classes.
///
/// **Initialisation.** The authors' copy drops akamaster's `_weights_init`, so every layer keeps
/// PyTorch's default (convolution and linear weights uniform in `±1/sqrt(fanIn)`); that is our
/// default too. Pass `convolutionInitialization: .kaimingNormal(.fanIn)` for He et al.'s (and
/// akamaster's) Kaiming-normal convolutions. Batch norm starts at gamma 1, beta 0.
///
/// **Input size.** The final pooling averages whatever spatial map is left (PyTorch's
/// `avg_pool2d(out, out.size(3))` on square maps), so 28x28 (Fashion-MNIST, or the authors'
/// 28x28 CIFAR crops) gives a 7x7 map and 32x32 an 8x8 map, both ending in 64 features.
public final class CIFARResNet: Layer {
  /// The depth, `6n + 2`.
  public let depth: Int
  /// The number of output classes.
  public let classes: Int
  /// The stem convolution, 3x3, 16 channels.
  let conv1: Conv2D
  /// The stem batch norm.
  let bn1: BatchNorm2D
  /// The three stages (`layer1`, `layer2`, `layer3`), each a sequence of blocks named `0`, `1`, ...
  let stages: [Sequential]
  /// The classifier, 64 features to `classes`.
  let linear: Linear

  /// Builds a CIFAR ResNet of `depth` layers.
  /// - Parameters:
  ///   - depth: `6n + 2` with `n >= 1` (20 and 56 are the paper's ResNet-20 and ResNet-56).
  ///   - inputChannels: channels of the input images (3 for CIFAR, 1 for Fashion-MNIST).
  ///   - inputSize: height and width of the (square) input images; any size from 1 works.
  ///   - classes: the number of output classes.
  ///   - convolutionInitialization: how convolution weights are drawn (default: PyTorch's, as in
  ///     the authors' code).
  ///   - generator: the source of the initial values, consumed in declaration order.
  /// - Throws: ``ModelError`` for a depth not of the form `6n + 2` or a count below 1.
  public init(
    depth: Int, inputChannels: Int, inputSize: Int, classes: Int,
    convolutionInitialization: WeightInitialization = .pytorchDefault,
    generator: inout RandomGenerator
  ) throws {
    try ModelArguments.check(
      "ResNet-\(depth)", inputChannels: inputChannels, inputSize: inputSize, classes: classes)
    guard depth >= 8, (depth - 2) % 6 == 0 else {
      throw ModelError(
        "CIFAR ResNet", "depth must be 6n + 2 with n >= 1 (20, 32, 44, 56, 110, ...), got \(depth)")
    }
    let blocksPerStage = (depth - 2) / 6
    self.depth = depth
    self.classes = classes
    conv1 = Conv2D(
      inputChannels: inputChannels, outputChannels: 16, kernelSize: 3, padding: 1,
      initialization: convolutionInitialization, generator: &generator)
    bn1 = BatchNorm2D(channels: 16)
    var inputPlanes = 16
    var stages: [Sequential] = []
    for (planes, stride) in [(16, 1), (32, 2), (64, 2)] {
      var blocks: [any Layer] = []
      for index in 0..<blocksPerStage {
        blocks.append(
          OptionABasicBlock(
            inputPlanes: inputPlanes, planes: planes, stride: index == 0 ? stride : 1,
            initialization: convolutionInitialization, generator: &generator))
        inputPlanes = planes
      }
      stages.append(Sequential(blocks))
    }
    self.stages = stages
    linear = Linear(inputFeatures: 64, outputFeatures: classes, generator: &generator)
  }

  /// The children in PyTorch's registration order.
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

/// The basic block of the CIFAR ResNet with an option-A (parameter-free) shortcut.
final class OptionABasicBlock: Layer {
  let conv1: Conv2D
  let bn1: BatchNorm2D
  let conv2: Conv2D
  let bn2: BatchNorm2D
  /// Zero channels added on each side of the subsampled input, or `nil` for the identity.
  let shortcutPadding: Int?

  init(
    inputPlanes: Int, planes: Int, stride: Int, initialization: WeightInitialization,
    generator: inout RandomGenerator
  ) {
    conv1 = Conv2D(
      inputChannels: inputPlanes, outputChannels: planes, kernelSize: 3, stride: stride, padding: 1,
      initialization: initialization, generator: &generator)
    bn1 = BatchNorm2D(channels: planes)
    conv2 = Conv2D(
      inputChannels: planes, outputChannels: planes, kernelSize: 3, padding: 1,
      initialization: initialization, generator: &generator)
    bn2 = BatchNorm2D(channels: planes)
    // As in the reference: whenever the block changes stride or width, subsample by 2 and pad
    // planes / 4 on each side (the only such blocks double the width: 16 -> 32 -> 64).
    shortcutPadding = (stride != 1 || inputPlanes != planes) ? planes / 4 : nil
  }

  private var children: NamedChildren {
    [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2)]
  }

  func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    let hidden = try bn1(conv1(input, context), context, relu: true)
    var shortcut = input
    if let shortcutPadding {
      shortcut = try input.subsampled(stride: 2).paddingChannels(
        before: shortcutPadding, after: shortcutPadding)
    }
    // relu(bn2(conv2(hidden)) + shortcut), fused.
    return try bn2(conv2(hidden, context), context, adding: shortcut, relu: true)
  }

  var namedParameters: [(name: String, parameter: Parameter)] { collectParameters(children) }

  var namedBuffers: [(name: String, buffer: Buffer)] { collectBuffers(children) }
}
