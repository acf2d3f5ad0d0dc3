/// An N-dimensional array of `Float` in contiguous row-major order, with value semantics.
///
/// Storage is a copy-on-write `[Float]`: copying a tensor is cheap, and the first mutation of a
/// shared copy duplicates the buffer. A tensor can take part in reverse-mode differentiation: a
/// tensor made with ``requiringGradient()`` is a *leaf* whose ``gradient`` accumulates during
/// ``backward()``, and every differentiable operation on a tensor that requires gradients records
/// how to propagate them (see ``GradientRecording``).
///
/// Tensors are `Sendable` as values: the scalars are a copy-on-write array. The gradient graph a
/// tensor may carry belongs to the thread that built it; send ``detached()`` tensors (or flat
/// `[Float]` buffers) to other threads, never tensors in the middle of a recorded computation.
public struct Tensor: @unchecked Sendable {
  /// The extent of each dimension, outermost first. A scalar has shape `[]`.
  public internal(set) var shape: [Int]
  /// The elements in row-major order.
  public internal(set) var scalars: [Float]
  /// The gradient-graph node, when this tensor requires gradients.
  var node: GradNode?

  /// Creates a tensor of `shape` from row-major `scalars`.
  /// - Throws: ``TensorError`` when the element count does not match the shape, or a dimension
  ///   is negative.
  public init(shape: [Int], scalars: [Float]) throws {
    guard shape.allSatisfy({ $0 >= 0 }) else {
      throw TensorError("Tensor(shape:scalars:)", "negative dimension in shape \(describe(shape))")
    }
    let count = shape.reduce(1, *)
    guard count == scalars.count else {
      throw TensorError(
        "Tensor(shape:scalars:)",
        "shape \(describe(shape)) needs \(count) scalars, got \(scalars.count)")
    }
    self.shape = shape
    self.scalars = scalars
    self.node = nil
  }

  /// Internal initialiser for operations that have already validated `shape`.
  init(validShape shape: [Int], scalars: [Float]) {
    assert(shape.reduce(1, *) == scalars.count)
    self.shape = shape
    self.scalars = scalars
    self.node = nil
  }

  /// A tensor of `shape` with every element equal to `value`.
  public init(repeating value: Float, shape: [Int]) {
    precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(describe(shape))")
    self.init(validShape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)))
  }

  /// A rank-0 tensor holding `value`.
  public init(_ value: Float) {
    self.init(validShape: [], scalars: [value])
  }

  /// A rank-1 tensor holding `values`.
  public init(_ values: [Float]) {
    self.init(validShape: [values.count], scalars: values)
  }

  /// A tensor of zeros.
  public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }

  /// A tensor of ones.
  public static func ones(_ shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }

  /// A tensor filled with `value`.
  public static func full(_ shape: [Int], _ value: Float) -> Tensor {
    Tensor(repeating: value, shape: shape)
  }

  /// The number of dimensions.
  public var rank: Int { shape.count }

  /// The number of elements.
  public var count: Int { scalars.count }

  /// The single element of a one-element tensor.
  public var scalar: Float {
    precondition(scalars.count == 1, "scalar: tensor of shape \(describe(shape)) is not one element")
    return scalars[0]
  }

  /// Calls `body` with the elements; the pointer is valid only during the call.
  @inlinable
  public func withUnsafeScalars<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
    try scalars.withUnsafeBufferPointer(body)
  }

  /// Calls `body` with mutable access to the elements, keeping the shape and any gradient leaf.
  ///
  /// Optimizers update parameters in place this way: a leaf stays the same leaf, so its
  /// accumulated gradient and its place in the model are kept.
  public mutating func withUnsafeMutableScalars<R>(
    _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
  ) rethrows -> R {
    try scalars.withUnsafeMutableBufferPointer { try body($0) }
  }

  /// Replaces all elements with `newScalars` (same count), keeping the shape and gradient leaf.
  /// - Throws: ``TensorError`` when the counts differ.
  public mutating func assign(_ newScalars: [Float]) throws {
    guard newScalars.count == scalars.count else {
      throw TensorError(
        "assign", "tensor of shape \(describe(shape)) has \(scalars.count) elements, got \(newScalars.count)")
    }
    scalars = newScalars
  }
}

extension Tensor: CustomStringConvertible {
  /// A short summary: shape and up to 8 leading elements.
  public var description: String {
    let head = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
    let more = scalars.count > 8 ? ", ..." : ""
    return "Tensor(shape: \(describe(shape)), [\(head)\(more)])"
  }
}

extension Tensor: Equatable {
  /// Tensors are equal when their shapes and elements are equal (gradient state is ignored).
  public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
    lhs.shape == rhs.shape && lhs.scalars == rhs.scalars
  }
}
