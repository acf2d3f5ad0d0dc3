// swift-grawa as a toolkit: a model, a data generator, a loss and a strategy of this package's
// own, trained on the library's distributed engine through its public API only (no CLI, no
// @testable import). Every claim it prints is checked; it exits non-zero when one fails.
//
//   cd Examples/toolkit && swift run -c release -Xswiftc -target-cpu -Xswiftc native

import Foundation
import Grawa

nonisolated(unsafe) var failures = 0
func check(_ condition: Bool, _ message: String) {
  print((condition ? "ok    " : "FAIL  ") + message)
  if !condition { failures += 1 }
}

// MARK: - What we bring

// Our loss: cross-entropy plus a small penalty on the squared logits (keeps them from growing),
// reduced over the batch as the engine asks (mean for steps, sum for GRAWA's probe batches).
let penalisedCrossEntropy = TrainingLoss(name: "penalised-cross-entropy") { logits, batch, reduction in
  let crossEntropy = try logits.crossEntropy(labels: batch.labels, reduction: reduction)
  let squares = try (logits * logits).sum() * (0.01 / Float(logits.shape[1]))
  return try crossEntropy + (reduction == .mean ? squares * (1 / Float(batch.count)) : squares)
}

let task = TrainingTask(
  makeModel: { generator in try SpiralNet(hidden: 32, classes: Spiral.classes, generator: &generator) },
  data: SpiralSource(batchSize: 32, batchesPerEpoch: 25, seed: 7),
  loss: penalisedCrossEntropy,
  makeOptimizer: { parameters in
    try SGD(parameters: parameters, learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4, nesterov: true)
  },
  schedule: .constant,
  evaluation: CenterEvaluation(test: SpiralTestSet(batches: 8, batchSize: 128, seed: 99)))

var settings = RunSettings()
settings.workers = 4
settings.seed = 1
settings.threads = 2
settings.evaluateEvery = 1

let runs = FileManager.default.temporaryDirectory.appendingPathComponent("toolkit-example-\(getpid())")
defer { try? FileManager.default.removeItem(at: runs) }

func readRows(_ directory: URL) throws -> [MetricsRow] {
  let text = try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
  return try text.split(separator: "\n").map { try RunJSON.decoder().decode(MetricsRow.self, from: Data($0.utf8)) }
}

do {
  // MARK: - MGRAWA with 4 workers, in two halves: 100 steps, a checkpoint, a resume to 200.
  let mgrawa = MGRAWA(communicationPeriod: 8, pullStrength: 0.5, proximityStrength: 0.01)
  let halves = runs.appendingPathComponent("mgrawa")
  let checkpoint = halves.appendingPathComponent("checkpoint.grawa")
  settings.steps = 100
  let first = try DistributedTrainer(task: task, settings: settings, strategy: mgrawa)
    .run(metrics: [try RunLog(directory: halves, metricNames: mgrawa.metricNames)], checkpoint: checkpoint)
  print("mgrawa, first half: \(first.steps) steps, \(first.syncs) syncs, test \(first.finalTest)")

  let saved = try CheckpointFile.read(from: checkpoint)
  settings.steps = 200
  let resumed = try DistributedTrainer(task: task, settings: settings, strategy: mgrawa).run(
    metrics: [try RunLog(directory: halves, keepingRows: saved.evaluations, metricNames: mgrawa.metricNames)],
    checkpoint: checkpoint, resumeFrom: saved)
  print("mgrawa, resumed: \(resumed.steps) steps, \(resumed.syncs) syncs, test \(resumed.finalTest)")

  // The same 200 steps in one go: a resumed synchronous run continues bit for bit.
  let whole = runs.appendingPathComponent("mgrawa-whole")
  let uninterrupted = try DistributedTrainer(task: task, settings: settings, strategy: mgrawa)
    .run(
      metrics: [try RunLog(directory: whole, metricNames: mgrawa.metricNames)],
      checkpoint: whole.appendingPathComponent("checkpoint.grawa"))
  let resumedState = try CheckpointFile.read(from: checkpoint)
  let wholeState = try CheckpointFile.read(from: whole.appendingPathComponent("checkpoint.grawa"))
  check(resumed.syncs == 25 && resumed.steps == 200, "200 steps with a sync every 8: 25 syncs")
  check(
    resumedState.workers.map(\.parameters) == wholeState.workers.map(\.parameters),
    "resumed run == uninterrupted run, bit for bit")
  check(resumed.finalTest == uninterrupted.finalTest, "same final test figures after resuming")
  check(resumed.finalTest.error < 0.2, "MGRAWA learns the spirals: center test error \(resumed.finalTest.error) < 0.2")

  // The metrics rows, read back: one per epoch (25 steps), with MGRAWA's weights.
  let rows = try readRows(halves)
  check(rows.map(\.step) == [25, 50, 75, 100, 125, 150, 175, 200], "one metrics row per epoch, none twice")
  let weights = rows.last?.metric("weights")?.values ?? []
  check(weights.count == 4 && abs(weights.reduce(0, +) - 1) < 1e-9, "MGRAWA's four weights sum to 1: \(weights)")

  // The trained center as a model of our own type, evaluated by hand.
  let (_, center) = try DistributedTrainer(task: task, settings: settings, strategy: mgrawa).centerModel(of: resumedState)
  check(center is SpiralNet, "the center comes back as a SpiralNet")
  let byHand = try Evaluation.evaluate(center, on: SpiralTestSet(batches: 8, batchSize: 128, seed: 99), loss: penalisedCrossEntropy)
  check(byHand == resumed.finalTest, "evaluating the center by hand gives the run's figures")

  // MARK: - Our own strategy, publishing its own metric.
  let spreadRun = runs.appendingPathComponent("spread")
  let strategy = SpreadReportingAverage(period: 10)
  settings.steps = 100
  let summary = try DistributedTrainer(task: task, settings: settings, strategy: strategy)
    .run(metrics: [try RunLog(directory: spreadRun, metricNames: strategy.metricNames)])
  let spreadRows = try readRows(spreadRun)
  let spreads = spreadRows.compactMap { $0.metric("spread")?.values.first }
  print("spread-average: test error \(summary.finalTest.error), spread by epoch \(spreads)")
  check(spreads.count == 4 && spreads.allSatisfy { $0 > 0 && $0.isFinite }, "the custom strategy's metric is in every row")
  let csv = try String(contentsOf: spreadRun.appendingPathComponent("metrics.csv"), encoding: .utf8)
  check(csv.split(separator: "\n").first?.contains(",spread,") == true, "and it has a column of its own in metrics.csv")
} catch {
  print("FAIL  \(error)")
  failures += 1
}

if failures > 0 {
  print("\(failures) check(s) failed")
  exit(1)
}
print("all checks passed")
