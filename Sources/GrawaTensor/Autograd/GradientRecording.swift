/// Switches gradient recording on and off for the current thread (PyTorch's `no_grad`).
///
/// Recording is on by default. Inside ``withoutGradients(_:)`` no operation records anything, so
/// evaluation keeps no graph and no intermediate tensors alive. The switch is per thread: one
/// worker evaluating does not stop another from training.
public enum GradientRecording {
  private static let disabledDepth = ThreadLocalInt()

  /// Whether operations on the current thread record gradients.
  public static var isEnabled: Bool { disabledDepth.value == 0 }

  /// Runs `body` with recording off on the current thread.
  public static func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    disabledDepth.value += 1
    defer { disabledDepth.value -= 1 }
    return try body()
  }
}

extension Tensor {
  /// Whether this tensor takes part in gradient computation.
  public var requiresGradient: Bool { node != nil }

  /// A copy that is a fresh gradient leaf: its ``gradient`` accumulates in ``backward()``.
  public func requiringGradient() -> Tensor {
    var copy = self
    copy.node = GradNode(leafShape: shape)
    return copy
  }

  /// A copy with no gradient graph attached (the same elements).
  public func detached() -> Tensor {
    var copy = self
    copy.node = nil
    return copy
  }

  /// The gradient accumulated into this leaf by backward passes, or `nil` if none reached it yet
  /// (or this tensor is not a leaf).
  public var gradient: Tensor? {
    guard let node, node.isLeaf else { return nil }
    return node.grad
  }

  /// Clears the accumulated gradient of this leaf.
  public func zeroGradient() {
    node?.grad = nil
  }

  /// Replaces the accumulated gradient of this leaf with `newGradient` (data parallelism writes
  /// the workers' averaged gradient back before the optimizer step).
  /// - Throws: ``TensorError`` when this tensor is not a gradient leaf or the shapes differ.
  public func setGradient(_ newGradient: Tensor) throws {
    guard let node, node.isLeaf else {
      throw TensorError("setGradient", "the tensor is not a gradient leaf (use requiringGradient())")
    }
    guard newGradient.shape == shape else {
      throw TensorError("setGradient", "gradient shape \(newGradient.shape) differs from the tensor's \(shape)")
    }
    node.grad = newGradient.detached()
  }

  /// Attaches an operation node to `result` when recording is on and any input needs gradients.
  ///
  /// - Parameters:
  ///   - operation: name for diagnostics.
  ///   - inputs: the operation's tensor inputs, in the order `backward` returns gradients.
  ///   - backward: maps the output gradient to the inputs' gradients (`nil` where not needed).
  ///     It is called at most once, on the thread that runs the backward pass.
  static func record(
    _ result: inout Tensor, operation: String, inputs: [Tensor],
    backward: @escaping (Tensor) -> [Tensor?]
  ) {
    if OpProfiler.isEnabled { OpProfiler.chargeForward(operation) }
    guard GradientRecording.isEnabled, inputs.contains(where: { $0.node != nil }) else { return }
    result.node = GradNode(
      operation: operation, shape: result.shape, inputs: inputs.map(\.node), backward: backward)
  }
}
