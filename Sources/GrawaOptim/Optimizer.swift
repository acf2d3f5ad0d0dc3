import GrawaNN
import GrawaTensor

/// A local optimizer: updates a model's parameters in place from their accumulated gradients.
///
/// An optimizer is created over a fixed list of parameters (a model's ``GrawaNN/Layer/parameters``,
/// in declaration order) and keeps per-parameter state aligned with that list (momentum buffers,
/// a step counter). It updates each ``GrawaNN/Parameter/value`` in place, so every parameter stays
/// the same gradient leaf. The state can be exported as a plain value for checkpoints and imported
/// into a fresh optimizer over the same list (``exportState()``, ``importState(_:)``).
///
/// An optimizer belongs to the thread that trains its model, like the parameters it updates.
public protocol Optimizer: AnyObject {
  /// The parameters this optimizer updates, in the order its state is kept.
  var parameters: [Parameter] { get }

  /// The learning rate of the next step (a ``LearningRateSchedule`` changes it between steps).
  var learningRate: Float { get set }

  /// The number of completed calls to ``step()``.
  var stepCount: Int { get }

  /// Applies one update to every parameter from its current gradient; a parameter without a
  /// gradient is skipped, as PyTorch does.
  /// - Throws: ``OptimizerError`` when the learning rate is invalid or a gradient's size no longer
  ///   matches its parameter; nothing is changed then.
  func step() throws

  /// One training step in which the optimizer asks for the gradients it needs: the default computes
  /// them once at the current parameters, declares them final and calls ``step()``; ``SAM``
  /// computes them twice (at x and at its ascent point) and declares only the second final.
  ///
  /// This is the seam a distributed engine uses: it averages gradients across workers when they
  /// are declared final (data parallelism), whatever the optimizer.
  /// - Returns: the loss of the first computation, at the parameters the step started from.
  /// - Throws: what `computation` or the update throws.
  func step(computing computation: some GradientComputation) throws -> Float

  /// The optimizer's state (step counter and per-parameter buffers) as a plain value.
  func exportState() -> OptimizerState

  /// Replaces the optimizer's state with `state`, exported from an optimizer of the same kind
  /// over parameters of the same sizes.
  /// - Throws: ``OptimizerError`` naming the mismatch (parameter count, a buffer's size, a negative
  ///   step count); nothing is changed then.
  func importState(_ state: OptimizerState) throws
}

extension Optimizer {
  /// Computes the gradients once, declares them final, and applies ``step()``.
  public func step(computing computation: some GradientComputation) throws -> Float {
    let loss = try computation.computeGradients()
    try computation.gradientsAreFinal()
    try step()
    return loss
  }

  /// Clears the accumulated gradient of every parameter (before the next backward pass).
  public func zeroGradients() {
    for parameter in parameters {
      parameter.zeroGradient()
    }
  }
}

/// An error from an optimizer, a learning-rate schedule or an optimizer state: invalid
/// hyperparameters (the messages of PyTorch's `ValueError`s), mismatched state, bad schedule text.
public struct OptimizerError: Error, Equatable, CustomStringConvertible, Sendable {
  /// What rejected its input, e.g. `"SGD"` or `"LearningRateSchedule"`.
  public let operation: String
  /// What is wrong, with the offending value.
  public let message: String

  /// Creates an error for `operation` explaining `message`.
  public init(_ operation: String, _ message: String) {
    self.operation = operation
    self.message = message
  }

  /// `"<operation>: <message>"`.
  public var description: String { "\(operation): \(message)" }
}

/// What a training loop hands ``Optimizer/step(computing:)``: computes the loss and gradients of
/// the step's batch at the current parameters, and hears when the gradients the step will apply
/// are final (PyTorch's `optimizer.step(closure)`, split in two so data parallelism can average
/// the final gradients whatever the optimizer).
public protocol GradientComputation {
  /// Runs the forward and backward pass of the step's batch at the current parameters; the
  /// gradients accumulate into the (cleared) parameter gradients.
  /// - Returns: the batch's loss.
  func computeGradients() throws -> Float
  /// Called once per step, after the last ``computeGradients()``, before the update: the
  /// parameters' gradients are the ones the update will apply and may be replaced (averaged
  /// across workers, for example).
  func gradientsAreFinal() throws
}
