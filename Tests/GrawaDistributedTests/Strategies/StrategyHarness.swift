import GrawaDistributed
import GrawaTensor

/// Drives one strategy through the protocol calls in the order the engine makes them, for the
/// exact-update tests of `Tests/GrawaDistributedTests/Strategies`.
///
/// A local step is simulated: the test says where the optimizer moved the worker (`movedTo`), and
/// the harness then calls `afterLocalStep` as the engine does (with the flat parameters when the
/// strategy changes them between syncs, with an empty vector otherwise). A sync calls
/// `contribution` on every worker, `center` once with the contributions in worker order, then
/// `pull` on every worker for parameter exchanges.
struct StrategyHarness<Strategy: DistributedStrategy> {
  let strategy: Strategy
  let layout: ParameterLayout
  /// The workers' flat parameters.
  var workers: [[Float]]
  var workerStates: [Strategy.WorkerState]
  var centerState: Strategy.CenterState

  /// `workerCount` workers starting from the common `initial` parameters.
  init(_ strategy: Strategy, initial: [Float], layout: ParameterLayout, workerCount: Int) {
    self.strategy = strategy
    self.layout = layout
    self.workers = [[Float]](repeating: initial, count: workerCount)
    self.workerStates = (0..<workerCount).map {
      strategy.makeWorkerState(worker: $0, initial: initial, layout: layout)
    }
    self.centerState = strategy.makeCenterState(initial: initial, layout: layout, workerCount: workerCount)
  }

  /// One local step of `worker`: the optimizer moved it to `movedTo` (when given), then the
  /// strategy's `afterLocalStep` runs with `report`.
  mutating func localStep(worker: Int, movedTo: [Float]? = nil, report: LocalStepReport) throws {
    if let movedTo {
      workers[worker] = movedTo
    }
    if strategy.changesParametersBetweenSyncs {
      try strategy.afterLocalStep(&workers[worker], report: report, state: &workerStates[worker])
    } else {
      var empty: [Float] = []
      try strategy.afterLocalStep(&empty, report: report, state: &workerStates[worker])
    }
  }

  /// A sync: every worker's contribution (with `measurements[i]`, or none), the center, the pulls.
  @discardableResult
  mutating func sync(
    measurements: [SyncMeasurements]? = nil
  ) throws -> (contributions: [Contribution], outcome: SyncOutcome) {
    var contributions: [Contribution] = []
    for worker in workers.indices {
      let measured = measurements?[worker] ?? SyncMeasurements()
      contributions.append(
        try strategy.contribution(
          worker: worker, vector: workers[worker], measurements: measured, state: &workerStates[worker]))
    }
    let outcome = try strategy.center(from: contributions, state: &centerState, layout: layout)
    if strategy.exchange == .parameters {
      for worker in workers.indices {
        try strategy.pull(&workers[worker], outcome: outcome, state: &workerStates[worker])
      }
    }
    return (contributions, outcome)
  }

  /// A sync where worker i's probe batch had per-tensor gradient norms `probeNorms[i]`.
  @discardableResult
  mutating func sync(probeNorms: [[Double]]) throws -> (contributions: [Contribution], outcome: SyncOutcome) {
    try sync(measurements: probeNorms.map { SyncMeasurements(probeTensorNorms: $0) })
  }
}

/// Two tensors, "a" (flat elements 0..<2) and "b" (flat element 2): small enough to compute by
/// hand, large enough for per-tensor behaviour to show.
func twoTensorLayout() throws -> ParameterLayout {
  try ParameterLayout(names: ["a", "b"], shapes: [[2], [1]])
}
