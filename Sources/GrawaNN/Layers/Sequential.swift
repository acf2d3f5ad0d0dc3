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

  /// Runs every child in order. A ``BatchNorm2D`` followed by a ``ReLU`` runs as one fused
  /// operation (the same bits, one pass over the activations fewer each way).
  public func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    var x = input
    var index = 0
    while index < children.count {
      let layer = children[index].layer
      if let norm = layer as? BatchNorm2D, index + 1 < children.count,
        children[index + 1].layer is ReLU
      {
        x = try norm(x, context, relu: true)
        index += 2
        continue
      }
      x = try layer(x, context)
      index += 1
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
