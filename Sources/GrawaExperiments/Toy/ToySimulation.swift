import Foundation
import GrawaData
import GrawaDistributed
import GrawaNN
import GrawaOptim
import GrawaTensor

/// Runs a distributed strategy on a small differentiable function instead of a network: W
/// workers doing plain SGD on exact gradients (plus optional seeded Gaussian noise), syncing every
/// `tau` steps through the strategy's real `afterLocalStep` / `contribution` / `center` / `pull`.
/// Each coordinate is one "layer" (one tensor of the layout), so LGRAWA weights coordinates
/// separately. Sequential and deterministic: a toy needs no threads.
///
/// The workers start at different points, so there is no common initial point for what a real
/// run starts there: the proximity target before the first sync is ``preSyncTarget`` (by default
/// none), and EASGD's master starts at the mean of the start points (docs/algorithms.md, "The toy
/// simulation").
public struct ToySimulation: Sendable {
  /// What the workers' proximity pull (p2 > 0) draws them toward before the first sync.
  ///
  /// In the engine every worker starts at one common point, which is the target until the first
  /// sync forms one. The toy's workers start at different points, and the authors' code has no
  /// stand-in for that point.
  public enum PreSyncTarget: String, Sendable, CaseIterable {
    /// No target until a sync forms one: no proximity pull before the first sync (the default;
    /// the strategies get an empty `initial`, see `ProximityPull`).
    case none
    /// The mean of the start points: every worker is pulled toward it between steps until the
    /// first sync (this package's behaviour before issue 15).
    case meanOfStarts = "mean-of-starts"
  }

  /// What a run produced.
  public struct Result: Sendable {
    /// Every worker's position after each local step and sync, starting with the initial point:
    /// `trajectories[worker][time]`.
    public var trajectories: [[[Double]]]
    /// The run's center at the end (EASGD's master, otherwise the plain average of the workers).
    public var center: [Double]
    /// The strategy's own weighted center of the last sync (the GRAWA family), if any.
    public var weightedCenter: [Double]?
    /// The number of syncs.
    public var syncs: Int
  }

  /// The loss and its gradient.
  public var function: @Sendable ([Double]) -> (value: Double, gradient: [Double])
  /// Keeps points inside the domain (applied after every move).
  public var project: @Sendable ([Double]) -> [Double]
  /// The local learning rate.
  public var learningRate: Double
  /// The standard deviation of the Gaussian noise added to every local gradient (0: exact).
  public var gradientNoise: Double
  /// Local steps per worker.
  public var steps: Int
  /// The seed of the noise.
  public var seed: UInt64
  /// The proximity target before the first sync.
  public var preSyncTarget: PreSyncTarget

  /// A simulation of `steps` local steps.
  public init(
    function: @escaping @Sendable ([Double]) -> (value: Double, gradient: [Double]),
    project: @escaping @Sendable ([Double]) -> [Double] = { $0 }, learningRate: Double,
    gradientNoise: Double = 0, steps: Int, seed: UInt64 = 0, preSyncTarget: PreSyncTarget = .none
  ) {
    self.function = function
    self.project = project
    self.learningRate = learningRate
    self.gradientNoise = gradientNoise
    self.steps = steps
    self.seed = seed
    self.preSyncTarget = preSyncTarget
  }

