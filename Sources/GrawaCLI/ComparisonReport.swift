import Foundation
import GrawaDistributed
import GrawaExperiments
import GrawaPlot

/// One finished run of a comparison: its summary, flatness report and test-error curve.
struct ComparisonEntry {
  var strategy: StrategyKind
  var seed: UInt64
  var directory: URL
  var summary: TrainingSummary
  var flatness: FlatnessReport?
  var curve: PlotCommand.Run

  /// Where a run directory stands.
  enum TrainingState: Equatable {
    /// Nothing trained there yet.
    case absent
    /// A checkpoint without a finished summary (stopped or interrupted): resume it.
    case resumable
    /// `summary.json` of a run that reached its budget.
    case finished
  }

  static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw CLIError.failure("\(url.path): cannot read (\(error.localizedDescription))")
    }
    do {
      return try RunJSON.decoder().decode(type, from: data)
    } catch {
      throw CLIError.failure("\(url.path): not a valid \(url.lastPathComponent) (\(error))")
    }
  }

  /// The state of `directory`, after checking that a run there was made with `expected`'s
  /// settings (threads and checkpoint cadence aside).
  /// - Throws: ``CLIError/failure(_:)`` naming `config.json` and the settings that differ.
  static func trainingState(of directory: URL, expected: TrainingConfiguration) throws -> TrainingState {
    let manager = FileManager.default
    let configURL = directory.appendingPathComponent("config.json")
    let summaryURL = directory.appendingPathComponent("summary.json")
    let checkpointURL = directory.appendingPathComponent(TrainCommand.checkpointName)
    guard manager.fileExists(atPath: configURL.path) else { return .absent }
    let found = try decode(TrainingConfiguration.self, from: configURL)
    let differences = settingsDifferences(found, expected)
    guard differences.isEmpty else {
      throw CLIError.failure(
        "\(configURL.path): this run was made with other settings (\(differences.joined(separator: ", "))); "
          + "choose another --output or remove \(directory.path)")
    }
    if manager.fileExists(atPath: summaryURL.path) {
      let summary = try decode(TrainingSummary.self, from: summaryURL)
      if summary.stopReason != StopReason.interrupted.rawValue { return .finished }
    }
    return manager.fileExists(atPath: checkpointURL.path) ? .resumable : .absent
  }

  /// The names of the configuration fields in which `found` and `expected` differ, ignoring the
  /// thread count and checkpoint cadence (they do not change what is trained).
  static func settingsDifferences(_ found: TrainingConfiguration, _ expected: TrainingConfiguration) -> [String] {
    var found = found
    var expected = expected
    found.threads = 0
    expected.threads = 0
    found.checkpointMinutes = nil
    expected.checkpointMinutes = nil
    guard found != expected else { return [] }
    let encoder = RunJSON.encoder(pretty: false)
    guard let left = try? encoder.encode(found), let right = try? encoder.encode(expected),
      let a = try? JSONSerialization.jsonObject(with: left) as? [String: Any],
      let b = try? JSONSerialization.jsonObject(with: right) as? [String: Any]
    else { return ["configuration"] }
    let keys = Set(a.keys).union(b.keys).sorted()
    // Nested objects are rendered as JSON with sorted keys so that equal settings read equal.
    func text(_ value: Any?) -> String {
      guard let value else { return "none" }
      if JSONSerialization.isValidJSONObject(value),
        let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]),
        let string = String(data: data, encoding: .utf8)
      {
        return string
      }
      return "\(value)"
    }
    return keys.filter { text(a[$0]) != text(b[$0]) }.map { "\($0): \(text(a[$0])) there, \(text(b[$0])) asked" }
  }

  /// The flatness report in `directory` if there is one made with `settings`.
  static func flatness(in directory: URL, matching settings: FlatnessSettings) throws -> FlatnessReport? {
    let url = directory.appendingPathComponent("flatness.json")
    guard FileManager.default.fileExists(atPath: url.path) else { return nil }
    let report = try decode(FlatnessReport.self, from: url)
    return report.settings == settings ? report : nil
  }

  /// Reads a finished run; `flatness` is the analysis settings whose report to read (`nil`: none).
  static func load(
    strategy: StrategyKind, seed: UInt64, directory: URL, flatness settings: FlatnessSettings?
  ) throws -> ComparisonEntry {
    let summary = try decode(TrainingSummary.self, from: directory.appendingPathComponent("summary.json"))
    let report = try settings.flatMap { try flatness(in: directory, matching: $0) }
    let curve = try PlotCommand.readRun(directory.path)
    return ComparisonEntry(
      strategy: strategy, seed: seed, directory: directory, summary: summary, flatness: report, curve: curve)
  }

  /// Share of a worker's working time spent in distributed updates.
  var distributedFraction: Double {
    TrainCommand.fraction(summary.distributedSeconds, of: summary.localSeconds + summary.distributedSeconds)
  }
}

