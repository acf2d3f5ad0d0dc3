import GrawaTensor

/// PyramidNet with basic blocks for CIFAR (Han, Kim & Kim 2017, "Deep Pyramidal Residual
/// Networks", github.com/jhkim89/PyramidNet-PyTorch, as the GRAWA authors use it); PyramidNet-110
/// with alpha 270 by default.
///
/// A 3x3 stem convolution with 16 channels and batch norm (no ReLU), then three stages of
/// `n = (depth - 2) / 6` blocks whose width grows additively: every block adds `alpha / (3n)`
/// channels to a running real-valued width, rounded half to even (Python 3's `round`) to give
/// the block's channel count. A block is `bn3(conv2(relu(bn2(conv1(bn1(x))))))` plus the
/// shortcut: the input itself or, for the first block of stages 2 and 3, the input averaged over
/// 2x2 windows (stride 2), in both cases with zero channels appended to reach the block's width.
/// The head is batch norm, ReLU, global average pooling and a linear classifier `fc`.
///
/// Parameter names follow the reference: `conv1.weight`, `bn1.weight`, `bn1.bias`,
/// `layer1.0.bn1.weight`, `layer1.0.conv1.weight`, `layer1.0.bn2.weight`, ...,
/// `layer1.0.bn3.bias`, ..., `bn_final.weight`, `bn_final.bias`, `fc.weight`, `fc.bias`.
/// PyramidNet-110 (alpha 270) has 439 tensors and 28,485,477 parameters for 3 input channels
/// and 10 classes (28,511,307 for 100).
///
/// **Initialisation.** As the reference: convolutions normal with standard deviation
/// `sqrt(2 / (k * k * outputChannels))` (Kaiming normal, fan-out), batch norm gamma 1 and beta
/// 0, the linear layer PyTorch's default.
///
/// **Input size.** The reference ends with `AvgPool2d(8)`, which is global pooling for 32x32
/// inputs; we average the whole final map, so 28x28 inputs (7x7 final map) work too. The
/// reference's shortcut pools with `ceil_mode=True`; we pool floor-style, which is the same on
/// even maps, so the input size must be a multiple of 4 (both pooled maps even).
public final class PyramidNet: Layer {
  /// The depth, `6n + 2`.
  public let depth: Int
  /// The total number of channels the blocks add (the widening factor alpha).
  public let alpha: Int
  /// The number of output classes.
  public let classes: Int
  let conv1: Conv2D
  let bn1: BatchNorm2D
  /// `layer1` ... `layer3`.
  let stages: [Sequential]
  let bnFinal: BatchNorm2D
  let fc: Linear

  /// Builds a PyramidNet with basic blocks.
  /// - Parameters:
  ///   - depth: `6n + 2` with `n >= 1` (110 in the GRAWA paper).
  ///   - alpha: the widening factor, the channels added over all blocks (270 in the GRAWA paper).
  ///   - inputChannels: channels of the input images (3 for CIFAR, 1 for Fashion-MNIST).
  ///   - inputSize: height and width of the (square) input images, a multiple of 4.
  ///   - classes: the number of output classes.
  ///   - generator: the source of the initial values, consumed in declaration order.
  /// - Throws: ``ModelError`` for a depth not of the form `6n + 2`, a negative alpha, an input
  ///   size that is not a multiple of 4, or a count below 1.
  public init(
    depth: Int = 110, alpha: Int = 270, inputChannels: Int, inputSize: Int, classes: Int,
    generator: inout RandomGenerator
  ) throws {
    try ModelArguments.check(
      "PyramidNet", inputChannels: inputChannels, inputSize: inputSize, classes: classes)
    guard depth >= 8, (depth - 2) % 6 == 0 else {
      throw ModelError(
        "PyramidNet",
        "depth must be 6n + 2 with n >= 1 for basic blocks (20, 110, 272...), got \(depth)")
    }
    guard alpha >= 0 else {
      throw ModelError("PyramidNet", "alpha must be non-negative, got \(alpha)")
    }
    guard inputSize % 4 == 0 else {
      throw ModelError(
        "PyramidNet",
        "input size must be a multiple of 4 (shortcut pooling needs even maps), got \(inputSize)")
    }
    self.depth = depth
    self.alpha = alpha
    self.classes = classes
    let blocksPerStage = (depth - 2) / 6
    let increment = Double(alpha) / Double(3 * blocksPerStage)
    let conv = WeightInitialization.kaimingNormal(.fanOut)
    conv1 = Conv2D(
      inputChannels: inputChannels, outputChannels: 16, kernelSize: 3, padding: 1,
      initialization: conv,
      generator: &generator)
    bn1 = BatchNorm2D(channels: 16)
    // The reference's running width: a real number, rounded per block.
    var width = 16.0
    var inputPlanes = 16
    var stages: [Sequential] = []
    for stride in [1, 2, 2] {
      var blocks: [any Layer] = []
      for index in 0..<blocksPerStage {
        width += increment
        let planes = pythonRound(width)
        blocks.append(
          PyramidBasicBlock(
            inputPlanes: inputPlanes, planes: planes, stride: index == 0 ? stride : 1,
            generator: &generator))
        inputPlanes = planes
      }
      stages.append(Sequential(blocks))
    }
    self.stages = stages
    bnFinal = BatchNorm2D(channels: inputPlanes)
    fc = Linear(inputFeatures: inputPlanes, outputFeatures: classes, generator: &generator)
  }

