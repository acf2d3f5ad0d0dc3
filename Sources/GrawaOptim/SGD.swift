import GrawaNN
import GrawaTensor

/// Stochastic gradient descent with momentum, Nesterov momentum and weight decay: exactly the
/// update of PyTorch's `torch.optim.SGD` (docs/algorithms.md, "The local step", step 2).
///
/// For each parameter x with gradient grad, one ``step()`` computes
/// ```
/// g = grad + wd * x
/// if mu != 0:
///     buf = g                                  (first step this parameter has a gradient)
///     buf = mu * buf + (1 - dampening) * g     (every later step)
///     g = g + mu * buf   if nesterov   else   g = buf
/// x = x - lr * g
/// ```
/// Momentum buffers are created lazily, on the first step a parameter has a gradient; a parameter
/// without a gradient is skipped and its buffer left as it is. Each parameter is updated in one
/// vectorised pass over its elements, in place (the parameter stays the same gradient leaf).
public final class SGD: Optimizer {
  /// SGD's hyperparameters as a value: what a run configuration records.
  public struct Configuration: Sendable, Codable, Equatable {
    /// lr, the step size (>= 0).
    public var learningRate: Float
    /// mu, the momentum factor, in [0, 1); 0 disables momentum (and its buffers).
    public var momentum: Float
    /// wd, the L2 penalty added to the gradient as `wd * x` (>= 0).
    public var weightDecay: Float
    /// Whether to use Nesterov momentum (needs momentum > 0 and dampening 0, as in PyTorch).
    public var nesterov: Bool
    /// The fraction of each new gradient left out of the momentum buffer, in [0, 1].
    public var dampening: Float

    /// A configuration with the given hyperparameters (PyTorch's defaults for those omitted).
    public init(
      learningRate: Float, momentum: Float = 0, weightDecay: Float = 0, nesterov: Bool = false,
      dampening: Float = 0
    ) {
      self.learningRate = learningRate
      self.momentum = momentum
      self.weightDecay = weightDecay
      self.nesterov = nesterov
      self.dampening = dampening
    }

    /// The paper's local optimizer (docs/algorithms.md, "Hyperparameters the paper used"): lr 0.1, momentum 0.9, Nesterov,
    /// weight decay 1e-4.
    public static let paper = Configuration(
      learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4, nesterov: true)

    /// Checks the hyperparameters as PyTorch's `SGD.__init__` does, plus momentum < 1 and
    /// dampening in [0, 1].
    /// - Throws: ``OptimizerError`` naming the invalid value.
    public func validate() throws {
      try SGD.checkLearningRate(learningRate)
      guard momentum.isFinite, momentum >= 0, momentum < 1 else {
        throw OptimizerError("SGD", "invalid momentum \(momentum): must be in [0, 1)")
      }
      guard weightDecay.isFinite, weightDecay >= 0 else {
        throw OptimizerError("SGD", "invalid weight decay \(weightDecay): must be >= 0")
      }
      guard dampening.isFinite, dampening >= 0, dampening <= 1 else {
        throw OptimizerError("SGD", "invalid dampening \(dampening): must be in [0, 1]")
      }
      if nesterov && (momentum == 0 || dampening != 0) {
        throw OptimizerError(
          "SGD",
          "Nesterov momentum requires a momentum > 0 and zero dampening "
            + "(got momentum \(momentum), dampening \(dampening))")
      }
    }
  }

  /// The parameters, in the order of ``exportState()``'s buffers.
  public let parameters: [Parameter]
  /// The hyperparameters; only the learning rate changes after creation.
  public private(set) var configuration: Configuration
  /// The number of completed calls to ``step()``.
  public private(set) var stepCount: Int = 0
  /// One momentum buffer per parameter, `nil` until its first step with a gradient.
  private var momentumBuffers: [[Float]?]

  /// An optimizer over `parameters` with `configuration`.
  /// - Throws: ``OptimizerError`` for invalid hyperparameters or a parameter listed twice.
  public init(parameters: [Parameter], configuration: Configuration) throws {
    try configuration.validate()
    var seen = Set<ObjectIdentifier>()
    for (index, parameter) in parameters.enumerated() {
      guard seen.insert(ObjectIdentifier(parameter)).inserted else {
        throw OptimizerError("SGD", "parameter \(index) appears more than once in the list")
      }
    }
    self.parameters = parameters
    self.configuration = configuration
    self.momentumBuffers = Array(repeating: nil, count: parameters.count)
  }