/// The comparison's table (markdown and CSV) and chart, made from the runs finished so far.
struct ComparisonReport {
  var entries: [ComparisonEntry]
  /// The first run's configuration (model, data, budget; strategy and seed vary).
  var configuration: TrainingConfiguration
  var seeds: [UInt64]
  /// The analysis settings, or `nil` when it was skipped.
  var flatness: FlatnessSettings?
  var plannedRuns: Int

  /// The strategies of the runs so far, in the fixed order of every chart and table
  /// (``StrategyKind/chartOrder``), whatever order they were run in.
  var strategies: [StrategyKind] {
    var list: [StrategyKind] = []
    for entry in entries where !list.contains(entry.strategy) { list.append(entry.strategy) }
    return list.sorted { $0.chartOrder < $1.chartOrder }
  }

  /// Writes `comparison.md`, `comparison.csv` and `comparison.svg` into `root` (each atomically).
  func write(to root: URL) throws {
    let files: [(String, Data)] = [
      ("comparison.md", Data(markdown().utf8)), ("comparison.csv", Data(csv().utf8)),
      ("comparison.svg", Data(chart().render().utf8)),
    ]
    for (name, data) in files {
      let url = root.appendingPathComponent(name)
      do {
        try data.write(to: url, options: .atomic)
      } catch {
        throw CLIError.failure("\(url.path): cannot write (\(error.localizedDescription))")
      }
    }
  }

  static func percent(_ value: Double?) -> String {
    guard let value, value.isFinite else { return "-" }
    return String(format: "%.2f%%", 100 * value)
  }

  static func number(_ value: Double?) -> String {
    guard let value, value.isFinite else { return "-" }
    return String(format: "%.4g", value)
  }

  /// Mean and sample standard deviation, as "m" or "m ± s".
  static func meanAndDeviation(_ values: [Double], format: (Double) -> String) -> String {
    let finite = values.filter(\.isFinite)
    guard !finite.isEmpty else { return "-" }
    let mean = finite.reduce(0, +) / Double(finite.count)
    guard finite.count > 1 else { return format(mean) }
    let variance = finite.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(finite.count - 1)
    return "\(format(mean)) ± \(format(variance.squareRoot()))"
  }

  /// The setting shared by all runs, one line.
  var settingsLine: String {
    var budget: [String] = []
    if let minutes = configuration.minutes { budget.append("\(minutes.argumentText) min of training") }
    if let epochs = configuration.epochs { budget.append("\(epochs.argumentText) epochs") }
    if let steps = configuration.steps { budget.append("\(steps) steps") }
    return "\(configuration.model.rawValue) on \(configuration.dataset.rawValue), \(configuration.workers) workers "
      + "(\(configuration.syncMode.rawValue)), batch \(configuration.batchSize) per worker, lr "
      + "\(configuration.optimizer.learningRate), schedule \(configuration.schedule.description); budget per run: "
      + budget.joined(separator: " or ") + "; seeds \(seeds.map(String.init).joined(separator: ", "))"
  }

  var flatnessLine: String {
    guard let flatness else { return "Flatness analysis skipped (--no-analysis)." }
    return "Hessian of the training loss at the final center: top-\(flatness.iterations) Ritz values by Lanczos on "
      + "\(flatness.samples) training samples (finite-difference Hessian-vector products, step "
      + "\(flatness.step)); Frobenius = sqrt(sum of squared Ritz values), the paper's sharpness measure; trace by "
      + "Hutchinson over \(flatness.traceProbes) probes."
  }

