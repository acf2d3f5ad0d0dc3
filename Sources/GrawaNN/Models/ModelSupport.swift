import GrawaTensor

// Pieces shared by the model families: argument checks, child-list helpers, the parameter fill
// some reference implementations apply after construction, Python's rounding.

/// A model could not be built from the given arguments (a depth that is not of the family's
/// form, a class count of zero, an input too small for the network's downsampling, ...).
public struct ModelError: Error, Equatable, CustomStringConvertible, Sendable {
  /// The model family, e.g. `"PyramidNet"`.
  public let model: String
  /// What is wrong, naming the offending argument and its value.
  public let message: String

  /// An error of `model` described by `message`.
  public init(_ model: String, _ message: String) {
    self.model = model
    self.message = message
  }

  /// `"<model>: <message>"`.
  public var description: String { "\(model): \(message)" }
}

/// The arguments every model builder takes, checked once.
enum ModelArguments {
  /// Checks the counts common to all builders.
  /// - Throws: ``ModelError`` when a count is below 1 or the input is smaller than
  ///   `minimumInputSize`.
  static func check(
    _ model: String, inputChannels: Int, inputSize: Int, classes: Int, minimumInputSize: Int = 1
  ) throws {
    guard inputChannels >= 1 else {
      throw ModelError(model, "input channels must be at least 1, got \(inputChannels)")
    }
    guard classes >= 1 else {
      throw ModelError(model, "the class count must be at least 1, got \(classes)")
    }
    guard inputSize >= minimumInputSize else {
      throw ModelError(
        model,
        "input size must be at least \(minimumInputSize) pixels for this network, got \(inputSize)")
    }
  }
}

/// A named list of child layers, the way a PyTorch module registers its attributes.
typealias NamedChildren = [(name: String, layer: any Layer)]

/// The children's parameters, each prefixed by its child's name, in order.
func collectParameters(_ children: NamedChildren) -> [(name: String, parameter: Parameter)] {
  children.flatMap { prefixed($0.name, $0.layer.namedParameters) }
}

/// The children's buffers, each prefixed by its child's name, in order.
func collectBuffers(_ children: NamedChildren) -> [(name: String, buffer: Buffer)] {
  children.flatMap { prefixed($0.name, $0.layer.namedBuffers) }
}

extension Parameter {
  /// Sets every element to `value`, keeping the parameter's gradient leaf.
  func fill(_ value: Float) throws {
    try self.value.assign([Float](repeating: value, count: count))
  }
}

/// `value` rounded half to even, as Python 3's `round` does (PyramidNet's channel widths).
func pythonRound(_ value: Double) -> Int {
  Int(value.rounded(.toNearestOrEven))
}
