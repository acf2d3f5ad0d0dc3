import GrawaExperiments

/// The options of `grawa-train analyze`, each declared once; the defaults are
/// ``FlatnessSettings``'s. `compare` reuses them for the analysis of its runs.
enum AnalyzeOptions {
  /// The library's defaults, which the options' defaults are taken from.
  private static let defaults = FlatnessSettings()

  static let samples = Option<Int>(
    "samples", "N", default: defaults.samples, in: .from(1, to: 10_000_000),
    help: "Training samples the loss and Hessian are measured on.")
  static let iterations = Option<Int>(
    "iterations", "K", default: defaults.iterations, in: .from(1, to: 100_000),
    help: "Lanczos iterations (top-K Ritz values).")
  static let traceProbes = Option<Int>(
    "trace-probes", "M", default: defaults.traceProbes, in: .from(0, to: 100_000),
    help: "Rademacher probes of Hutchinson's trace estimate (0: skip).")
  static let step = Option<Double>(
    "step", "H", default: defaults.step, in: .from(1e-9, to: 10),
    help: "L2 length of the finite-difference step of Hessian-vector products.")
  static let seed = Option<UInt64>(
    "seed", "N", default: defaults.seed,
    help: "Seed of the subset, the Lanczos start and the probes.")
  static let threads = Option<Int>(
    "threads", "N", default: 0, in: .from(0, to: 256), help: "Compute threads (0: all cores).",
    shownAs: "0, all cores")
  static let quiet = Flag("quiet", help: "Print only the result.")

  /// Every option, in the order help lists them.
  static let all: [any OptionDeclaration] = [
    samples, iterations, traceProbes, step, seed, threads, quiet,
  ]
}
