import GrawaTensor

/// How a forward pass runs: training or evaluation, and the randomness dropout draws from.
///
/// One context is created per forward pass (or per step) and handed down through every layer, so
/// a model needs no global "train/eval" switch and two models on two threads never share state.
public final class ForwardContext {
  /// Whether layers behave as in training (dropout active, batch norm on batch statistics).
  public enum Mode: String, Sendable, CaseIterable {
    /// Training: dropout on, batch norm normalises with batch statistics and updates running ones.
    case training
    /// Training behaviour without touching batch-norm running statistics (GRAWA's probe batch,
    /// docs/algorithms.md, "Where we differ from the authors' code", row 3). Dropout stays on.
    case trainingFrozenStatistics
    /// Evaluation: dropout off, batch norm uses its running statistics.
    case inference
  }

  /// The mode of this pass.
  public var mode: Mode
  /// The generator dropout masks are drawn from.
  public var random: RandomGenerator
  /// When set, batch-norm layers in ``Mode/training`` update their running statistics with this
  /// momentum instead of their own: `1/k` for the k-th batch makes them a cumulative average, as
  /// when the statistics of an averaged model are re-estimated (docs/algorithms.md, "Evaluation of a run").
  public var batchNormMomentum: Float?

  /// A context for `mode`, drawing randomness from `random`.
  public init(mode: Mode, random: RandomGenerator = RandomGenerator(seed: 0)) {
    self.mode = mode
    self.random = random
  }

  /// Whether this pass trains (dropout active).
  public var isTraining: Bool { mode != .inference }
}

/// A building block of a network: maps an input tensor to an output tensor and lists its
/// parameters and buffers under stable dotted names.
///
/// The lists are in declaration order (PyTorch's `named_parameters()` order). That order is a
/// contract: checkpoints and LGRAWA's per-tensor weights (docs/algorithms.md, "Notation") rely on it.
/// Composite layers build their lists from their children's with ``prefixed(_:_:)``.
public protocol Layer: AnyObject {
  /// Runs the layer on `input`.
  /// - Throws: ``GrawaTensor/TensorError`` when the input's shape does not fit the layer.
  func callAsFunction(_ input: Tensor, _ context: ForwardContext) throws -> Tensor

  /// Every trainable tensor, with its dotted name relative to this layer.
  var namedParameters: [(name: String, parameter: Parameter)] { get }

  /// Every buffer (non-trainable state), with its dotted name relative to this layer.
  var namedBuffers: [(name: String, buffer: Buffer)] { get }
}

extension Layer {
  /// No buffers by default.
  public var namedBuffers: [(name: String, buffer: Buffer)] { [] }

  /// The parameters in declaration order.
  public var parameters: [Parameter] { namedParameters.map(\.parameter) }

  /// The total number of trainable scalars.
  public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.parameter.count } }

  /// Clears every parameter's gradient.
  public func zeroGradients() {
    for entry in namedParameters { entry.parameter.zeroGradient() }
  }

  /// The flat-buffer layout of the parameters (names, shapes, offsets), in declaration order.
  public func parameterLayout() throws -> ParameterLayout {
    let entries = namedParameters
    return try ParameterLayout(names: entries.map(\.name), shapes: entries.map(\.parameter.shape))
  }
}

/// `child`'s named entries with `name.` prepended (`conv1.weight` under `layer1.0`).
public func prefixed<T>(_ name: String, _ entries: [(name: String, T)]) -> [(name: String, T)] {
  entries.map { (name: name + "." + $0.name, $0.1) }
}
