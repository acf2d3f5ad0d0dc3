import Grawa

/// A strategy of our own: every `period` steps the workers move halfway to their plain average,
/// and the center publishes how far apart they were (the root-mean-square distance of the
/// workers to their average) as a metric of its own, `spread`.
struct SpreadReportingAverage: DistributedStrategy {
  struct Outcome: Sendable {
    var center: [Float]
    var spread: Double
  }

  let period: Int

  var name: String { "spread-average" }
  var schedule: SyncSchedule { .periodic(communicationPeriod: period) }
  var metricNames: [String] { ["spread"] }

  // The default contribution (the parameters) and combination (their plain average) serve.

  func outcome(
    of reports: [Contribution<NoState>], combination: VectorCombination, combined: [Float], state: inout NoState
  ) throws -> Outcome {
    var squares = 0.0
    for report in reports {
      for (x, c) in zip(report.vector, combined) {
        squares += Double(x - c) * Double(x - c)
      }
    }
    return Outcome(center: combined, spread: (squares / Double(reports.count)).squareRoot())
  }

  func finish(_ worker: any WorkerContext, outcome: Outcome, state: inout NoState) throws {
    var parameters = try worker.parameters()
    try WeightedAverage.interpolate(&parameters, toward: outcome.center, fraction: 0.5)
    try worker.setParameters(parameters)
  }

  func metrics(of outcome: Outcome) -> [StrategyMetric] {
    [StrategyMetric("spread", .scalar(outcome.spread))]
  }
}
