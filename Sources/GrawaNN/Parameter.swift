import GrawaTensor

/// A trainable tensor of a layer: a gradient leaf that optimizers update in place.
///
/// Layers hold their parameters by reference so that an optimizer, a checkpoint or a distributed
/// strategy can reach every parameter of a model through ``Layer/namedParameters`` and change it
/// without rebuilding the model. A parameter belongs to the thread that trains its model.
public final class Parameter {
  /// The current value; a gradient leaf, so backward passes accumulate into ``gradient``.
  public var value: Tensor

  /// A parameter starting at `initial`.
  public init(_ initial: Tensor) {
    value = initial.detached().requiringGradient()
  }

  /// The shape of the value.
  public var shape: [Int] { value.shape }

  /// The number of scalars.
  public var count: Int { value.count }

  /// The gradient accumulated since the last ``zeroGradient()``, if any backward pass reached it.
  public var gradient: Tensor? { value.gradient }

  /// Forgets the accumulated gradient.
  public func zeroGradient() { value.zeroGradient() }
}

/// Non-trainable state of a layer, such as batch norm's running mean and variance.
///
/// Buffers are saved in checkpoints and handled by an explicit policy when models are averaged
/// (docs/algorithms.md, "Evaluation of a run"), but they are never weighted by GRAWA (section 1).
public final class Buffer {
  /// The current value.
  public var value: Tensor

  /// A buffer starting at `initial`.
  public init(_ initial: Tensor) {
    value = initial.detached()
  }
}
