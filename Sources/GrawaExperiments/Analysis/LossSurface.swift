import Foundation
import GrawaData
import GrawaDistributed
import GrawaNN
import GrawaOptim
import GrawaTensor

/// The training loss of a model on a fixed set of batches as a function of its flat parameters:
/// value, gradient and Hessian-vector products, for flatness analysis (paper figure 2 and the
/// Hessian measures of its tables).
///
/// The model runs in inference mode (batch norm on its running statistics, no dropout), so the
/// loss is a deterministic function of the parameters. The loss is the mean cross-entropy over
/// all samples of the batches.
public final class LossSurface {
  private let model: any Layer
  private let batches: [Batch]
  /// The number of samples.
  public let sampleCount: Int

  /// The loss of `model` over `batches`.
  public init(model: any Layer, batches: [Batch]) {
    self.model = model
    self.batches = batches
    sampleCount = batches.reduce(0) { $0 + $1.count }
  }

  /// The number of parameters.
  public var dimension: Int { model.parameterCount }

  /// Mean loss, error and gradient (in `Double`) at `parameters`.
  /// - Throws: a model error, or ``DistributedError`` for a vector of the wrong size.
  public func evaluate(at parameters: [Float]) throws -> (loss: Double, error: Double, gradient: [Double]) {
    try model.setFlatParameters(parameters)
    model.zeroGradients()
    let context = ForwardContext(mode: .inference)
    var total = 0.0
    var wrong = 0
    for batch in batches {
      let logits = try model(batch.images, context)
      // Sum-reduced per batch, scaled by the total count: the gradient of the overall mean.
      let loss = try logits.crossEntropy(labels: batch.labels, reduction: .sum).scaled(by: 1 / Float(sampleCount))
      total += Double(loss.scalar)
      wrong += zip(logits.argmaxLastAxis(), batch.labels).filter { $0 != $1 }.count
      try loss.backward()
    }
    let gradient = model.flatGradients().map { Double($0) }
    model.zeroGradients()
    return (total, Double(wrong) / Double(max(sampleCount, 1)), gradient)
  }

  /// `H v` by central differences of gradients: `(g(x + e v) - g(x - e v)) / (2 e)` with
  /// `e = step / ||v||`, so the parameters move by `step` in L2 norm either way.
  /// - Throws: what ``evaluate(at:)`` throws.
  public func hessianVectorProduct(at parameters: [Float], _ vector: [Double], step: Double = 1e-3) throws -> [Double] {
    guard vector.count == parameters.count else {
      throw DistributedError.lengthMismatch(expected: parameters.count, got: vector.count, worker: -1)
    }
    let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
    guard norm > 0 else { return [Double](repeating: 0, count: vector.count) }
    let e = step / norm
    let plus = zip(parameters, vector).map { Float(Double($0) + e * $1) }
    let minus = zip(parameters, vector).map { Float(Double($0) - e * $1) }
    let gPlus = try evaluate(at: plus).gradient
    let gMinus = try evaluate(at: minus).gradient
    return zip(gPlus, gMinus).map { ($0 - $1) / (2 * e) }
  }
}
