import Foundation
import GrawaDistributed
import GrawaExperiments
import GrawaPlot

/// `grawa-train vincent`: the paper's toy experiment on the Vincent function (section 4.1,
/// appendix A): a table per strategy and a picture of every worker's trajectory.
enum VincentCommand: Command {
  static let name = "vincent"
  static let abstract = "The paper's toy experiment: which valley of the Vincent function each strategy finds."

  static var options: [any OptionDeclaration] { VincentOptions.all }

  static let usage = "grawa-train vincent [--lr RATE] [--steps N] [--noise SIGMA] [--seeds K] [--output FILE.svg]"

  static let footer = """
    f(x) = -(1/n) sum_i sin(10 ln x_i) on [0.25, 10]^n. Each coordinate's minimisers are
    x* = exp((pi/2 + 2 pi k)/10) for valleys k = -2..3 (0.33, 0.62, 1.17, 2.19, 4.11, 7.71), all
    with f = -1, but the curvature there, 100 / (n x*^2), falls as k grows: larger k is flatter.
    Four workers start at the corners, run plain SGD and sync every tau steps through the
    library's EASGD, LSGD, GRAWA, MGRAWA and LGRAWA types (one coordinate = one layer).
    """

  static func experiment(from parsed: ParsedArguments) throws -> VincentExperiment {
    var experiment = VincentExperiment()
    experiment.learningRate = try parsed[VincentOptions.learningRate]
    experiment.steps = try parsed[VincentOptions.steps]
    experiment.communicationPeriod = try parsed[VincentOptions.communicationPeriod]
    experiment.easgdPull = try parsed[VincentOptions.easgdPull]
    experiment.lsgdPull = try parsed[VincentOptions.lsgdPull]
    experiment.grawaPull = try parsed[VincentOptions.grawaPull]
    experiment.lsgdProximity = try parsed[VincentOptions.lsgdProximity]
    experiment.grawaProximity = try parsed[VincentOptions.grawaProximity]
    for proximity in [VincentOptions.lsgdProximity, VincentOptions.grawaProximity] {
      guard try parsed[proximity] <= Double(experiment.communicationPeriod) else {
        throw parsed.invalidValue(
          proximity, "expected a number from 0 to the communication period (\(experiment.communicationPeriod))")
      }
    }
    experiment.gradientNoise = try parsed[VincentOptions.noise]
    experiment.seed = try parsed[VincentOptions.seed]
    experiment.dimension = try parsed[VincentOptions.dimension]
    experiment.cornerInset = try parsed[VincentOptions.inset]
    experiment.preSyncTarget = try parsed[VincentOptions.preSyncTarget]
    return experiment
  }

  static func run(_ arguments: [String]) throws {
    let parsed = try parse(arguments)
    guard parsed.positional.isEmpty else {
      throw CLIError.usage("unexpected argument '\(parsed.positional[0])'")
    }
    let experiment = try experiment(from: parsed)
    let sweep = try parsed[VincentOptions.seeds]
    let output = URL(fileURLWithPath: try parsed[VincentOptions.output])
    let outcomes: [VincentExperiment.Outcome]
    do {
      outcomes = try experiment.run()
    } catch let error as ConfigurationError {
      throw CLIError.usage(error.message)
    }
    say(
      String(
        format: "Vincent function, n = %d, lr %g, %d steps, sync every %d, noise %g, seed %llu",
        experiment.dimension, experiment.learningRate, experiment.steps, experiment.communicationPeriod,
        experiment.gradientNoise, experiment.seed) + ", pre-sync target " + experiment.preSyncTarget.rawValue)
    say(table(outcomes))
    do {
      try VincentFigure.render(outcomes, experiment: experiment).write(to: output)
    } catch {
      throw CLIError.failure("\(output.path): cannot write the picture (\(error.localizedDescription))")
    }
    say("trajectories: \(output.path)")
    if let sweep {
      say("")
      say(try sweepTable(experiment, seeds: sweep))
    }
  }

