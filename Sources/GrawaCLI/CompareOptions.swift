import GrawaExperiments

/// The options of `grawa-train compare`: its own, the analysis options of `analyze` it passes on
/// (the same declarations, two of them under a name that says they belong to the analysis), and
/// every option of `train` except those it sets itself for each run.
enum CompareOptions {
  static let strategies = Option<[StrategyKind]>(
    "strategies", "LIST", default: [.dataParallelSGD, .easgd, .lsgd, .mgrawa, .lgrawa],
    unique: true,
    help: "Comma-separated strategies to compare.")
  static let seeds = Option<[UInt64]>(
    "seeds", "LIST", default: [0, 1], unique: true,
    help: "Comma-separated seeds; each strategy runs once per seed.")
  static let output = Option<String>(
    "output", "DIR", default: "runs/compare",
    help: "Root directory: one run directory per strategy and seed, plus the comparison files.")
  static let samples = AnalyzeOptions.samples
  static let iterations = AnalyzeOptions.iterations
  static let traceProbes = AnalyzeOptions.traceProbes
  static let hessianStep = AnalyzeOptions.step.renamed(
    "hvp-step",
    help: "L2 length of the finite-difference step of the analysis' Hessian-vector products.")
  static let analysisSeed = AnalyzeOptions.seed.renamed(
    "analysis-seed", help: "Seed of the analysis subset, Lanczos start and probes.")
  static let noAnalysis = Flag(
    "no-analysis",
    help: "Skip the flatness analysis (the table then has no Hessian columns filled).")
  static let quiet = Flag("quiet", help: "Print only one line per run and the final table.")

  /// `train`'s options that `compare` sets itself for each run.
  static let ownedTrainOptions: [any OptionDeclaration] = [
    TrainOptions.strategy, TrainOptions.seed, TrainOptions.output, TrainOptions.resume,
    TrainOptions.quiet,
  ]

  /// `train`'s options that `compare` passes through to every run.
  static let trainOptions: [any OptionDeclaration] = TrainOptions.all.filter { option in
    !ownedTrainOptions.contains { $0 === option }
  }

  /// Of those, the ones a stopped run takes again when it is resumed (the budget, cadences,
  /// threads), as ``ResumePolicy/allowed`` says.
  static let resumableTrainOptions = trainOptions.filter { $0.resume == .allowed }

  /// Every option, in the order help lists them.
  static let all: [any OptionDeclaration] =
    [
      strategies, seeds, output, samples, iterations, traceProbes, hessianStep, analysisSeed,
      noAnalysis, quiet,
    ]
    + trainOptions
}