  /// Runs `strategy` from `starts` (one point per worker) through the ``SyncDriver``, as the
  /// engine does. The probe gradient of the GRAWA family is the exact gradient at the sync;
  /// Local-M/LGRAWA see each step's noisy gradient; a data-parallel strategy averages the noisy
  /// gradients before every update.
  /// - Throws: the strategy's errors (a non-finite score, mismatched sizes).
  public func run<Strategy: DistributedStrategy>(_ strategy: Strategy, from starts: [[Double]]) throws -> Result {
    let workerCount = starts.count
    guard let dimension = starts.first?.count, dimension > 0 else {
      throw DistributedError.countMismatch("toy simulation: no workers or empty start points")
    }
    let layout = try ParameterLayout(
      names: (0..<dimension).map { "x\($0 + 1)" }, shapes: Array(repeating: [1], count: dimension))
    // All workers of a real run start from one point; here each starts at its own. The center
    // starts at the mean of the start points: EASGD's master is the workers' mean at t = 0, as it
    // is in a real run, where that mean is the common point. The workers get the mean as their
    // initial proximity target only when asked; otherwise an empty `initial`, so they have no
    // target (and no pull) until a sync forms one.
    let mean = (0..<dimension).map { d in starts.reduce(0) { $0 + $1[d] } / Double(workerCount) }
    let initial = mean.map { Float($0) }
    let workerInitial: [Float] =
      switch preSyncTarget {
      case .none: []
      case .meanOfStarts: initial
      }
    let driver = SyncDriver(strategy)
    var centerState = strategy.makeCenterState(initial: initial, layout: layout, workerCount: workerCount)
    var states = (0..<workerCount).map {
      strategy.makeWorkerState(worker: $0, initial: workerInitial, layout: layout)
    }
    let workers = starts.enumerated().map { index, start in
      ToyWorker(index: index, layout: layout, position: start, function: function, project: project)
    }
    var trajectories = starts.map { [$0] }
    var noise = (0..<workerCount).map { RandomGenerator(seed: seed, stream: UInt64($0)) }
    var syncs = 0
    for _ in 0..<max(steps, 0) {
      // Gradients of every worker; a gradient sync when the schedule syncs at every step.
      var gradientSyncDue = false
      for worker in workers {
        let (value, exact) = function(worker.position)
        worker.loss = value
        worker.gradient = exact.map { $0 + gradientNoise * noise[worker.worker].nextNormal() }
        gradientSyncDue = try driver.gradientsAreFinal(worker, state: &states[worker.worker]) || gradientSyncDue
      }
      if gradientSyncDue {
        try driver.round(workers, states: &states, center: &centerState, layout: layout)
        syncs += 1
      }
      // Updates, the strategies' after-step hooks, and a periodic sync when it is due.
      var periodicSyncDue = false
      for worker in workers {
        worker.position = project(zip(worker.position, worker.gradient).map { $0 - learningRate * $1 })
        worker.step += 1
        periodicSyncDue = try driver.afterLocalStep(worker, state: &states[worker.worker]) || periodicSyncDue
        trajectories[worker.worker].append(worker.position)
      }
      if periodicSyncDue {
        try driver.round(workers, states: &states, center: &centerState, layout: layout)
        for worker in workers { trajectories[worker.worker].append(worker.position) }
        syncs += 1
      }
    }
    let average = (0..<dimension).map { d in workers.reduce(0) { $0 + $1.position[d] } / Double(workerCount) }
    let reported = strategy.reportedCenter(state: centerState).map { $0.map { Double($0) } } ?? average
    return Result(
      trajectories: trajectories, center: reported,
      weightedCenter: strategy.weightedCenter(state: centerState).map { $0.map { Double($0) } }, syncs: syncs)
  }
}

/// One worker of the toy: a point, its last gradient, and the measurements a strategy may ask for.
final class ToyWorker: WorkerContext {
  let worker: Int
  let layout: ParameterLayout
  var step = 0
  var loss: Double = .nan
  var position: [Double]
  var gradient: [Double] = []
  let function: @Sendable ([Double]) -> (value: Double, gradient: [Double])
  let project: @Sendable ([Double]) -> [Double]

  init(
    index: Int, layout: ParameterLayout, position: [Double],
    function: @escaping @Sendable ([Double]) -> (value: Double, gradient: [Double]),
    project: @escaping @Sendable ([Double]) -> [Double]
  ) {
    self.worker = index
    self.layout = layout
    self.position = position
    self.function = function
    self.project = project
  }

  func parameters() throws -> [Float] { position.map { Float($0) } }

  func setParameters(_ parameters: [Float]) throws {
    guard parameters.count == position.count else {
      throw DistributedError.lengthMismatch(expected: position.count, got: parameters.count, worker: worker)
    }
    position = project(parameters.map { Double($0) })
  }

  func gradients() throws -> [Float] { gradient.map { Float($0) } }

  func setGradients(_ gradients: [Float]) throws {
    guard gradients.count == position.count else {
      throw DistributedError.lengthMismatch(expected: position.count, got: gradients.count, worker: worker)
    }
    gradient = gradients.map { Double($0) }
  }

  /// Each coordinate is one tensor: its norm is the absolute value of its gradient.
  func gradientNorms() throws -> [Double] { gradient.map { abs($0) } }

  /// The exact gradient at the current point.
  func probeGradientNorms() throws -> [Double] { function(position).gradient.map { abs($0) } }
}
