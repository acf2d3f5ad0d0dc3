import Foundation
import GrawaDistributed
import GrawaExperiments

/// `grawa-train compare`: trains every strategy of a list once per seed with one model, dataset
/// and budget, analyses each final center's flatness, and writes one table (markdown and CSV) and
/// one chart: the shape of the paper's tables 1, 2 and 7 at this machine's scale.
///
/// Runs are interleaved (all strategies for the first seed, then all in reverse order for the
/// next, and so on), so a slow drift of the machine's speed does not fall on one strategy. Each
/// run is an ordinary `grawa-train train` output directory, `OUTPUT/<strategy>-seed<k>`; a finished
/// run with the same settings is reused, an interrupted one is resumed, so the command can be run
/// again after a stop and picks up where it was.
enum CompareCommand: Command {
  static let name = "compare"
  static let abstract = "Train several strategies x seeds with one budget, analyse each, write a table and a chart."

  /// Flags of `train` that `compare` sets itself for each run.
  static let ownedTrainFlags: Set<String> = ["strategy", "seed", "output", "resume", "quiet"]
  /// Flags of `train` a resumed run takes over.
  static let budgetFlags = ["epochs", "steps", "minutes", "eval-every", "checkpoint-every", "threads"]

  static let ownSpecs: [OptionSpec] = [
    .option("strategies", "LIST", help: "Comma-separated strategies to compare.", default: defaultStrategies.map(\.rawValue).joined(separator: ",")),
    .option("seeds", "LIST", help: "Comma-separated seeds; each strategy runs once per seed.", default: "0,1"),
    .option("output", "DIR", help: "Root directory: one run directory per strategy and seed, plus the comparison files.", default: "runs/compare"),
    .option("samples", "N", help: "Training samples of the flatness analysis (as 'analyze --samples').", default: "1000"),
    .option("iterations", "K", help: "Lanczos iterations of the flatness analysis (top-K Ritz values).", default: "100"),
    .option("trace-probes", "M", help: "Rademacher probes of the trace estimate (0: skip).", default: "10"),
    .option("hvp-step", "H", help: "L2 length of the finite-difference step of Hessian-vector products.", default: "1e-3"),
    .option("analysis-seed", "N", help: "Seed of the analysis subset, Lanczos start and probes.", default: "0"),
    .flag("no-analysis", help: "Skip the flatness analysis (the table then has no Hessian columns filled)."),
    .flag("quiet", help: "Print only one line per run and the final table."),
  ]

  static let defaultStrategies: [StrategyKind] = [.dataParallelSGD, .easgd, .lsgd, .mgrawa, .lgrawa]

  /// `train`'s flags that `compare` passes through to every run.
  static var trainSpecs: [OptionSpec] { TrainCommand.specs.filter { !ownedTrainFlags.contains($0.name) } }

  static var specs: [OptionSpec] { ownSpecs + trainSpecs }

  static var help: String {
    helpText(
      usage: "grawa-train compare [--strategies LIST] [--seeds LIST] --minutes M [train options] [--output DIR]",
      abstract: abstract, specs: specs,
      footer: """
        EXAMPLE (the paper's comparison at this machine's scale, about 100 minutes on 2 cores):
          grawa-train compare --workers 4 --model resnet20 --dataset fashion-mnist --minutes 8 \\
            --schedule step-seconds:0.1@267 --seeds 0,1 --samples 500 --iterations 20 --output runs/cmp
        Every option of 'grawa-train train' except --strategy, --seed, --output and --resume applies
        to all runs (the strategies' own defaults for --comm-period, --pull and --proximity stay
        per strategy unless given). Order: all strategies for the first seed, then in reverse order
        for the next seed, and so on. Each run is trained into OUTPUT/<strategy>-seed<k>, then its
        final center is analysed as by 'grawa-train analyze' (flatness.json). After every run,
        OUTPUT/comparison.md, comparison.csv and comparison.svg are rewritten from the runs so far.
        Running the command again reuses finished runs whose config.json matches, resumes stopped
        ones, and refuses a directory trained with other settings.
        """)
  }

  /// The order runs are made in: seed-major, alternating the direction of the strategy list.
  static func plan(strategies: [StrategyKind], seeds: [UInt64]) -> [(strategy: StrategyKind, seed: UInt64)] {
    var order: [(strategy: StrategyKind, seed: UInt64)] = []
    for (index, seed) in seeds.enumerated() {
      let pass = index.isMultiple(of: 2) ? strategies : strategies.reversed()
      order += pass.map { ($0, seed) }
    }
    return order
  }

  /// The directory of one run under `root`.
  static func runDirectory(_ root: URL, strategy: StrategyKind, seed: UInt64) -> URL {
    root.appendingPathComponent("\(strategy.rawValue)-seed\(seed)")
  }

