import GrawaTensor

/// Layers applied one after the other; children are named `0`, `1`, ... unless given names
/// (PyTorch's `nn.Sequential`), and their parameters are listed as `<name>.<child's name>`.
public final class Sequential: Layer {
  /// The children, in order, with their names.
  public let children: [(name: String, layer: any Layer)]

  /// A sequence named by position.
  public init(_ layers: [any Layer]) {
    children = layers.enumerated().map { (String($0.offset), $0.element) }
  }

  /// A sequence with explicit child names.
  public init(named children: [(name: String, layer: any Layer)]) {
    self.children = children
  }

  /// Runs every child in order.
  public func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    var x = input
    for child in children {
      x = try child.layer(x, context)
    }
    return x
  }

  /// The children's parameters, prefixed by the children's names, in order.
  public var namedParameters: [(name: String, parameter: Parameter)] {
    children.flatMap { prefixed($0.name, $0.layer.namedParameters) }
  }

  /// The children's buffers, prefixed by the children's names, in order.
  public var namedBuffers: [(name: String, buffer: Buffer)] {
    children.flatMap { prefixed($0.name, $0.layer.namedBuffers) }
  }
}
