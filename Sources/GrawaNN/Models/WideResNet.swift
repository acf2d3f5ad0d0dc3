import GrawaTensor

/// Wide residual network (Zagoruyko & Komodakis 2016, "Wide Residual Networks"), in the CIFAR
/// form of github.com/xternalz/WideResNet-pytorch that the GRAWA authors copy; WRN-28-10 by
/// default.
///
/// A 3x3 stem convolution with 16 channels; three groups of `n = (depth - 4) / 6` pre-activation
/// wide basic blocks with `16k`, `32k` and `64k` channels (k = widen factor; groups 2 and 3
/// start with stride 2); then BN - ReLU - global average pooling - linear classifier `fc`. A block
/// computes `conv2(dropout(relu(bn2(conv1(relu(bn1(x)))))))` and adds the input, or, when the
/// width changes, a 1x1 convolution `convShortcut` of the pre-activated input
/// `relu(bn1(x))` (the reference's quirk, kept). No convolution has a bias.
///
/// Parameter names are the reference's: `conv1.weight`, `block1.layer.0.bn1.weight`,
/// `block1.layer.0.bn1.bias`, `block1.layer.0.conv1.weight`, `block1.layer.0.bn2.weight`, ...,
/// `block1.layer.0.conv2.weight`, `block1.layer.0.convShortcut.weight`, ..., `bn1.weight`,
/// `bn1.bias`, `fc.weight`, `fc.bias`. WRN-28-10 has 80 tensors and 36,479,194 parameters for 3
/// input channels and 10 classes (36,536,884 for 100).
///
/// **Initialisation.** As the reference: convolutions Kaiming normal with ReLU gain scaled by the
/// fan-out, batch norm gamma 1 and beta 0, the linear weight PyTorch's default and its bias 0.
///
/// **Input size.** The reference ends with `avg_pool2d(out, 8)`, global pooling for 32x32
/// inputs; we average the whole final map, so 28x28 inputs (7x7 final map) work too.
public final class WideResNet: Layer {
  /// The depth, `6n + 4`.
  public let depth: Int
  /// The widen factor k.
  public let widenFactor: Int
  /// The dropout probability between the two convolutions of every block.
  public let dropoutProbability: Float
  /// The number of output classes.
  public let classes: Int
  let conv1: Conv2D
  /// `block1` ... `block3`: each the reference's `NetworkBlock`, a module holding `layer`.
  let groups: [Sequential]
  let bn1: BatchNorm2D
  let fc: Linear

  /// Builds a wide residual network WRN-`depth`-`widenFactor`.
  /// - Parameters:
  ///   - depth: `6n + 4` with `n >= 1` (28 for WRN-28-10).
  ///   - widenFactor: k, the width multiplier (10 for WRN-28-10).
  ///   - dropoutProbability: dropout between the convolutions of a block (the reference's
  ///     default, and ours, is 0; the WRN paper uses 0.3 on CIFAR).
  ///   - inputChannels: channels of the input images (3 for CIFAR, 1 for Fashion-MNIST).
  ///   - inputSize: height and width of the (square) input images; any size from 1 works.
  ///   - classes: the number of output classes.
  ///   - generator: the source of the initial values, consumed in declaration order.
  /// - Throws: ``ModelError`` for a depth not of the form `6n + 4`, a widen factor below 1, a
  ///   probability outside `[0, 1)` or a count below 1.
  public init(
    depth: Int = 28, widenFactor: Int = 10, dropoutProbability: Float = 0, inputChannels: Int,
    inputSize: Int,
    classes: Int, generator: inout RandomGenerator
  ) throws {
    try ModelArguments.check(
      "WideResNet", inputChannels: inputChannels, inputSize: inputSize, classes: classes)
    guard depth >= 10, (depth - 4) % 6 == 0 else {
      throw ModelError(
        "WideResNet", "depth must be 6n + 4 with n >= 1 (10, 16, 22, 28, 40, ...), got \(depth)")
    }
    guard widenFactor >= 1 else {
      throw ModelError("WideResNet", "widen factor must be at least 1, got \(widenFactor)")
    }
    guard dropoutProbability >= 0, dropoutProbability < 1 else {
      throw ModelError(
        "WideResNet", "dropout probability must be in [0, 1), got \(dropoutProbability)")
    }
    self.depth = depth
    self.widenFactor = widenFactor
    self.dropoutProbability = dropoutProbability
    self.classes = classes
    let blocksPerGroup = (depth - 4) / 6
    conv1 = Conv2D(
      inputChannels: inputChannels, outputChannels: 16, kernelSize: 3, padding: 1,
      initialization: .kaimingNormal(.fanOut), generator: &generator)
    var inputPlanes = 16
    var groups: [Sequential] = []
    for (planes, stride) in [(16 * widenFactor, 1), (32 * widenFactor, 2), (64 * widenFactor, 2)] {
      var blocks: [any Layer] = []
      for index in 0..<blocksPerGroup {
        blocks.append(
          WideBasicBlock(
            inputPlanes: inputPlanes, outputPlanes: planes, stride: index == 0 ? stride : 1,
            dropoutProbability: dropoutProbability, generator: &generator))
        inputPlanes = planes
      }
      groups.append(Sequential(named: [("layer", Sequential(blocks))]))
    }
    self.groups = groups
    bn1 = BatchNorm2D(channels: inputPlanes)
    fc = Linear(inputFeatures: inputPlanes, outputFeatures: classes, generator: &generator)
    if let bias = fc.bias {
      try bias.fill(0)
    }
  }

