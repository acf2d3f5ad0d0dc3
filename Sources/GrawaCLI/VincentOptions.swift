import GrawaExperiments

/// The options of `grawa-train vincent`, each declared once; the defaults are
/// ``VincentExperiment``'s (the paper's setting).
enum VincentOptions {
  /// The library's defaults, which the options' defaults are taken from.
  private static let defaults = VincentExperiment()

  static let learningRate = Option<Double>(
    "lr", "RATE", default: defaults.learningRate, in: .from(1e-9, to: 100),
    help: "Local SGD learning rate.")
  static let steps = Option<Int>(
    "steps", "N", default: defaults.steps, in: .from(1, to: 10_000_000),
    help: "Local steps per worker.")
  static let communicationPeriod = Option<Int>(
    "comm-period", "TAU", default: defaults.communicationPeriod, in: .from(1, to: 1_000_000),
    help: "Local steps between syncs.")
  static let easgdPull = Option<Double>(
    "easgd-pull", "BETA", default: defaults.easgdPull, in: .from(0, to: 1),
    help: "EASGD's moving rate beta (workers move beta/4).")
  static let lsgdPull = Option<Double>(
    "lsgd-pull", "C2", default: defaults.lsgdPull, in: .from(0, to: 1),
    help: "Pull of LSGD toward its leader at a sync.")
  static let grawaPull = Option<Double>(
    "grawa-pull", "C2", default: defaults.grawaPull, in: .from(0, to: 1),
    help: "Pull of GRAWA, MGRAWA and LGRAWA.")
  // Both proximities are at most the communication period as well, checked with it.
  static let lsgdProximity = Option<Double>(
    "lsgd-proximity", "P2", default: defaults.lsgdProximity, in: .atLeast(0),
    help: "Proximity pull of LSGD between syncs (at most --comm-period).")
  static let grawaProximity = Option<Double>(
    "grawa-proximity", "P2", default: defaults.grawaProximity, in: .atLeast(0),
    help: "Proximity pull of the GRAWA family between syncs (at most --comm-period).")
  static let noise = Option<Double>(
    "noise", "SIGMA", default: defaults.gradientNoise, in: .from(0, to: 1e6),
    help: "Std. deviation of Gaussian noise added to every local gradient.")
  static let seed = Option<UInt64>("seed", "N", default: defaults.seed, help: "Seed of the noise.")
  static let seeds = Option<Int?>(
    "seeds", "K", in: .from(1, to: 100_000),
    help: "Also sweep seeds 0..K-1 and count the valleys each strategy ends in.")
  static let dimension = Option<Int>(
    "dimension", "N", default: defaults.dimension, in: .from(1, to: 1000),
    help: "Number of coordinates (the picture shows the first two).")
  static let inset = Option<Double>(
    "inset", "D", default: defaults.cornerInset, in: .from(0, to: 4.8),
    help: "Start this far inside the corners of [0.25, 10]^2.")
  static let preSyncTarget = Option<ToySimulation.PreSyncTarget>(
    "pre-sync-target", "TARGET", default: defaults.preSyncTarget,
    help: "Proximity target before the first sync (none: no pull until a sync forms one).")
  static let output = Option<String>(
    "output", "FILE", default: "vincent.svg", help: "Write the trajectories' picture here (SVG).")

  /// Every option, in the order help lists them.
  static let all: [any OptionDeclaration] = [
    learningRate, steps, communicationPeriod, easgdPull, lsgdPull, grawaPull, lsgdProximity, grawaProximity,
    noise, seed, seeds, dimension, inset, preSyncTarget, output,
  ]
}
