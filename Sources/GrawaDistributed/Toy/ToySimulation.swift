import GrawaTensor

/// Runs a distributed strategy on a small differentiable function instead of a network: W
/// workers doing plain SGD on exact gradients (plus optional seeded Gaussian noise), syncing every
/// `tau` steps through the strategy's real `afterLocalStep` / `contribution` / `center` / `pull`.
/// Each coordinate is one "layer" (one tensor of the layout), so LGRAWA weights coordinates
/// separately. Sequential and deterministic: a toy needs no threads.
public struct ToySimulation: Sendable {
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

  /// A simulation of `steps` local steps.
  public init(
    function: @escaping @Sendable ([Double]) -> (value: Double, gradient: [Double]),
    project: @escaping @Sendable ([Double]) -> [Double] = { $0 }, learningRate: Double,
    gradientNoise: Double = 0, steps: Int, seed: UInt64 = 0
  ) {
    self.function = function
    self.project = project
    self.learningRate = learningRate
    self.gradientNoise = gradientNoise
    self.steps = steps
    self.seed = seed
  }

  /// Runs `strategy` from `starts` (one point per worker). The probe gradient of the GRAWA
  /// family is the exact gradient at the sync; Local-M/LGRAWA see each step's noisy gradient.
  /// - Throws: the strategy's errors (a non-finite score, mismatched sizes).
  public func run<Strategy: DistributedStrategy>(_ strategy: Strategy, from starts: [[Double]]) throws -> Result {
    let workers = starts.count
    guard let dimension = starts.first?.count, dimension > 0 else {
      throw DistributedError.countMismatch("toy simulation: no workers or empty start points")
    }
    let layout = try ParameterLayout(
      names: (0..<dimension).map { "x\($0 + 1)" }, shapes: Array(repeating: [1], count: dimension))
    // All workers of a real run start from one point; here each starts at its own corner, and
    // the strategy's initial targets (EASGD's master, the proximity target) are their mean.
    let mean = (0..<dimension).map { d in starts.reduce(0) { $0 + $1[d] } / Double(workers) }
    let initial = mean.map { Float($0) }
    var centerState = strategy.makeCenterState(initial: initial, layout: layout, workerCount: workers)
    var states = (0..<workers).map { strategy.makeWorkerState(worker: $0, initial: initial, layout: layout) }
    var positions = starts
    var trajectories = starts.map { [$0] }
    var noise = (0..<workers).map { RandomGenerator(seed: seed, stream: UInt64($0)) }
    let period = strategy.schedule.period
    var syncs = 0
    for step in 1...max(steps, 1) where steps > 0 {
      for worker in 0..<workers {
        let (value, exact) = function(positions[worker])
        let gradient = exact.map { $0 + gradientNoise * noise[worker].nextNormal() }
        positions[worker] = project(zip(positions[worker], gradient).map { $0 - learningRate * $1 })
        var vector = positions[worker].map { Float($0) }
        let report = LocalStepReport(step: step, loss: value, tensorGradientNorms: gradient.map { abs($0) })
        try strategy.afterLocalStep(&vector, report: report, state: &states[worker])
        if strategy.changesParametersBetweenSyncs {
          positions[worker] = project(vector.map { Double($0) })
        }
        trajectories[worker].append(positions[worker])
      }
      guard let period, strategy.exchange == .parameters, step % period == 0 else { continue }
      var contributions: [Contribution] = []
      for worker in 0..<workers {
        let probe = function(positions[worker]).gradient.map { abs($0) }
        contributions.append(
          try strategy.contribution(
            worker: worker, vector: positions[worker].map { Float($0) },
            measurements: SyncMeasurements(probeTensorNorms: probe), state: &states[worker]))
      }
      let outcome = try strategy.center(from: contributions, state: &centerState, layout: layout)
      for worker in 0..<workers {
        var vector = contributions[worker].vector
        try strategy.pull(&vector, outcome: outcome, state: &states[worker])
        positions[worker] = project(vector.map { Double($0) })
        trajectories[worker].append(positions[worker])
      }
      syncs += 1
    }
    let average = (0..<dimension).map { d in positions.reduce(0) { $0 + $1[d] } / Double(workers) }
    let reported = strategy.reportedCenter(state: centerState).map { $0.map { Double($0) } } ?? average
    return Result(
      trajectories: trajectories, center: reported,
      weightedCenter: strategy.weightedCenter(state: centerState).map { $0.map { Double($0) } }, syncs: syncs)
  }
}
