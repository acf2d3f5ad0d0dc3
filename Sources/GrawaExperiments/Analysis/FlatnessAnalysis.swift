import Foundation
import GrawaData
import GrawaDistributed
import GrawaNN
import GrawaOptim
import GrawaTensor

/// Settings of a flatness analysis.
public struct FlatnessSettings: Sendable, Codable, Equatable {
  /// Training samples the loss, its gradient and its Hessian are measured on (a seeded uniform
  /// subset, without augmentation).
  public var samples = 1000
  /// Lanczos iterations (k).
  public var iterations = 100
  /// Rademacher probes of Hutchinson's trace estimator (0: no trace estimate).
  public var traceProbes = 10
  /// The L2 length of the parameter step of the finite-difference Hessian-vector products.
  public var step = 1e-3
  /// Seed of the subset, the Lanczos start vector and the trace probes.
  public var seed: UInt64 = 0
  /// Batch size of the passes.
  public var batchSize = 250

  /// The defaults.
  public init() {}
}

/// How flat the minimum a run reached is: figures of its center model (paper figure 2 and the
/// Hessian columns of tables 1, 2 and 7).
public struct FlatnessReport: Sendable, Codable, Equatable {
  /// The settings used.
  public var settings: FlatnessSettings
  /// Mean training loss on the analysed subset.
  public var trainLoss: Double
  /// Training error on the analysed subset.
  public var trainError: Double
  /// Test loss and error of the center (batch norm re-estimated as in the run).
  public var test: EvaluationResult
  /// Test error minus training error.
  public var generalizationGap: Double
  /// L2 norm of the gradient of the mean training loss over the subset.
  public var gradientNorm: Double
  /// The top Ritz values of the Hessian, largest first.
  public var ritzValues: [Double]
  /// The largest Ritz value (lambda_max).
  public var lambdaMax: Double
  /// `sqrt(sum of squared Ritz values)`: the paper's sharpness measure (an estimate of the
  /// Hessian's Frobenius norm from its top-k spectrum).
  public var frobeniusEstimate: Double
  /// Hutchinson's estimate of the Hessian's trace (mean of `z^T H z` over Rademacher `z`), if
  /// probes were asked for.
  public var traceEstimate: Double?
  /// Hessian-vector products computed.
  public var hessianVectorProducts: Int
  /// Seconds the analysis took.
  public var seconds: Double
}

extension DistributedTrainer {
  /// Analyses the center model of the run state `state` (``centerModel(of:)``): its test
  /// figures, then loss, gradient and Hessian on a sample of `train` with the deterministic
  /// `transform`.
  /// - Parameter progress: called with a line of text after every Lanczos iteration and probe.
  /// - Throws: data, model or checkpoint errors; ``ConfigurationError`` for bad settings.
  public func analyzeFlatness(
    of state: RunState, train: Dataset, transform: AugmentationPipeline, settings: FlatnessSettings,
    progress: (String) -> Void = { _ in }
  ) throws -> FlatnessReport {
    guard settings.samples > 0, settings.iterations > 0, settings.traceProbes >= 0, settings.batchSize > 0,
      settings.step > 0, settings.step.isFinite
    else {
      throw ConfigurationError("flatness settings out of range: \(settings)")
    }
    let started = Date()
    let (center, model) = try centerModel(of: state)
    let testResult =
      try task.evaluation.map { try Evaluation.evaluate(model, on: $0.test, loss: task.loss) }
      ?? EvaluationResult(loss: .nan, error: .nan, count: 0)
    var generator = RandomGenerator(seed: settings.seed, stream: 0xF1A7)
    let indices = try SubsetSampler(populationCount: train.count, sampleCount: min(settings.samples, train.count))
      .sample(using: &generator)
    let plan = try BatchPlan(dataset: train, order: indices, batchSize: settings.batchSize, pipeline: transform)
    let surface = LossSurface(model: model, batches: Array(plan))
    let point = try surface.evaluate(at: center)
    let gradientNorm = point.gradient.reduce(0) { $0 + $1 * $1 }.squareRoot()
    var products = 0
    var iteration = 0
    let lanczos = try Lanczos.run(dimension: center.count, iterations: settings.iterations, seed: settings.seed) { v in
      products += 1
      iteration += 1
      let product = try surface.hessianVectorProduct(at: center, v, step: settings.step)
      progress("Lanczos iteration \(iteration)/\(settings.iterations)")
      return product
    }
    var trace: Double?
    if settings.traceProbes > 0 {
      var total = 0.0
      var random = RandomGenerator(seed: settings.seed, stream: 0x7ACE)
      for probe in 0..<settings.traceProbes {
        let z = (0..<center.count).map { _ in random.nextInt(below: 2) == 0 ? -1.0 : 1.0 }
        let product = try surface.hessianVectorProduct(at: center, z, step: settings.step)
        products += 1
        total += zip(z, product).reduce(0) { $0 + $1.0 * $1.1 }
        progress("trace probe \(probe + 1)/\(settings.traceProbes)")
      }
      trace = total / Double(settings.traceProbes)
    }
    let ritz = lanczos.ritzValues
    return FlatnessReport(
      settings: settings, trainLoss: point.loss, trainError: point.error, test: testResult,
      generalizationGap: testResult.error - point.error, gradientNorm: gradientNorm, ritzValues: ritz,
      lambdaMax: ritz.first ?? .nan, frobeniusEstimate: ritz.reduce(0) { $0 + $1 * $1 }.squareRoot(),
      traceEstimate: trace, hessianVectorProducts: products, seconds: Date().timeIntervalSince(started))
  }
}
