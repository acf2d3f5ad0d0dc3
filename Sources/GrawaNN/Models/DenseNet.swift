import GrawaTensor

/// DenseNet-BC for CIFAR (Huang et al. 2017, "Densely Connected Convolutional Networks", as in
/// github.com/weiaicunzai/pytorch-cifar100, which the GRAWA authors copy); DenseNet-121 by
/// default: growth rate 32, dense blocks of [6, 12, 24, 16] bottleneck layers.
///
/// A 3x3 stem convolution with `2 * growthRate` channels (no batch norm after it); dense blocks
/// whose bottleneck layers compute BN - ReLU - 1x1 conv (`4 * growthRate` channels) - BN - ReLU
/// - 3x3 conv (`growthRate` channels) and concatenate the result to their input; between blocks,
/// transitions BN - 1x1 conv - 2x2 average pool (stride 2) that halve the channels (compression
/// 0.5, rounded down); then BN - ReLU - global average pooling - linear classifier.
///
/// Parameter names are the reference's: `conv1.weight`,
/// `features.dense_block_layer_0.bottle_neck_layer_0.bottle_neck.0.weight` (BN),
/// `....bottle_neck.2.weight` (1x1 conv), `....bottle_neck.3.weight` (BN),
/// `....bottle_neck.5.weight` (3x3 conv), `features.transition_layer_0.down_sample.0.weight`
/// (BN), `features.transition_layer_0.down_sample.1.weight` (conv), ..., then the last block as
/// `features.dense_block3` (the reference's spelling, without `_layer_`), `features.bn.weight`,
/// `features.bn.bias`, `linear.weight`, `linear.bias`. DenseNet-121 has 362 tensors and
/// 6,956,298 parameters for 3 input channels and 10 classes (7,048,548 for 100).
///
/// **Initialisation.** As the reference, PyTorch's defaults: convolution and linear weights
/// uniform in `±1/sqrt(fanIn)`, batch norm gamma 1 and beta 0.
///
/// **Input size.** The reference pools adaptively to 1x1, and so do we: 32x32 inputs end in a
/// 4x4 map, 28x28 in a 3x3 map (28 -> 14 -> 7 -> 3). Each transition needs a map of at least
/// 2x2, so the input must be at least `2^(blocks - 1)` pixels (8 for DenseNet-121).
public final class DenseNet: Layer {
  /// The channels each bottleneck layer adds (k).
  public let growthRate: Int
  /// The number of bottleneck layers in each dense block.
  public let blocks: [Int]
  /// The number of output classes.
  public let classes: Int
  let conv1: Conv2D
  let features: Sequential
  let linear: Linear

  /// Builds a DenseNet-BC.
  /// - Parameters:
  ///   - growthRate: k, the channels each bottleneck layer adds (32 for DenseNet-121).
  ///   - blocks: bottleneck layers per dense block ([6, 12, 24, 16] for DenseNet-121).
  ///   - inputChannels: channels of the input images (3 for CIFAR, 1 for Fashion-MNIST).
  ///   - inputSize: height and width of the (square) input images, at least `2^(blocks - 1)`.
  ///   - classes: the number of output classes.
  ///   - generator: the source of the initial values, consumed in declaration order.
  /// - Throws: ``ModelError`` for an empty block list, a growth rate or block below 1, a too
  ///   small input or a count below 1.
  public init(
    growthRate: Int = 32, blocks: [Int] = [6, 12, 24, 16], inputChannels: Int, inputSize: Int,
    classes: Int,
    generator: inout RandomGenerator
  ) throws {
    guard !blocks.isEmpty, blocks.count <= 16, blocks.allSatisfy({ $0 >= 1 }), growthRate >= 1
    else {
      throw ModelError(
        "DenseNet",
        "needs 1 to 16 dense blocks of at least one layer and a growth rate of at least 1, got "
          + "blocks \(blocks) and growth rate \(growthRate)")
    }
    try ModelArguments.check(
      "DenseNet", inputChannels: inputChannels, inputSize: inputSize, classes: classes,
      minimumInputSize: 1 << (blocks.count - 1))
    self.growthRate = growthRate
    self.blocks = blocks
    self.classes = classes
    var channels = 2 * growthRate
    conv1 = Conv2D(
      inputChannels: inputChannels, outputChannels: channels, kernelSize: 3, padding: 1,
      generator: &generator)
    var featureChildren: NamedChildren = []
    for (index, layerCount) in blocks.enumerated() {
      var layers: [DenseBottleneck] = []
      for _ in 0..<layerCount {
        layers.append(
          DenseBottleneck(inputChannels: channels, growthRate: growthRate, generator: &generator))
        channels += growthRate
      }
      let isLast = index == blocks.count - 1
      // The reference names every block `dense_block_layer_<i>` except the last, `dense_block<i>`.
      featureChildren.append(
        (isLast ? "dense_block\(index)" : "dense_block_layer_\(index)", DenseBlock(layers)))
      if !isLast {
        let compressed = channels / 2
        let transition = Sequential(named: [
          (
            "down_sample",
            Sequential([
              BatchNorm2D(channels: channels),
              Conv2D(
                inputChannels: channels, outputChannels: compressed, kernelSize: 1,
                generator: &generator),
              AvgPool2D(kernelSize: 2, stride: 2),
            ])
          )
        ])
        featureChildren.append(("transition_layer_\(index)", transition))
        channels = compressed
      }
    }
    featureChildren.append(("bn", BatchNorm2D(channels: channels)))
    featureChildren.append(("relu", ReLU()))
    features = Sequential(named: featureChildren)
    linear = Linear(inputFeatures: channels, outputFeatures: classes, generator: &generator)
  }

