/// Where each of a model's tensors lives inside one flat `[Float]` buffer.
///
/// The distributed strategies work on flat buffers: a worker's parameters are gathered into one
/// contiguous vector (in the model's declaration order), averaged or weighted, and scattered back.
/// LGRAWA weights each tensor ("layer", docs/algorithms.md, "Notation") separately, using
/// ``range(of:)`` to find its slice.
public struct ParameterLayout: Sendable, Equatable {
  /// Stable dotted names, in declaration order (e.g. `layer1.0.conv1.weight`).
  public let names: [String]
  /// The shape of each tensor.
  public let shapes: [[Int]]
  /// The offset of each tensor's first element in the flat buffer.
  public let offsets: [Int]
  /// The total number of elements.
  public let totalCount: Int

  /// A layout packing tensors of `shapes` back to back, in the given order.
  /// - Throws: ``TensorError`` when names and shapes differ in count or a name repeats.
  public init(names: [String], shapes: [[Int]]) throws {
    guard names.count == shapes.count else {
      throw TensorError("ParameterLayout", "\(names.count) names for \(shapes.count) shapes")
    }
    var seen = Set<String>()
    for name in names where !seen.insert(name).inserted {
      throw TensorError("ParameterLayout", "duplicate tensor name '\(name)'")
    }
    for (index, shape) in shapes.enumerated() where shape.contains(where: { $0 < 0 }) {
      throw TensorError("ParameterLayout", "tensor \(index) '\(names[index])' has a negative dimension in \(describe(shape))")
    }
    var offsets: [Int] = []
    var running = 0
    for shape in shapes {
      offsets.append(running)
      running += shape.reduce(1, *)
    }
    self.names = names
    self.shapes = shapes
    self.offsets = offsets
    self.totalCount = running
  }

  /// The number of tensors.
  public var tensorCount: Int { shapes.count }

  /// The flat index range of tensor `index`.
  public func range(of index: Int) -> Range<Int> {
    offsets[index]..<(offsets[index] + shapes[index].reduce(1, *))
  }

  /// Concatenates `tensors` (which must match this layout's shapes) into one buffer.
  /// - Throws: ``TensorError`` when the count or a shape differs from the layout.
  public func flatten(_ tensors: [Tensor]) throws -> [Float] {
    try validate(tensors.map(\.shape), operation: "ParameterLayout.flatten")
    var flat = [Float](repeating: 0, count: totalCount)
    flat.withUnsafeMutableBufferPointer { dst in
      for (index, tensor) in tensors.enumerated() {
        tensor.scalars.withUnsafeBufferPointer { src in
          (dst.start + offsets[index]).update(from: src.start, count: src.count)
        }
      }
    }
    return flat
  }

  /// Writes the slices of `flat` back into `tensors` in place (keeping their gradient leaves).
  /// - Throws: ``TensorError`` when `flat` has the wrong length or a tensor's shape differs.
  public func scatter(_ flat: [Float], into tensors: inout [Tensor]) throws {
    guard flat.count == totalCount else {
      throw TensorError("ParameterLayout.scatter", "flat buffer has \(flat.count) elements, layout needs \(totalCount)")
    }
    try validate(tensors.map(\.shape), operation: "ParameterLayout.scatter")
    flat.withUnsafeBufferPointer { src in
      for index in tensors.indices {
        let offset = offsets[index]
        tensors[index].withUnsafeMutableScalars { dst in
          dst.start.update(from: src.start + offset, count: dst.count)
        }
      }
    }
  }

  private func validate(_ given: [[Int]], operation: String) throws {
    guard given.count == shapes.count else {
      throw TensorError(operation, "\(given.count) tensors for a layout of \(shapes.count)")
    }
    for (index, (a, b)) in zip(given, shapes).enumerated() where a != b {
      throw TensorError(operation, "tensor \(index) '\(names[index])' has shape \(describe(a)), layout says \(describe(b))")
    }
  }
}