  /// The per-strategy table (mean ± sample standard deviation over seeds).
  func strategyTable() -> String {
    var lines = [
      "| strategy | runs | center test error | Hessian Frobenius | lambda_max | syncs | distributed fraction | images/s |",
      "|---|---|---|---|---|---|---|---|",
    ]
    for strategy in strategies {
      let runs = entries.filter { $0.strategy == strategy }
      let cells = [
        strategy.rawValue, String(runs.count),
        Self.meanAndDeviation(runs.map(\.summary.finalTest.error)) { String(format: "%.2f%%", 100 * $0) },
        Self.meanAndDeviation(runs.map { $0.flatness?.frobeniusEstimate ?? .nan }) { String(format: "%.4g", $0) },
        Self.meanAndDeviation(runs.map { $0.flatness?.lambdaMax ?? .nan }) { String(format: "%.4g", $0) },
        Self.meanAndDeviation(runs.map { Double($0.summary.syncs) }) { String(format: "%.0f", $0) },
        Self.meanAndDeviation(runs.map(\.distributedFraction)) { String(format: "%.1f%%", 100 * $0) },
        Self.meanAndDeviation(runs.map(\.summary.imagesPerSecond)) { String(format: "%.0f", $0) },
      ]
      lines.append("| " + cells.joined(separator: " | ") + " |")
    }
    return lines.joined(separator: "\n")
  }

