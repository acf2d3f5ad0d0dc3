import GrawaTensor

/// What a strategy may read and change of the worker it runs on, and the measurements it may ask
/// for. The engine's workers, the toy simulation and a user's own loop each provide one.
///
/// Measurements are asked for, never pushed: a strategy that needs no probe-batch gradient never
/// pays for one. Everything here is called on the worker's own thread.
public protocol WorkerContext: AnyObject {
  /// The worker's index, from 0.
  var worker: Int { get }
  /// The layout of the flat parameter and gradient vectors.
  var layout: ParameterLayout { get }
  /// Local steps the worker has completed (the current one included once its update is done).
  var step: Int { get }
  /// The mean loss of the current (or last) local step's batch, taken before its update.
  var loss: Double { get }

  /// The flat parameters, in the layout's order.
  func parameters() throws -> [Float]
  /// Replaces the flat parameters.
  /// - Throws: when the length differs from the layout's.
  func setParameters(_ parameters: [Float]) throws
  /// The flat gradients the optimizer is about to apply (valid while they are final, see
  /// ``DistributedStrategy/gradientsAreFinal(_:state:)``).
  func gradients() throws -> [Float]
  /// Replaces the flat gradients the optimizer will apply.
  /// - Throws: when the length differs from the layout's.
  func setGradients(_ gradients: [Float]) throws
  /// Frobenius norms of the final gradients, one per tensor (without weight decay); valid while
  /// the gradients are final.
  /// - Throws: ``DivergenceError`` when a norm is not finite.
  func gradientNorms() throws -> [Double]
  /// Frobenius norms, one per tensor, of the gradient of a fresh probe batch at the current
  /// parameters: batch-size samples drawn uniformly from the whole training set with the worker's
  /// seeded generator, the evaluation transform, sum-reduced loss, no weight decay, batch
  /// statistics used without touching the running ones (docs/algorithms.md, "Probe batch").
  /// - Throws: ``DivergenceError`` when the probe loss or a norm is not finite.
  func probeGradientNorms() throws -> [Double]
}
