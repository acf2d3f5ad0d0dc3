import Foundation
import GrawaDistributed
import GrawaExperiments
import GrawaPlot

/// `grawa-train plot`: line charts of one or several runs' `metrics.csv` (test error and train
/// loss against training time and against epochs), one line per run, in one SVG file.
enum PlotCommand: Command {
  static let name = "plot"
  static let abstract = "Draw test error and train loss of one or more runs (SVG)."

  static var options: [any OptionDeclaration] { PlotOptions.all }

  static let usage = "grawa-train plot RUN_DIR... [--output chart.svg]"

  static let footer = """
    Each RUN_DIR is an output directory of 'grawa-train train' (its metrics.csv and config.json
    are read). A run is labelled with its strategy (and seed, or directory, where that is
    ambiguous) and has its strategy's colour in every chart; strategies appear in a fixed order.
    Four charts: center test error against training seconds and against epochs (with the GRAWA
    family's weighted center dashed); training loss against training seconds and against epochs.
    One legend under all four. The default title names the dataset, model and worker count.
    """

  static func run(_ arguments: [String]) throws {
    let parsed = try parse(arguments)
    guard !parsed.positional.isEmpty else {
      throw CLIError.usage("give at least one run directory")
    }
    let runs = labelled(try parsed.positional.map(readRun))
    let output = URL(fileURLWithPath: try parsed[PlotOptions.output])
    let svg = figure(runs, title: try parsed[PlotOptions.title] ?? defaultTitle(runs))
    do {
      try svg.write(to: output)
    } catch {
      throw CLIError.failure("\(output.path): cannot write (\(error.localizedDescription))")
    }
    say("wrote \(output.path) (\(counted(runs.count, "run")), 4 charts)")
  }

  /// Dash patterns of a strategy's second and later runs (the first is solid).
  static let repeatDashes: [String?] = [nil, "10 3 2 3", "1 3"]
  /// The weighted center's dash pattern (its line has its run's colour).
  static let weightedDash = "4 3"
  /// Colours of runs without a `config.json` (strategy unknown), apart from every strategy's.
  static let unknownColors = ["#444444", "#8C564B", "#BCBD22", "#17BECF"]

  /// The lines of one chart: per run its center's `y` against `x`, and, when `weighted` and the
  /// run has one, its weighted center's test error (same colour, dashed). Runs in
  /// ``labelled(_:)`` order; colour by strategy (``StrategyKind/chartColor``).
  static func series(
    _ runs: [Run], x: (Run) -> [Double], y: (Run) -> [Double], weighted: Bool = false
  ) -> [LineChart.Series] {
    var lines: [LineChart.Series] = []
    var seen: [String: Int] = [:]
    var unknown = 0
    for run in runs {
      var color = unknownColors[unknown % unknownColors.count]
      var repeats = 0
      if let strategy = run.configuration?.strategy {
        color = strategy.chartColor
        repeats = seen[strategy.rawValue, default: 0]
        seen[strategy.rawValue] = repeats + 1
      } else {
        unknown += 1
      }
      let xs = x(run)
      lines.append(
        LineChart.Series(
          name: run.label, points: Self.points(xs, y(run)), color: color,
          dash: repeatDashes[repeats % repeatDashes.count], marker: MarkerShape.forIndex(2 * repeats)))
      if weighted && run.hasWeightedCenter {
        lines.append(
          LineChart.Series(
            name: run.label + " weighted center", points: Self.points(xs, run.weightedTestError), color: color,
            dash: weightedDash, marker: MarkerShape.forIndex(2 * repeats + 1), width: 1.5))
      }
    }
    return lines
  }

  /// Pairs of `xs` and `ys`, as many as the shorter has.
  static func points(_ xs: [Double], _ ys: [Double]) -> [(x: Double, y: Double)] {
    (0..<min(xs.count, ys.count)).map { (x: xs[$0], y: ys[$0]) }
  }

  /// The four charts, two by two, and one legend under them for all four. `runs` are drawn in
  /// the given order (``labelled(_:)`` orders and labels them).
  static func figure(_ runs: [Run], title: String) -> SVGDocument {
    let width = 1200.0
    let chartHeight = 450.0
    let top = 44.0
    let weighted = runs.contains(where: \.hasWeightedCenter)
    let errorTitle = weighted ? "Test error of the center and weighted center" : "Center test error"
    // One legend for four charts: overlapping lines are told apart by offsets and hollow markers,
    // not by dash patterns that would differ from chart to chart.
    let charts = [
      LineChart(
        title: errorTitle, xLabel: "training seconds", yLabel: "test error (%)",
        series: series(runs, x: { $0.trainingSeconds }, y: { $0.testError }, weighted: true), showsLegend: false),
      LineChart(
        title: errorTitle, xLabel: "epoch (per worker)", yLabel: "test error (%)",
        series: series(runs, x: { $0.epochs }, y: { $0.testError }, weighted: true), showsLegend: false),
      LineChart(
        title: "Training loss", xLabel: "training seconds", yLabel: "train loss",
        series: series(runs, x: { $0.trainingSeconds }, y: { $0.trainLoss }), showsLegend: false),
      LineChart(
        title: "Training loss", xLabel: "epoch (per worker)", yLabel: "train loss",
        series: series(runs, x: { $0.epochs }, y: { $0.trainLoss }), showsLegend: false),
    ].map { chart in
      var chart = chart
      chart.dashesOverlaps = false
      return chart
    }
    let legend = charts[0].legend
    let legendWidth = width - 2 * 64
    let height = top + 2 * chartHeight + legend.height(width: legendWidth) + 24
    var svg = SVGDocument(width: width, height: height)
    svg.text(title, x: width / 2, y: 28, size: 17, anchor: "middle", weight: "bold")
    for (index, chart) in charts.enumerated() {
      chart.draw(
        into: &svg, x: Double(index % 2) * width / 2, y: top + Double(index / 2) * chartHeight, width: width / 2,
        height: chartHeight)
    }
    legend.draw(into: &svg, x: 64, top: top + 2 * chartHeight + 14, width: legendWidth)
    return svg
  }
}
