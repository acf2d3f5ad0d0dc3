import GrawaDistributed
import GrawaTensor

/// What a simulated local step of the harness tells the strategy: the step's number, its loss, and
/// (for the Local-M/LGRAWA variants) the per-tensor norms of its gradient.
struct LocalStepReport {
  var step: Int
  var loss: Double
  var tensorGradientNorms: [Double]?

  init(step: Int, loss: Double, tensorGradientNorms: [Double]? = nil) {
    self.step = step
    self.loss = loss
    self.tensorGradientNorms = tensorGradientNorms
  }
}

/// A worker of the harness: hand-set parameters, gradients and measurements, and a record of
/// what the strategy asked for.
final class HarnessWorker: WorkerContext {
  let worker: Int
  let layout: ParameterLayout
  var step = 0
  var loss: Double = .nan
  var vector: [Float]
  var gradient: [Float]
  var stepNorms: [Double]?
  var probeNorms: [Double]?
  /// How many probe-batch measurements the strategy asked for.
  var probeRequests = 0
  /// How many times the strategy replaced the parameters.
  var parameterWrites = 0

  init(worker: Int, layout: ParameterLayout, vector: [Float]) {
    self.worker = worker
    self.layout = layout
    self.vector = vector
    self.gradient = [Float](repeating: 0, count: vector.count)
  }

  func parameters() throws -> [Float] { vector }

  func setParameters(_ parameters: [Float]) throws {
    guard parameters.count == vector.count else {
      throw DistributedError.lengthMismatch(expected: vector.count, got: parameters.count, worker: worker)
    }
    vector = parameters
    parameterWrites += 1
  }

  func gradients() throws -> [Float] { gradient }

  func setGradients(_ gradients: [Float]) throws {
    guard gradients.count == gradient.count else {
      throw DistributedError.lengthMismatch(expected: gradient.count, got: gradients.count, worker: worker)
    }
    gradient = gradients
  }

  func gradientNorms() throws -> [Double] {
    guard let stepNorms else { throw DistributedError.countMismatch("harness: no step gradient norms were given") }
    return stepNorms
  }

  func probeGradientNorms() throws -> [Double] {
    probeRequests += 1
    guard let probeNorms else { throw DistributedError.countMismatch("harness: no probe norms were given") }
    return probeNorms
  }
}

/// Drives one strategy through the public ``SyncDriver``, as the engine does, for the exact-update
/// tests of `Tests/GrawaDistributedTests/Strategies`.
///
/// A local step is simulated: the test gives the step's gradient norms (when it has any), which
/// the driver hands to the strategy when the gradients are final, then says where the optimizer
/// moved the worker (`movedTo`), and the driver runs the strategy's after-step hook. A sync is
/// ``SyncDriver/round(_:states:center:layout:)``: every contribution, the center, every finish.
struct StrategyHarness<Strategy: DistributedStrategy> {
  let strategy: Strategy
  let layout: ParameterLayout
  let driver: SyncDriver<Strategy>
  let contexts: [HarnessWorker]
  var workerStates: [Strategy.WorkerState]
  var centerState: Strategy.CenterState

  /// The workers' flat parameters.
  var workers: [[Float]] {
    get { contexts.map(\.vector) }
    nonmutating set {
      for (context, vector) in zip(contexts, newValue) { context.vector = vector }
    }
  }

  /// The workers' flat gradients (what a gradient exchange sends and replaces).
  var gradients: [[Float]] {
    get { contexts.map(\.gradient) }
    nonmutating set {
      for (context, gradient) in zip(contexts, newValue) { context.gradient = gradient }
    }
  }

  /// `workerCount` workers starting from the common `initial` parameters.
  init(_ strategy: Strategy, initial: [Float], layout: ParameterLayout, workerCount: Int) {
    self.strategy = strategy
    self.layout = layout
    self.driver = SyncDriver(strategy)
    self.contexts = (0..<workerCount).map { HarnessWorker(worker: $0, layout: layout, vector: initial) }
    self.workerStates = (0..<workerCount).map {
      strategy.makeWorkerState(worker: $0, initial: initial, layout: layout)
    }
    self.centerState = strategy.makeCenterState(initial: initial, layout: layout, workerCount: workerCount)
  }

  /// One local step of `worker`: the strategy sees the final gradients (norms from `report`),
  /// the optimizer moves the worker to `movedTo` (when given), then the after-step hook runs.
  /// - Returns: whether the driver says a sync is due after this step.
  @discardableResult
  mutating func localStep(worker: Int, movedTo: [Float]? = nil, report: LocalStepReport) throws -> Bool {
    let context = contexts[worker]
    context.step = report.step - 1
    context.loss = report.loss
    context.stepNorms = report.tensorGradientNorms
    let gradientSync = try driver.gradientsAreFinal(context, state: &workerStates[worker])
    if let movedTo {
      context.vector = movedTo
    }
    context.step = report.step
    let periodicSync = try driver.afterLocalStep(context, state: &workerStates[worker])
    return gradientSync || periodicSync
  }

  /// A sync: every worker's contribution (worker i's probe batch, when asked for, has per-tensor
  /// gradient norms `probeNorms[i]`), the center, every finish.
  @discardableResult
  mutating func sync(
    probeNorms: [[Double]]? = nil
  ) throws -> (contributions: [Contribution<Strategy.Report>], outcome: Strategy.Outcome) {
    for (index, context) in contexts.enumerated() {
      context.probeNorms = probeNorms?[index]
    }
    return try driver.round(contexts, states: &workerStates, center: &centerState, layout: layout)
  }
}

/// Two tensors, "a" (flat elements 0..<2) and "b" (flat element 2): small enough to compute by
/// hand, large enough for per-tensor behaviour to show.
func twoTensorLayout() throws -> ParameterLayout {
  try ParameterLayout(names: ["a", "b"], shapes: [[2], [1]])
}