  static func run(_ arguments: [String]) throws {
    let parsed = try ParsedArguments(arguments, specs: specs)
    guard parsed.positional.isEmpty else {
      throw CLIError.usage("unexpected argument '\(parsed.positional[0])'")
    }
    let strategies = try strategyList(parsed.string("strategies"))
    let seeds = try seedList(parsed.string("seeds") ?? "0,1")
    let root = URL(fileURLWithPath: parsed.string("output") ?? "runs/compare")
    let quiet = parsed.flag("quiet")
    let analyse = !parsed.flag("no-analysis")
    var settings = FlatnessSettings()
    settings.samples = try parsed.int("samples", default: 1000, in: 1...10_000_000)
    settings.iterations = try parsed.int("iterations", default: 100, in: 1...100_000)
    settings.traceProbes = try parsed.int("trace-probes", default: 10, in: 0...100_000)
    settings.step = try parsed.double("hvp-step", default: 1e-3, in: 1e-9...10) ?? 1e-3
    settings.seed = try parsed.unsigned("analysis-seed", default: 0)

    // Every run's arguments and configuration, validated before anything starts.
    let passed = trainSpecs.flatMap { spec -> [String] in
      guard spec.valueName != nil, let value = parsed.string(spec.name) else { return [] }
      return ["--\(spec.name)", value]
    }
    let budget = budgetFlags.flatMap { flag in parsed.string(flag).map { ["--\(flag)", $0] } ?? [] }
    let order = plan(strategies: strategies, seeds: seeds)
    var planned: [(strategy: StrategyKind, seed: UInt64, arguments: [String], configuration: TrainingConfiguration)] = []
    for (strategy, seed) in order {
      let runArguments = passed + ["--strategy", strategy.rawValue, "--seed", String(seed)]
      let configuration = try TrainCommand.configuration(
        from: try ParsedArguments(runArguments, specs: TrainCommand.specs))
      planned.append((strategy, seed, runArguments, configuration))
    }
    do {
      try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    } catch {
      throw CLIError.failure("\(root.path): cannot create the output directory (\(error.localizedDescription))")
    }
    if !quiet {
      say(
        "comparing \(strategies.map(\.rawValue).joined(separator: ", ")) over seeds "
          + "\(seeds.map(String.init).joined(separator: ", ")): \(planned.count) runs into \(root.path)")
    }

    var entries: [ComparisonEntry] = []
    for (index, run) in planned.enumerated() {
      let label = "[\(index + 1)/\(planned.count)] \(run.strategy.rawValue) seed \(run.seed)"
      let directory = runDirectory(root, strategy: run.strategy, seed: run.seed)
      switch try ComparisonEntry.trainingState(of: directory, expected: run.configuration) {
      case .finished:
        if !quiet { say("\(label): trained already (\(directory.path)/summary.json)") }
      case .resumable:
        say("\(label): resuming the stopped run in \(directory.path)")
        try TrainCommand.run(["--resume", directory.path] + budget + (quiet ? ["--quiet"] : []))
      case .absent:
        say("\(label): training into \(directory.path)")
        try TrainCommand.run(run.arguments + ["--output", directory.path] + (quiet ? ["--quiet"] : []))
      }
      if analyse {
        if try ComparisonEntry.flatness(in: directory, matching: settings) != nil {
          if !quiet { say("\(label): analysed already (\(directory.path)/flatness.json)") }
        } else {
          say("\(label): analysing the final center")
          try AnalyzeCommand.run(
            [
              directory.path, "--samples", String(settings.samples), "--iterations", String(settings.iterations),
              "--trace-probes", String(settings.traceProbes), "--step", String(settings.step), "--seed",
              String(settings.seed),
            ] + (parsed.string("threads").map { ["--threads", $0] } ?? []) + (quiet ? ["--quiet"] : []))
        }
      }
      entries.append(
        try ComparisonEntry.load(
          strategy: run.strategy, seed: run.seed, directory: directory, flatness: analyse ? settings : nil))
      let report = ComparisonReport(
        entries: entries, configuration: planned[0].configuration, seeds: seeds, flatness: analyse ? settings : nil,
        plannedRuns: planned.count)
      try report.write(to: root)
    }
    let report = ComparisonReport(
      entries: entries, configuration: planned[0].configuration, seeds: seeds, flatness: analyse ? settings : nil,
      plannedRuns: planned.count)
    say("")
    say(report.strategyTable())
    say("wrote \(root.appendingPathComponent("comparison.md").path), comparison.csv and comparison.svg")
  }

  /// Parses `--strategies`.
  static func strategyList(_ raw: String?) throws -> [StrategyKind] {
    guard let raw else { return defaultStrategies }
    var list: [StrategyKind] = []
    for item in raw.split(separator: ",", omittingEmptySubsequences: false) {
      guard let strategy = StrategyKind(rawValue: String(item)) else {
        throw CLIError.usage(
          "invalid value '\(raw)' for '--strategies': '\(item)' is not one of \(TrainCommand.choices(StrategyKind.self))")
      }
      guard !list.contains(strategy) else {
        throw CLIError.usage("invalid value '\(raw)' for '--strategies': '\(item)' is listed twice")
      }
      list.append(strategy)
    }
    return list
  }

  /// Parses `--seeds`.
  static func seedList(_ raw: String) throws -> [UInt64] {
    var list: [UInt64] = []
    for item in raw.split(separator: ",", omittingEmptySubsequences: false) {
      guard let seed = UInt64(item) else {
        throw CLIError.usage("invalid value '\(raw)' for '--seeds': '\(item)' is not a non-negative integer")
      }
      guard !list.contains(seed) else {
        throw CLIError.usage("invalid value '\(raw)' for '--seeds': \(seed) is listed twice")
      }
      list.append(seed)
    }
    return list
  }
}
