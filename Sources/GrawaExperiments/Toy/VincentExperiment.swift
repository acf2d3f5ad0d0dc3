import Foundation
import GrawaData
import GrawaDistributed
import GrawaNN
import GrawaOptim
import GrawaTensor

/// The paper's motivational experiment (section 4.1, appendix A): four workers start at the
/// corners of the Vincent function's square, run plain SGD and sync every 4 steps with EASGD,
/// LSGD, GRAWA, MGRAWA and LGRAWA (the library's own strategy types).
public struct VincentExperiment: Sendable {
  /// The strategies compared, in the paper's order.
  public static let strategies: [StrategyKind] = [.easgd, .lsgd, .grawa, .mgrawa, .lgrawa]

  /// n, the number of coordinates.
  public var dimension = 2
  /// The local SGD learning rate.
  public var learningRate = 0.01
  /// Local steps per worker.
  public var steps = 400
  /// tau, local steps between syncs.
  public var communicationPeriod = 4
  /// EASGD's moving rate beta (its c2); each worker moves beta / 4 toward the master.
  public var easgdPull = 0.1
  /// c2 for LSGD.
  public var lsgdPull = 0.1
  /// c2 for the GRAWA family.
  public var grawaPull = 0.5
  /// p2 for LSGD.
  public var lsgdProximity = 0.1
  /// p2 for the GRAWA family.
  public var grawaProximity = 0.01
  /// Standard deviation of the Gaussian noise added to each local gradient.
  public var gradientNoise = 0.0
  /// The seed of the noise.
  public var seed: UInt64 = 0
  /// How far inside the domain's corners the workers start.
  public var cornerInset = 0.0
  /// The proximity target before the first sync (``ToySimulation/PreSyncTarget``; default none).
  public var preSyncTarget = ToySimulation.PreSyncTarget.none

  /// The paper's setting: the defaults above.
  public init() {}

  /// What one strategy reached.
  public struct Outcome: Sendable {
    /// The strategy.
    public var strategy: StrategyKind
    /// The run: trajectories, final center, syncs.
    public var result: ToySimulation.Result
    /// f at the final center.
    public var value: Double
    /// The valley each coordinate of the center is in (k of `exp((pi/2 + 2 pi k) / 10)`).
    public var valleys: [Int]
    /// The valley each coordinate of each worker's final point is in: `workerValleys[worker]`.
    /// LSGD's center is the workers' plain average, which can sit on a ridge between workers
    /// held in different valleys; this says where the workers themselves are.
    public var workerValleys: [[Int]]
    /// The Hessian's diagonal at the center.
    public var curvature: [Double]
  }

  /// The starting points: the corners of `[0.25, 10]^2` (of the first two coordinates; the others
  /// start at the lower bound), moved `cornerInset` inside.
  public var starts: [[Double]] {
    let low = VincentFunction.domain.lowerBound + cornerInset
    let high = VincentFunction.domain.upperBound - cornerInset
    let corners = [[low, low], [low, high], [high, low], [high, high]]
    return corners.map { corner in (0..<dimension).map { $0 < 2 ? corner[$0] : low } }
  }

  /// Runs every strategy of ``strategies``.
  /// - Throws: ``ConfigurationError`` for settings out of range, or a strategy's error.
  public func run() throws -> [Outcome] {
    guard dimension >= 1 else { throw ConfigurationError("--dimension must be >= 1, got \(dimension)") }
    guard learningRate > 0, learningRate.isFinite else {
      throw ConfigurationError("--lr must be positive, got \(learningRate)")
    }
    guard steps >= 1 else { throw ConfigurationError("--steps must be >= 1, got \(steps)") }
    guard gradientNoise >= 0, gradientNoise.isFinite else {
      throw ConfigurationError("--noise must be >= 0, got \(gradientNoise)")
    }
    guard cornerInset >= 0, cornerInset < 4.875 else {
      throw ConfigurationError("--inset must be in [0, 4.875), got \(cornerInset)")
    }
    let function = VincentFunction(dimension: dimension)
    let simulation = ToySimulation(
      function: { (function.value($0), function.gradient($0)) }, project: VincentFunction.clamp,
      learningRate: learningRate, gradientNoise: gradientNoise, steps: steps, seed: seed,
      preSyncTarget: preSyncTarget)
    return try VincentExperiment.strategies.map { kind in
      var settings = kind.defaultSettings
      settings.communicationPeriod = communicationPeriod
      switch kind {
      case .easgd:
        settings.pullStrength = easgdPull
        settings.proximityStrength = 0
      case .lsgd:
        settings.pullStrength = lsgdPull
        settings.proximityStrength = lsgdProximity
      default:
        settings.pullStrength = grawaPull
        settings.proximityStrength = grawaProximity
      }
      let strategy = try kind.make(settings)
      func open<S: DistributedStrategy>(_ strategy: S) throws -> ToySimulation.Result {
        try simulation.run(strategy, from: starts)
      }
      let result = try open(strategy)
      return Outcome(
        strategy: kind, result: result, value: function.value(result.center),
        valleys: result.center.map(VincentFunction.valley(of:)),
        workerValleys: result.trajectories.map { ($0.last ?? []).map(VincentFunction.valley(of:)) },
        curvature: function.curvature(result.center))
    }
  }
}