  private var children: NamedChildren {
    [("conv1", conv1)]
      + groups.enumerated().map { (name: "block\($0.offset + 1)", layer: $0.element as any Layer) }
      + [("bn1", bn1), ("fc", fc)]
  }

  /// Maps `[N, inputChannels, H, W]` images to `[N, classes]` logits.
  public func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    var x = try conv1(input, context)
    for group in groups {
      x = try group(x, context)
    }
    x = try bn1(x, context, relu: true)
    return try fc(x.globalAvgPool2d(), context)
  }

  /// `conv1.weight`, `block1.layer.0.bn1.weight`, ..., `bn1.bias`, `fc.weight`, `fc.bias`.
  public var namedParameters: [(name: String, parameter: Parameter)] { collectParameters(children) }

  /// `block1.layer.0.bn1.running_mean`, ..., `bn1.running_var`.
  public var namedBuffers: [(name: String, buffer: Buffer)] { collectBuffers(children) }
}

/// The pre-activation wide basic block of xternalz's WideResNet (see ``WideResNet``).
final class WideBasicBlock: Layer {
  let bn1: BatchNorm2D
  let conv1: Conv2D
  let bn2: BatchNorm2D
  let conv2: Conv2D
  /// The 1x1 projection when the width changes, else `nil` (identity shortcut).
  let convShortcut: Conv2D?
  let dropoutProbability: Float

  init(
    inputPlanes: Int, outputPlanes: Int, stride: Int, dropoutProbability: Float,
    generator: inout RandomGenerator
  ) {
    let kaiming = WeightInitialization.kaimingNormal(.fanOut)
    bn1 = BatchNorm2D(channels: inputPlanes)
    conv1 = Conv2D(
      inputChannels: inputPlanes, outputChannels: outputPlanes, kernelSize: 3, stride: stride,
      padding: 1,
      initialization: kaiming, generator: &generator)
    bn2 = BatchNorm2D(channels: outputPlanes)
    conv2 = Conv2D(
      inputChannels: outputPlanes, outputChannels: outputPlanes, kernelSize: 3, padding: 1,
      initialization: kaiming, generator: &generator)
    // As in the reference, the projection depends on the width only: an equal-width block with
    // stride 2 would keep the identity (no such block occurs, the stride-2 blocks all widen).
    convShortcut =
      inputPlanes == outputPlanes
      ? nil
      : Conv2D(
        inputChannels: inputPlanes, outputChannels: outputPlanes, kernelSize: 1, stride: stride,
        initialization: kaiming, generator: &generator)
    self.dropoutProbability = dropoutProbability
  }

  private var children: NamedChildren {
    var list: NamedChildren = [("bn1", bn1), ("conv1", conv1), ("bn2", bn2), ("conv2", conv2)]
    if let convShortcut { list.append(("convShortcut", convShortcut)) }
    return list
  }

  func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    let activated = try bn1(input, context, relu: true)
    var x = try bn2(conv1(activated, context), context, relu: true)
    if dropoutProbability > 0, context.isTraining {
      x = try x.dropout(probability: dropoutProbability, using: &context.random)
    }
    x = try conv2(x, context)
    let shortcut = try convShortcut?.callAsFunction(activated, context) ?? input
    return try shortcut + x
  }

  var namedParameters: [(name: String, parameter: Parameter)] { collectParameters(children) }

  var namedBuffers: [(name: String, buffer: Buffer)] { collectBuffers(children) }
}