  private var children: NamedChildren {
    [("conv1", conv1), ("bn1", bn1)]
      + stages.enumerated().map { (name: "layer\($0.offset + 1)", layer: $0.element as any Layer) }
      + [("bn_final", bnFinal), ("fc", fc)]
  }

  /// Maps `[N, inputChannels, H, W]` images to `[N, classes]` logits.
  public func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    var x = try bn1(conv1(input, context), context)
    for stage in stages {
      x = try stage(x, context)
    }
    x = try bnFinal(x, context, relu: true)
    return try fc(x.globalAvgPool2d(), context)
  }

  /// `conv1.weight`, `bn1.weight`, `bn1.bias`, `layer1.0.bn1.weight`, ..., `fc.bias`.
  public var namedParameters: [(name: String, parameter: Parameter)] { collectParameters(children) }

  /// `bn1.running_mean`, `bn1.running_var`, `layer1.0.bn1.running_mean`, ...
  public var namedBuffers: [(name: String, buffer: Buffer)] { collectBuffers(children) }
}

/// PyramidNet's basic block: BN - conv - BN - ReLU - conv - BN, plus a zero-padded shortcut that
/// average-pools when the block downsamples.
final class PyramidBasicBlock: Layer {
  let bn1: BatchNorm2D
  let conv1: Conv2D
  let bn2: BatchNorm2D
  let conv2: Conv2D
  let bn3: BatchNorm2D
  let stride: Int

  init(inputPlanes: Int, planes: Int, stride: Int, generator: inout RandomGenerator) {
    let conv = WeightInitialization.kaimingNormal(.fanOut)
    bn1 = BatchNorm2D(channels: inputPlanes)
    conv1 = Conv2D(
      inputChannels: inputPlanes, outputChannels: planes, kernelSize: 3, stride: stride, padding: 1,
      initialization: conv, generator: &generator)
    bn2 = BatchNorm2D(channels: planes)
    conv2 = Conv2D(
      inputChannels: planes, outputChannels: planes, kernelSize: 3, padding: 1,
      initialization: conv,
      generator: &generator)
    bn3 = BatchNorm2D(channels: planes)
    self.stride = stride
  }

  private var children: NamedChildren {
    [("bn1", bn1), ("conv1", conv1), ("bn2", bn2), ("conv2", conv2), ("bn3", bn3)]
  }

  func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    var x = try conv1(bn1(input, context), context)
    x = try bn2(x, context, relu: true)
    x = try conv2(x, context)
    var shortcut = input
    if stride != 1 {
      guard input.rank == 4, input.shape[2] % stride == 0, input.shape[3] % stride == 0 else {
        throw ModelError(
          "PyramidNet", "a downsampling block needs an even feature map, got shape \(input.shape)")
      }
      shortcut = try input.avgPool2d(kernelSize: stride, stride: stride)
    }
    let missing = x.shape[1] - shortcut.shape[1]
    if missing > 0 {
      shortcut = try shortcut.paddingChannels(before: 0, after: missing)
    }
    // bn3(x) + shortcut, fused.
    return try bn3(x, context, adding: shortcut, relu: false)
  }

  var namedParameters: [(name: String, parameter: Parameter)] { collectParameters(children) }

  var namedBuffers: [(name: String, buffer: Buffer)] { collectBuffers(children) }
}