  /// One row per strategy: final center, f there, valley, curvature, the workers' valleys.
  static func table(_ outcomes: [VincentExperiment.Outcome]) -> String {
    var lines = [
      "| strategy | center | f(center) | valley k | x* | curvature (max) | syncs | workers' valleys |",
      "|---|---|---|---|---|---|---|---|",
    ]
    for outcome in outcomes {
      let center = outcome.result.center.map { String(format: "%.3f", $0) }.joined(separator: ", ")
      let valleys = outcome.valleys.map(String.init).joined(separator: ", ")
      let minimizers = outcome.valleys.map { String(format: "%.2f", VincentFunction.minimizer(valley: $0)) }
        .joined(separator: ", ")
      lines.append(
        "| \(outcome.strategy.rawValue) | (\(center)) | \(String(format: "%.4f", outcome.value)) | \(valleys) | "
          + "\(minimizers) | \(String(format: "%.3f", outcome.curvature.max() ?? .nan)) | \(outcome.result.syncs) | "
          + outcome.workerValleys.map { "(" + $0.map(String.init).joined(separator: ",") + ")" }.joined(separator: " ")
          + " |")
    }
    return lines.joined(separator: "\n")
  }

  /// Over seeds 0..<seeds: per strategy, how often the final center ends in each combination of
  /// valleys (one k per coordinate, e.g. "(3,3)"), the mean f there and the mean largest curvature.
  static func sweepTable(_ base: VincentExperiment, seeds: Int) throws -> String {
    var valleyCounts: [StrategyKind: [String: Int]] = [:]
    var curvatureSums: [StrategyKind: Double] = [:]
    var valueSums: [StrategyKind: Double] = [:]
    for seed in 0..<seeds {
      var experiment = base
      experiment.seed = UInt64(seed)
      for outcome in try experiment.run() {
        let key = "(" + outcome.valleys.map(String.init).joined(separator: ",") + ")"
        valleyCounts[outcome.strategy, default: [:]][key, default: 0] += 1
        curvatureSums[outcome.strategy, default: 0] += outcome.curvature.max() ?? .nan
        valueSums[outcome.strategy, default: 0] += outcome.value
      }
    }
    var lines = [
      "Seed sweep: \(seeds) seeds, noise \(base.gradientNoise)",
      "| strategy | valleys reached (count) | mean f(center) | mean max curvature |", "|---|---|---|---|",
    ]
    for kind in VincentExperiment.strategies {
      let counts = (valleyCounts[kind] ?? [:]).sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
        .map { "\($0.key) x\($0.value)" }.joined(separator: ", ")
      lines.append(
        "| \(kind.rawValue) | \(counts) | \(String(format: "%.4f", (valueSums[kind] ?? 0) / Double(seeds))) | "
          + "\(String(format: "%.3f", (curvatureSums[kind] ?? 0) / Double(seeds))) |")
    }
    return lines.joined(separator: "\n")
  }
}

