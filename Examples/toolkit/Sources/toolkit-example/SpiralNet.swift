import Grawa

/// A model of our own: two hidden ReLU layers on 2-D points, written against the `Layer` protocol
/// with its own parameters (no built-in layer is used).
final class SpiralNet: Layer {
  let w1: Parameter
  let b1: Parameter
  let w2: Parameter
  let b2: Parameter
  let w3: Parameter
  let b3: Parameter

  init(hidden: Int, classes: Int, generator: inout RandomGenerator) throws {
    // He initialisation: normal with variance 2 / fan-in.
    func weight(_ rows: Int, _ columns: Int) throws -> Parameter {
      let scale = (2 / Double(columns)).squareRoot()
      let values = (0..<(rows * columns)).map { _ in Float(scale * generator.nextNormal()) }
      return Parameter(try Tensor(shape: [rows, columns], scalars: values))
    }
    w1 = try weight(hidden, 2)
    b1 = Parameter(Tensor([Float](repeating: 0, count: hidden)))
    w2 = try weight(hidden, hidden)
    b2 = Parameter(Tensor([Float](repeating: 0, count: hidden)))
    w3 = try weight(classes, hidden)
    b3 = Parameter(Tensor([Float](repeating: 0, count: classes)))
  }

  func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor {
    let h1 = try input.linear(weight: w1.value, bias: b1.value).relu()
    let h2 = try h1.linear(weight: w2.value, bias: b2.value).relu()
    return try h2.linear(weight: w3.value, bias: b3.value)
  }

  var namedParameters: [(name: String, parameter: Parameter)] {
    [("fc1.weight", w1), ("fc1.bias", b1), ("fc2.weight", w2), ("fc2.bias", b2), ("fc3.weight", w3), ("fc3.bias", b3)]
  }
}
