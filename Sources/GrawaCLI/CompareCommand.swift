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

  static var options: [any OptionDeclaration] { CompareOptions.all }

  static let usage =
    "grawa-train compare [--strategies LIST] [--seeds LIST] --minutes M [train options] [--output DIR]"

  static let footer = """
    EXAMPLE (the paper's comparison at this machine's scale, about 100 minutes on 2 cores):
      grawa-train compare --workers 4 --model resnet20 --dataset fashion-mnist --minutes 8 \\
        --schedule step-seconds:0.1@267 --seeds 0,1 --samples 500 --iterations 20 --output runs/cmp
    Every option of 'grawa-train train' except --strategy, --seed, --output and --resume applies
    to all runs, except that a strategy-specific one (--comm-period, --pull, --proximity,
    --norm-momentum, --local-norm-momentum, --sam-rho) goes only to the strategies that use it
    and is refused if none of them does; the strategies' own defaults stay unless given.
    Order: all strategies for the first seed, then in reverse order for the next seed, and so on.
    Each run is trained into OUTPUT/<strategy>-seed<k>, then its final center is analysed as by
    'grawa-train analyze' (flatness.json). After every run,
    OUTPUT/comparison.md, comparison.csv and comparison.svg are rewritten from the runs so far.
    Running the command again reuses finished runs whose config.json matches, resumes stopped
    ones, and refuses a directory trained with other settings.
    """

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

  /// Refuses a strategy-specific option that none of `strategies` uses (`--sam-rho` without
  /// `dp-sam`), as `train` refuses it for its one strategy.
  /// - Throws: ``CLIError/usage(_:)`` naming the option, the compared strategies and the ones it
  ///   applies to.
  static func refuseOptionsUnused(by strategies: [StrategyKind], _ parsed: ParsedArguments) throws {
    guard let unused = parsed.given.first(where: { option in !strategies.contains { option.applies(to: $0) } })
    else { return }
    let compared = strategies.map(\.rawValue).joined(separator: ", ")
    throw CLIError.usage(
      "'\(unused.flag)' does nothing for any compared strategy (\(compared)): it applies only to "
        + (unused.strategies ?? []).map(\.rawValue).joined(separator: ", "))
  }

  /// The `train` arguments of one run: the `train` options given to `compare` that apply to
  /// `strategy` (a strategy-specific one only to the strategies that use it), then the strategy
  /// and the seed.
  static func trainArguments(_ parsed: ParsedArguments, strategy: StrategyKind, seed: UInt64) -> [String] {
    parsed.arguments(for: CompareOptions.trainOptions.filter { $0.applies(to: strategy) })
      + [TrainOptions.strategy.flag, strategy.rawValue, TrainOptions.seed.flag, String(seed)]
  }

  static func run(_ arguments: [String]) throws {
    let parsed = try parse(arguments)
    guard parsed.positional.isEmpty else {
      throw CLIError.usage("unexpected argument '\(parsed.positional[0])'")
    }
    let strategies = try parsed[CompareOptions.strategies]
    let seeds = try parsed[CompareOptions.seeds]
    let root = URL(fileURLWithPath: try parsed[CompareOptions.output])
    let quiet = try parsed[CompareOptions.quiet]
    let analyse = try !parsed[CompareOptions.noAnalysis]
    var settings = FlatnessSettings()
    settings.samples = try parsed[CompareOptions.samples]
    settings.iterations = try parsed[CompareOptions.iterations]
    settings.traceProbes = try parsed[CompareOptions.traceProbes]
    settings.step = try parsed[CompareOptions.hessianStep]
    settings.seed = try parsed[CompareOptions.analysisSeed]
    let threads = try parsed[TrainOptions.threads]

    // Every run's arguments and configuration, validated before anything starts.
    try refuseOptionsUnused(by: strategies, parsed)
    let budget = parsed.arguments(for: CompareOptions.resumableTrainOptions)
    let quietFlag = quiet ? [TrainOptions.quiet.flag] : []
    let order = plan(strategies: strategies, seeds: seeds)
    var planned: [(strategy: StrategyKind, seed: UInt64, arguments: [String], configuration: TrainingConfiguration)] = []
    for (strategy, seed) in order {
      let runArguments = trainArguments(parsed, strategy: strategy, seed: seed)
      let configuration = try TrainCommand.configuration(from: try TrainCommand.parse(runArguments))
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
        try TrainCommand.run([TrainOptions.resume.flag, directory.path] + budget + quietFlag)
      case .absent:
        say("\(label): training into \(directory.path)")
        try TrainCommand.run(run.arguments + [TrainOptions.output.flag, directory.path] + quietFlag)
      }
      if analyse {
        if try ComparisonEntry.flatness(in: directory, matching: settings) != nil {
          if !quiet { say("\(label): analysed already (\(directory.path)/flatness.json)") }
        } else {
          say("\(label): analysing the final center")
          try AnalyzeCommand.analyze(directory, settings: settings, threads: threads, quiet: quiet)
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
}