/// The Vincent picture: one contour map of f per strategy, with every worker's trajectory.
enum VincentFigure {
  static func render(_ outcomes: [VincentExperiment.Outcome], experiment: VincentExperiment) -> SVGDocument {
    let panel = 340.0
    let columns = 3
    let rows = (outcomes.count + columns - 1) / columns
    var svg = SVGDocument(width: Double(columns) * (panel + 90) + 20, height: Double(rows) * (panel + 90) + 60)
    svg.text(
      "Vincent function: trajectories of 4 workers (lr \(experiment.learningRate), sync every "
        + "\(experiment.communicationPeriod) steps, noise \(experiment.gradientNoise))",
      x: 20, y: 26, size: 15, weight: "bold")
    let function = VincentFunction(dimension: experiment.dimension)
    let domain = VincentFunction.domain
    let samples = 140
    let grid = (0..<samples).map { domain.lowerBound + (domain.upperBound - domain.lowerBound) * Double($0) / Double(samples - 1) }
    // f restricted to the first two coordinates (the others at their start value).
    let rest = Array(experiment.starts[0].dropFirst(2))
    let values = grid.map { y in grid.map { x in function.value([x, y] + rest) } }
    // The contour map is the same in every panel: drawn once for the first, copied to the others.
    let contourAxes = Axes(x: 70, y: 70, width: panel, height: panel, xDomain: domain, yDomain: domain)
    svg.define(id: "contours") { group in
      for stop in contourKey.stops {
        let pixels = ContourLines.segments(xs: grid, ys: grid, values: values, level: stop.value).map { segment in
          (contourAxes.point(segment.0.x, segment.0.y), contourAxes.point(segment.1.x, segment.1.y))
        }
        group.segments(pixels, stroke: stop.color, width: 1, className: "contour")
      }
    }
    for (index, outcome) in outcomes.enumerated() {
      let left = 70 + Double(index % columns) * (panel + 90)
      let top = 70 + Double(index / columns) * (panel + 90)
      let axes = Axes(x: left, y: top, width: panel, height: panel, xDomain: domain, yDomain: domain)
      let center = outcome.result.center
      axes.draw(
        into: &svg,
        title: "\(outcome.strategy.rawValue): f = \(String(format: "%.3f", outcome.value)), valley \(outcome.valleys.prefix(2).map(String.init).joined(separator: ","))",
        xLabel: "x1", yLabel: "x2")
      svg.use("contours", dx: left - contourAxes.x, dy: top - contourAxes.y)
      for (worker, path) in outcome.result.trajectories.enumerated() {
        // Long runs (thousands of steps) keep at most ~2000 points per path, the last included,
        // so the picture stays small; the path is drawn at a few points per pixel anyway.
        let stride = max(1, path.count / 2000)
        var drawn = Swift.stride(from: 0, to: path.count, by: stride).map { path[$0] }
        if (path.count - 1) % stride != 0, let last = path.last { drawn.append(last) }
        svg.polyline(
          drawn.map { axes.point($0[0], $0.count > 1 ? $0[1] : $0[0]) }, stroke: seriesColors[worker % seriesColors.count],
          width: 1.5, opacity: 0.85, className: "trajectory")
        if let start = path.first {
          let p = axes.point(start[0], start.count > 1 ? start[1] : start[0])
          svg.circle(x: p.x, y: p.y, radius: 4, fill: seriesColors[worker % seriesColors.count])
        }
      }
      let c = axes.point(center[0], center.count > 1 ? center[1] : center[0])
      svg.circle(x: c.x, y: c.y, radius: 5.5, fill: "black", stroke: "white")
    }
    // The key: in the first free panel slot, or right of the panels when the grid is full.
    let slot = outcomes.count
    let keyLeft = slot < rows * columns ? 70 + Double(slot % columns) * (panel + 90) : svg.width - 230
    let keyTop = 70 + Double(min(slot, rows * columns - 1) / columns) * (panel + 90) + 20
    contourKey.draw(into: &svg, x: keyLeft, y: keyTop, height: 200)
    Legend(
      (0..<experiment.starts.count).map { worker in
        Legend.Entry(
          name: "worker \(worker + 1) (dot: start)", color: seriesColors[worker % seriesColors.count], marker: .circle)
      } + [Legend.Entry(name: "final center", color: "black", marker: .circle, line: false)]
    ).draw(into: &svg, x: keyLeft + 120, top: keyTop + 8, width: 200)
    return svg
  }

  /// The contour levels of f and their colours, lowest first: blues below 0 (the valleys, f = -1
  /// at their bottom, darker deeper), grey at 0, oranges above (the ridges). Every panel's
  /// contours use these, and the figure shows them as a colour bar.
  static let contourKey = ColorKey(
    title: "f(x1, x2)",
    stops: zip(
      (-3...3).map { Double($0) * 0.3 },
      ["#7fb0d8", "#a9cbe6", "#d0e2f1", "#d9d9d9", "#fde0c2", "#fcc595", "#f9a868"]
    ).map { ColorKey.Stop(value: $0, color: $1) })
}
