/// The options of `grawa-train models`, each declared once.
enum ModelsOptions {
  static let inputChannels = Option<Int>(
    "input-channels", "N", default: 3, in: .from(1, to: 1024),
    help: "Channels of the input images (1 for Fashion-MNIST, 3 for CIFAR).")
  static let inputSize = Option<Int>(
    "input-size", "N", default: 32, in: .from(1, to: 4096),
    help: "Height and width of the (square) input images.")
  static let classes = Option<Int>(
    "classes", "N", default: 10, in: .atLeast(1), help: "Number of output classes.")
  static let json = Flag("json", help: "Print a JSON array instead of a table.")

  /// Every option, in the order help lists them.
  static let all: [any OptionDeclaration] = [inputChannels, inputSize, classes, json]
}
