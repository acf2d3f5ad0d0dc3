/// How charts show strategies, models and datasets: one colour and one place in the order per
/// strategy, the same in every chart (`plot`, `compare`, `vincent` and the examples), and the
/// names titles use.
extension StrategyKind {
  /// One colour per strategy, in the order of ``allCases`` (colour-blind-safe Okabe-Ito colours
  /// for the paper's five, EASGD to LGRAWA; greys, sky blue and Paul Tol's wine and teal for
  /// the rest).
  public static let chartColors = [
    "#7F7F7F", "#000000", "#56B4E9", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#882255", "#44AA99",
  ]

  /// The strategy's place in chart legends: its index in ``allCases``.
  public var chartOrder: Int { Self.allCases.firstIndex(of: self) ?? 0 }

  /// The strategy's colour in every chart.
  public var chartColor: String { Self.chartColors[chartOrder % Self.chartColors.count] }
}

extension ModelKind {
  /// The architecture's usual written name, for chart titles ("ResNet-20").
  public var displayName: String {
    switch self {
    case .resnet20: "ResNet-20"
    case .resnet56: "ResNet-56"
    case .resnet18: "ResNet-18"
    case .resnet50: "ResNet-50"
    case .vgg16: "VGG-16"
    case .pyramidnet110: "PyramidNet-110"
    case .densenet121: "DenseNet-121"
    case .wideresnet28x10: "WideResNet-28-10"
    case .tinyCNN: "tiny CNN"
    }
  }
}

extension DatasetKind {
  /// The dataset's usual written name, for chart titles ("Fashion-MNIST").
  public var displayName: String {
    switch self {
    case .fashionMNIST: "Fashion-MNIST"
    case .mnist: "MNIST"
    case .cifar10: "CIFAR-10"
    case .cifar100: "CIFAR-100"
    case .synthetic: "synthetic data"
    }
  }
}