  private var children: NamedChildren {
    [("conv1", conv1), ("features", features), ("linear", linear)]
  }

  /// Maps `[N, inputChannels, H, W]` images to `[N, classes]` logits.
  public func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    let x = try features(conv1(input, context), context)
    return try linear(x.globalAvgPool2d(), context)
  }

  /// `conv1.weight`, `features.dense_block_layer_0.bottle_neck_layer_0.bottle_neck.0.weight`, ...,
  /// `linear.bias`.
  public var namedParameters: [(name: String, parameter: Parameter)] { collectParameters(children) }

  /// `features.dense_block_layer_0.bottle_neck_layer_0.bottle_neck.0.running_mean`, ...
  public var namedBuffers: [(name: String, buffer: Buffer)] { collectBuffers(children) }
}

/// A dense block: bottleneck layers `bottle_neck_layer_0`, `bottle_neck_layer_1`, ..., each fed
/// the channel concatenation of the block's input and every earlier layer's output; the block
/// returns the concatenation of all of them.
///
/// The reference concatenates after every layer (`torch.cat([x, out], 1)`), which copies every
/// earlier feature map once per layer and keeps each copy for the next layer's backward pass.
/// Here the concatenation is formed once, at the end: each layer's first batch norm reads the
/// parts where they are (``BatchNorm2D/callAsFunction(concatenating:_:relu:partStatistics:)``)
/// and reuses the parts' batch statistics the earlier layers computed. Same bits as the
/// reference's order of operations, forward and backward.
final class DenseBlock: Layer {
  let layers: [DenseBottleneck]

  init(_ layers: [DenseBottleneck]) {
    self.layers = layers
  }

  private var children: NamedChildren {
    layers.enumerated().map { (name: "bottle_neck_layer_\($0.offset)", layer: $0.element) }
  }

  func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    var parts = [input]
    var partStatistics: [ChannelStatistics?] = [nil]
    for layer in layers {
      parts.append(try layer.newFeatures(parts, context, partStatistics: &partStatistics))
      partStatistics.append(nil)
    }
    return try Tensor.concatenate(parts, axis: 1)
  }

  var namedParameters: [(name: String, parameter: Parameter)] { collectParameters(children) }

  var namedBuffers: [(name: String, buffer: Buffer)] { collectBuffers(children) }
}

/// A DenseNet-B bottleneck layer: `concat(x, conv3x3(relu(bn(conv1x1(relu(bn(x)))))))` along the
/// channels; its six steps are the reference's `bottle_neck` sequence.
final class DenseBottleneck: Layer {
  /// The reference's sequence (for the parameter names): `norm1`, ReLU, `conv1`, `norm2`, ReLU,
  /// `conv2`.
  let bottleNeck: Sequential
  let norm1: BatchNorm2D
  let conv1: Conv2D
  let norm2: BatchNorm2D
  let conv2: Conv2D

  init(inputChannels: Int, growthRate: Int, generator: inout RandomGenerator) {
    let inner = 4 * growthRate
    norm1 = BatchNorm2D(channels: inputChannels)
    conv1 = Conv2D(
      inputChannels: inputChannels, outputChannels: inner, kernelSize: 1, generator: &generator)
    norm2 = BatchNorm2D(channels: inner)
    conv2 = Conv2D(
      inputChannels: inner, outputChannels: growthRate, kernelSize: 3, padding: 1,
      generator: &generator)
    bottleNeck = Sequential([norm1, ReLU(), conv1, norm2, ReLU(), conv2])
  }

  /// The layer's `growthRate` new channels for an input that is the channel concatenation of
  /// `parts` (see ``DenseBlock``; `partStatistics` has one entry per part).
  func newFeatures(
    _ parts: [Tensor], _ context: ForwardContext, partStatistics: inout [ChannelStatistics?]
  ) throws -> Tensor {
    let x = try norm1(concatenating: parts, context, relu: true, partStatistics: &partStatistics)
    return try conv2(norm2(conv1(x, context), context, relu: true), context)
  }

  func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    var partStatistics: [ChannelStatistics?] = [nil]
    let features = try newFeatures([input], context, partStatistics: &partStatistics)
    return try Tensor.concatenate([input, features], axis: 1)
  }

  var namedParameters: [(name: String, parameter: Parameter)] {
    prefixed("bottle_neck", bottleNeck.namedParameters)
  }

  var namedBuffers: [(name: String, buffer: Buffer)] {
    prefixed("bottle_neck", bottleNeck.namedBuffers)
  }
}
