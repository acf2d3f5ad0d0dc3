import Foundation
import GrawaData
import GrawaDistributed
import GrawaNN
import GrawaOptim
import GrawaTensor

/// The models of the GRAWA paper's experiments, by command-line name (`--model resnet20`).
///
/// The registry is this enumeration: a new model is one case, one line in ``make(inputChannels:
/// inputSize:classes:generator:)`` and one in ``summary``. Every case builds from the input's
/// channels and size and the class count alone, so one model serves Fashion-MNIST (1x28x28),
/// CIFAR-10 and CIFAR-100 (3x32x32); how each adapts its final pooling is documented on its
/// type.
public enum ModelKind: String, CaseIterable, Sendable, Codable {
  /// ResNet-20 for CIFAR, option-A shortcuts (``CIFARResNet``, depth 20).
  case resnet20
  /// ResNet-56 for CIFAR, option-A shortcuts (``CIFARResNet``, depth 56).
  case resnet56
  /// ResNet-18, CIFAR variant with projection shortcuts (``ResNet18``).
  case resnet18
  /// ResNet-50, torchvision's ImageNet layout (``ResNet50``).
  case resnet50
  /// VGG-16 with batch norm, configuration D (``VGG16``).
  case vgg16
  /// PyramidNet-110 with alpha 270, basic blocks (``PyramidNet``).
  case pyramidnet110
  /// DenseNet-121 for CIFAR, growth rate 32 (``DenseNet``).
  case densenet121
  /// WideResNet-28-10 without dropout (``WideResNet``).
  case wideresnet28x10 = "wideresnet28-10"
  /// A tiny CNN for tests and quick demonstrations (``TinyCNN``; not a paper model).
  case tinyCNN = "tiny-cnn"

  /// One line describing the architecture and its source.
  public var summary: String {
    switch self {
    case .resnet20: "ResNet-20 for CIFAR, option-A shortcuts (He et al. 2016)"
    case .resnet56: "ResNet-56 for CIFAR, option-A shortcuts (He et al. 2016)"
    case .resnet18: "ResNet-18, CIFAR variant: 3x3 stem, projection shortcuts (He et al. 2016)"
    case .resnet50: "ResNet-50, torchvision ImageNet layout, bottlenecks [3,4,6,3] (He et al. 2016)"
    case .vgg16:
      "VGG-16 with batch norm, configuration D, 512-512 classifier (Simonyan & Zisserman 2015)"
    case .pyramidnet110: "PyramidNet-110, alpha 270, basic blocks (Han et al. 2017)"
    case .densenet121: "DenseNet-121 (BC) for CIFAR, growth 32, compression 0.5 (Huang et al. 2017)"
    case .wideresnet28x10: "WideResNet-28-10, no dropout (Zagoruyko & Komodakis 2016)"
    case .tinyCNN: "tiny 2-conv CNN for tests and quick demos (not a paper model)"
    }
  }

  /// Builds the model with freshly initialised parameters.
  /// - Parameters:
  ///   - inputChannels: channels of the input images (3 for CIFAR, 1 for Fashion-MNIST).
  ///   - inputSize: height and width of the (square) input images (32 for CIFAR, 28 for
  ///     Fashion-MNIST).
  ///   - classes: the number of output classes.
  ///   - generator: the source of the initial values; the same generator state gives the same
  ///     parameters.
  /// - Returns: the model, mapping `[N, inputChannels, inputSize, inputSize]` to `[N, classes]`.
  /// - Throws: ``ModelError`` when the model cannot take these arguments (a count below 1, or an
  ///   input size the architecture cannot downsample, such as PyramidNet's non-multiples of 4).
  public func make(
    inputChannels: Int, inputSize: Int, classes: Int, generator: inout RandomGenerator
  ) throws -> any Layer {
    switch self {
    case .resnet20:
      try CIFARResNet(
        depth: 20, inputChannels: inputChannels, inputSize: inputSize, classes: classes,
        generator: &generator)
    case .resnet56:
      try CIFARResNet(
        depth: 56, inputChannels: inputChannels, inputSize: inputSize, classes: classes,
        generator: &generator)
    case .resnet18:
      try ResNet18(
        inputChannels: inputChannels, inputSize: inputSize, classes: classes, generator: &generator)
    case .resnet50:
      try ResNet50(
        inputChannels: inputChannels, inputSize: inputSize, classes: classes, generator: &generator)
    case .vgg16:
      try VGG16(
        inputChannels: inputChannels, inputSize: inputSize, classes: classes, generator: &generator)
    case .pyramidnet110:
      try PyramidNet(
        depth: 110, alpha: 270, inputChannels: inputChannels, inputSize: inputSize,
        classes: classes,
        generator: &generator)
    case .densenet121:
      try DenseNet(
        growthRate: 32, blocks: [6, 12, 24, 16], inputChannels: inputChannels, inputSize: inputSize,
        classes: classes, generator: &generator)
    case .wideresnet28x10:
      try WideResNet(
        depth: 28, widenFactor: 10, inputChannels: inputChannels, inputSize: inputSize,
        classes: classes,
        generator: &generator)
    case .tinyCNN:
      TinyCNN(inputChannels: inputChannels, classes: classes, generator: &generator)
    }
  }
}