  /// An optimizer over `parameters` with the hyperparameters spelled out (PyTorch's defaults).
  /// - Throws: ``OptimizerError`` for invalid hyperparameters (negative learning rate, momentum
  ///   outside [0, 1), Nesterov without momentum, ...) or a parameter listed twice.
  public convenience init(
    parameters: [Parameter], learningRate: Float, momentum: Float = 0, weightDecay: Float = 0,
    nesterov: Bool = false, dampening: Float = 0
  ) throws {
    try self.init(
      parameters: parameters,
      configuration: Configuration(
        learningRate: learningRate, momentum: momentum, weightDecay: weightDecay,
        nesterov: nesterov, dampening: dampening))
  }

  /// lr of the next step; ``step()`` rejects a negative or non-finite value.
  public var learningRate: Float {
    get { configuration.learningRate }
    set { configuration.learningRate = newValue }
  }
  /// mu.
  public var momentum: Float { configuration.momentum }
  /// wd.
  public var weightDecay: Float { configuration.weightDecay }
  /// Whether the Nesterov form is used.
  public var nesterov: Bool { configuration.nesterov }
  /// The dampening of the momentum buffer.
  public var dampening: Float { configuration.dampening }

  /// Applies one SGD update to every parameter that has a gradient (see the type's summary).
  /// - Throws: ``OptimizerError`` when the learning rate is negative or not finite, or a
  ///   gradient's element count differs from its parameter's; nothing is updated then.
  public func step() throws {
    try SGD.checkLearningRate(learningRate)
    let gradients = parameters.map(\.gradient)
    for (index, gradient) in gradients.enumerated() {
      guard let gradient else { continue }
      guard gradient.count == parameters[index].count else {
        throw OptimizerError(
          "SGD",
          "gradient of parameter \(index) has \(gradient.count) elements, the parameter has "
            + "\(parameters[index].count)")
      }
    }
    let c = configuration
    let coefficients = SGDCoefficients(
      learningRate: c.learningRate, weightDecay: c.weightDecay, momentum: c.momentum,
      gradientScale: 1 - c.dampening, nesterov: c.nesterov)
    for (index, parameter) in parameters.enumerated() {
      guard let gradient = gradients[index] else { continue }
      let count = parameter.count
      if c.momentum == 0 {
        gradient.withUnsafeScalars { g in
          parameter.value.withUnsafeMutableScalars { x in
            UpdateKernels.sgd(
              x: x.start, gradient: g.start, buffer: nil, count: count,
              coefficients: coefficients, form: .plain)
          }
        }
        continue
      }
      let form: SGDUpdateForm
      var buffer: [Float]
      if let existing = momentumBuffers[index] {
        form = .decayBuffer
        buffer = existing
        momentumBuffers[index] = nil  // keep `buffer` uniquely referenced: update it in place
      } else {
        form = .initialiseBuffer
        buffer = [Float](repeating: 0, count: count)
      }
      gradient.withUnsafeScalars { g in
        parameter.value.withUnsafeMutableScalars { x in
          buffer.withUnsafeMutableBufferPointer { b in
            UpdateKernels.sgd(
              x: x.start, gradient: g.start, buffer: b.start, count: count,
              coefficients: coefficients, form: form)
          }
        }
      }
      momentumBuffers[index] = buffer
    }
    stepCount += 1
  }

  /// The step count and a copy of every momentum buffer (`nil` where not yet created).
  public func exportState() -> OptimizerState {
    OptimizerState(stepCount: stepCount, buffers: momentumBuffers)
  }

  /// Replaces the step count and momentum buffers with `state`'s.
  /// - Throws: ``OptimizerError`` when `state` does not fit the parameters (see
  ///   ``OptimizerState/validate(for:operation:)``) or holds buffers although momentum is 0.
  public func importState(_ state: OptimizerState) throws {
    try state.validate(for: parameters, operation: "SGD")
    if momentum == 0, let index = state.buffers.firstIndex(where: { $0 != nil }) {
      throw OptimizerError(
        "SGD",
        "cannot import state: it has a momentum buffer for parameter \(index) but momentum is 0")
    }
    stepCount = state.stepCount
    momentumBuffers = state.buffers
  }

  /// Throws unless `learningRate` is finite and >= 0 (PyTorch: "Invalid learning rate").
  static func checkLearningRate(_ learningRate: Float) throws {
    guard learningRate.isFinite, learningRate >= 0 else {
      throw OptimizerError("SGD", "invalid learning rate \(learningRate): must be >= 0")
    }
  }
}
