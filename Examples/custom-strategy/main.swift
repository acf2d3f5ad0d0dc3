// A distributed strategy written outside the library, against the public `DistributedStrategy`
// protocol, and run with the library's own engine.
//
// "Loss-weighted averaging": at every sync the center is the average of the workers weighted by
// the inverse of each worker's mean training loss since the last sync, and every worker moves
// halfway toward it. (An illustration of the protocol, not an algorithm from the paper.)
//
//   swift run -c release -Xswiftc -target-cpu -Xswiftc native custom-strategy

import Foundation
import GrawaDistributed
import GrawaExperiments
import GrawaTensor

struct LossWeightedAveraging: DistributedStrategy {
  /// Each worker sums its losses between syncs.
  struct WorkerState: Sendable, Codable {
    var lossSum = 0.0
    var steps = 0
  }

  /// What a worker sends beside its parameters: its mean loss since the last sync.
  struct Report: Sendable, Codable {
    var meanLoss: Double
  }

  /// What every worker receives: the center, and the weights for the metrics rows.
  struct Outcome: Sendable {
    var center: [Float]
    var weights: [Double]
  }

  let communicationPeriod: Int
  let pullStrength: Double

  var name: String { "loss-weighted" }
  var schedule: SyncSchedule { .periodic(communicationPeriod: communicationPeriod) }
  // The strategy's own column in metrics.csv and key in metrics.jsonl.
  var metricNames: [String] { ["loss_weights"] }

  func makeWorkerState(worker: Int, initial: [Float], layout: ParameterLayout) -> WorkerState {
    WorkerState()
  }

  // Runs on the worker's thread after every local step.
  func afterLocalStep(_ worker: any WorkerContext, state: inout WorkerState) throws {
    state.lossSum += worker.loss
    state.steps += 1
  }

  // Runs on the worker's thread at a sync: the parameters plus the worker's mean loss.
  func contribution(_ worker: any WorkerContext, state: inout WorkerState) throws -> Contribution<Report> {
    let meanLoss = state.lossSum / Double(max(state.steps, 1))
    state = WorkerState()
    return Contribution(worker: worker.worker, vector: try worker.parameters(), report: Report(meanLoss: meanLoss))
  }

  // Runs once per sync in the center, with every worker's report in worker order: how to combine.
  func combination(
    of reports: [Contribution<Report>], state: inout NoState, layout: ParameterLayout
  ) throws -> VectorCombination {
    let weights = try InverseNormWeights.weights(for: reports.map(\.report.meanLoss))
    return .weightedSum(weights: weights.map { [$0] })
  }

  // The combined vector is the center.
  func outcome(
    of reports: [Contribution<Report>], combination: VectorCombination, combined: [Float], state: inout NoState
  ) throws -> Outcome {
    guard case .weightedSum(let weights) = combination else {
      throw DistributedError.countMismatch("loss-weighted: the center was not formed as a weighted sum")
    }
    return Outcome(center: combined, weights: weights.map { $0[0] })
  }

  // Runs on every worker after the sync: move halfway toward the center.
  func finish(_ worker: any WorkerContext, outcome: Outcome, state: inout WorkerState) throws {
    var parameters = try worker.parameters()
    try WeightedAverage.interpolate(&parameters, toward: outcome.center, fraction: Float(pullStrength))
    try worker.setParameters(parameters)
  }

  func metrics(of outcome: Outcome) -> [StrategyMetric] {
    [StrategyMetric("loss_weights", .vector(outcome.weights))]
  }
}

var configuration = TrainingConfiguration()
configuration.model = .tinyCNN
configuration.dataset = .synthetic
configuration.trainLimit = 2048
configuration.testLimit = 512
configuration.batchSize = 32
configuration.workers = 4
configuration.epochs = 3

do {
  let strategy = LossWeightedAveraging(communicationPeriod: 4, pullStrength: 0.5)
  let trainer = try DistributedTrainer(configuration: configuration, strategy: strategy)
  let summary = try trainer.run { report in
    if let row = report.evaluation {
      let weights = row.metric("loss_weights")?.values.map { String(format: "%.3f", $0) }.joined(separator: " ") ?? "-"
      print(String(format: "epoch %.0f: center test error %.2f%%, weights %@", row.epoch, 100 * row.testError, weights))
    }
  }
  print(
    String(
      format: "%@ with %d workers: %d syncs, final center test accuracy %.2f%%", summary.strategy, summary.workers,
      summary.syncs, 100 * (1 - summary.finalTest.error)))
} catch {
  FileHandle.standardError.write(Data("error: \(error)\n".utf8))
  exit(1)
}
