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
import GrawaTensor

struct LossWeightedAveraging: DistributedStrategy {
  /// Each worker sums its losses between syncs.
  struct WorkerState: Sendable, Codable {
    var lossSum = 0.0
    var steps = 0
  }

  let communicationPeriod: Int
  let pullStrength: Double

  var name: String { "loss-weighted" }
  var schedule: SyncSchedule { .periodic(communicationPeriod: communicationPeriod) }

  func makeWorkerState(worker: Int, initial: [Float], layout: ParameterLayout) -> WorkerState {
    WorkerState()
  }

  func makeCenterState(initial: [Float], layout: ParameterLayout, workerCount: Int) -> NoState {
    NoState()
  }

  // Runs on the worker's thread after every local step.
  func afterLocalStep(_ parameters: inout [Float], report: LocalStepReport, state: inout WorkerState) throws {
    state.lossSum += report.loss
    state.steps += 1
  }

  // Runs on the worker's thread at a sync: the parameters plus the worker's mean loss as its score.
  func contribution(
    worker: Int, vector: [Float], measurements: SyncMeasurements, state: inout WorkerState
  ) throws -> Contribution {
    let meanLoss = state.lossSum / Double(max(state.steps, 1))
    state = WorkerState()
    return Contribution(worker: worker, vector: vector, scores: [meanLoss])
  }

  // Runs once per sync in the center, with every worker's contribution in worker order.
  func center(
    from contributions: [Contribution], state: inout NoState, layout: ParameterLayout
  ) throws -> SyncOutcome {
    let weights = try InverseNormWeights.weights(for: contributions.map { $0.scores[0] })
    let center = try WeightedAverage.combine(contributions.map(\.vector), weights: weights)
    return SyncOutcome(target: center, pullFraction: Float(pullStrength), weights: weights.map { [$0] })
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
      let weights = row.weights?.map { String(format: "%.3f", $0) }.joined(separator: " ") ?? "-"
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