  /// The per-run table.
  func runTable() -> String {
    var lines = [
      "| strategy | seed | center test error | weighted center | Hessian Frobenius | lambda_max | trace | gradient norm "
        + "| train error (subset) | syncs | steps/worker | epochs | distributed s/worker | distributed fraction "
        + "| images/s |",
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for entry in entries {
      let summary = entry.summary
      let cells = [
        entry.strategy.rawValue, String(entry.seed), Self.percent(summary.finalTest.error),
        Self.percent(summary.finalWeightedTest?.error), Self.number(entry.flatness?.frobeniusEstimate),
        Self.number(entry.flatness?.lambdaMax), Self.number(entry.flatness?.traceEstimate),
        Self.number(entry.flatness?.gradientNorm), Self.percent(entry.flatness?.trainError), String(summary.syncs),
        String(summary.steps), String(format: "%.2f", summary.epochs), String(format: "%.1f", summary.distributedSeconds),
        String(format: "%.1f%%", 100 * entry.distributedFraction), String(format: "%.0f", summary.imagesPerSecond),
      ]
      lines.append("| " + cells.joined(separator: " | ") + " |")
    }
    return lines.joined(separator: "\n")
  }

  /// The whole markdown report.
  func markdown() -> String {
    var text = "# Strategy comparison\n\n"
    text += settingsLine + ".\n\n"
    text += "Runs made in this order: each seed's strategies in turn, the direction reversed from one seed to the "
    text += "next. \(entries.count) of \(plannedRuns) runs finished.\n\n"
    text += flatnessLine + "\n\n"
    text += "## Per strategy (mean ± sample standard deviation over seeds)\n\n" + strategyTable() + "\n\n"
    text += "## Per run\n\n" + runTable() + "\n\n"
    text += "Center test error: the run's final evaluation of its center (EASGD's master, otherwise the average of "
    text += "the workers). Weighted center: the GRAWA family's gradient-weighted center. Distributed: mean seconds per "
    text += "worker in probe, center and pull; the fraction is of local plus distributed time (waiting apart).\n"
    return text
  }

  /// The per-run table as CSV.
  func csv() -> String {
    var lines = [
      "strategy,seed,test_error,weighted_test_error,hessian_frobenius,lambda_max,trace,gradient_norm,train_error,"
        + "generalization_gap,syncs,steps,epochs,training_seconds,distributed_seconds,distributed_fraction,"
        + "wait_seconds,images_per_second,directory"
    ]
    func field(_ value: Double?) -> String { value.map { $0.isFinite ? "\($0)" : "" } ?? "" }
    for entry in entries {
      let summary = entry.summary
      let fields = [
        entry.strategy.rawValue, String(entry.seed), field(summary.finalTest.error),
        field(summary.finalWeightedTest?.error), field(entry.flatness?.frobeniusEstimate),
        field(entry.flatness?.lambdaMax), field(entry.flatness?.traceEstimate), field(entry.flatness?.gradientNorm),
        field(entry.flatness?.trainError), field(entry.flatness?.generalizationGap), String(summary.syncs),
        String(summary.steps), field(summary.epochs), field(summary.trainingSeconds), field(summary.distributedSeconds),
        field(entry.distributedFraction), field(summary.waitSeconds), field(summary.imagesPerSecond),
        entry.directory.lastPathComponent,
      ]
      lines.append(fields.joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Dash patterns telling seeds apart (the colour tells the strategy).
  static let seedDashes: [String?] = [nil, "7 4", "2 3", "10 3 2 3"]

  /// Two charts side by side, with one legend under both: every run's center test error against
  /// training time (colour: strategy, as in every chart; dash: seed), and final test error
  /// against the Hessian Frobenius estimate (one dot per run; against epochs reached when there
  /// is no analysis). Strategies in their fixed order, whatever order the runs were made in.
  func chart() -> SVGDocument {
    let width = 1280.0
    let chartHeight = 560.0
    let top = 40.0
    let order = strategies
    let runs = entries.sorted { a, b in
      a.strategy != b.strategy
        ? a.strategy.chartOrder < b.strategy.chartOrder
        : (seeds.firstIndex(of: a.seed) ?? 0) < (seeds.firstIndex(of: b.seed) ?? 0)
    }
    func dash(_ seed: UInt64) -> String? { Self.seedDashes[(seeds.firstIndex(of: seed) ?? 0) % Self.seedDashes.count] }
    let curves = runs.map { entry in
      LineChart.Series(
        name: "\(entry.strategy.rawValue) seed \(entry.seed)",
        points: zip(entry.curve.trainingSeconds, entry.curve.testError).map { (x: $0, y: $1) },
        color: entry.strategy.chartColor, dash: dash(entry.seed), marker: .circle)
    }
    let analysed = entries.contains { $0.flatness != nil }
    let dots = order.map { strategy in
      let runs = runs.filter { $0.strategy == strategy }
      return ScatterChart.Series(
        name: strategy.rawValue,
        points: runs.map { entry in
          (x: analysed ? entry.flatness?.frobeniusEstimate ?? .nan : entry.summary.epochs,
           y: 100 * entry.summary.finalTest.error)
        },
        pointLabels: runs.map { "s\($0.seed)" }, color: strategy.chartColor)
    }
    // One legend: a strategy's colour, then a seed's dash pattern (in grey).
    let seedsShown = seeds.filter { seed in entries.contains { $0.seed == seed } }
    let legend = Legend(
      order.map { Legend.Entry(name: $0.rawValue, color: $0.chartColor, marker: .circle) }
        + seedsShown.map { Legend.Entry(name: "seed \($0)", color: "#555555", dash: dash($0)) })
    let legendWidth = width - 2 * 64
    let height = top + chartHeight + legend.height(width: legendWidth) + 24
    var svg = SVGDocument(width: width, height: height)
    svg.text(
      "Strategy comparison: \(configuration.model.displayName) on \(configuration.dataset.displayName), "
        + "\(counted(configuration.workers, "worker"))", x: width / 2, y: 26, size: 17, anchor: "middle", weight: "bold")
    LineChart(
      title: "Center test error", xLabel: "training seconds", yLabel: "test error (%)", series: curves,
      showsLegend: false
    ).draw(into: &svg, x: 0, y: top, width: width / 2, height: chartHeight)
    ScatterChart(
      title: analysed ? "Final test error against sharpness" : "Final test error against epochs reached",
      xLabel: analysed ? "Hessian Frobenius estimate (top-k Ritz values)" : "epochs per worker",
      yLabel: "final center test error (%)", series: dots, showsLegend: false
    ).draw(into: &svg, x: width / 2, y: top, width: width / 2, height: chartHeight)
    legend.draw(into: &svg, x: 64, top: top + chartHeight + 14, width: legendWidth)
    return svg
  }
}
