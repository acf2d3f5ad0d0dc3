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
    Each RUN_DIR is an output directory of 'grawa-train train' (its metrics.csv is read). A run
    is labelled with its directory name. Four charts: center test error against training
    seconds and against epochs; training loss against training seconds and against epochs.
    """

  /// One run's metrics: the columns the charts use.
  struct Run {
    var label: String
    var trainingSeconds: [Double]
    var epochs: [Double]
    var testError: [Double]
    var trainLoss: [Double]
  }

  static func run(_ arguments: [String]) throws {
    let parsed = try parse(arguments)
    guard !parsed.positional.isEmpty else {
      throw CLIError.usage("give at least one run directory")
    }
    let runs = try parsed.positional.map(readRun)
    let output = URL(fileURLWithPath: try parsed[PlotOptions.output])
    let svg = figure(runs, title: try parsed[PlotOptions.title] ?? runs.map(\.label).joined(separator: " vs "))
    do {
      try svg.write(to: output)
    } catch {
      throw CLIError.failure("\(output.path): cannot write (\(error.localizedDescription))")
    }
    say("wrote \(output.path) (\(counted(runs.count, "run")), 4 charts)")
  }

  /// Reads `directory/metrics.csv`.
  /// - Throws: ``CLIError/failure(_:)`` naming the file when it is missing or malformed.
  static func readRun(_ directory: String) throws -> Run {
    let url = URL(fileURLWithPath: directory).appendingPathComponent("metrics.csv")
    guard let text = try? String(contentsOf: url, encoding: .utf8) else {
      throw CLIError.failure("\(url.path): cannot read (is \(directory) a run directory of 'grawa-train train'?)")
    }
    let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
    guard let header = lines.first else { throw CLIError.failure("\(url.path): empty file") }
    let columns = header.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    func index(_ name: String) throws -> Int {
      guard let index = columns.firstIndex(of: name) else {
        throw CLIError.failure("\(url.path): no '\(name)' column in the header")
      }
      return index
    }
    let seconds = try index("training_seconds")
    let epoch = try index("epoch")
    let testError = try index("test_error")
    let trainLoss = try index("train_loss")
    var run = Run(
      label: URL(fileURLWithPath: directory).standardizedFileURL.lastPathComponent, trainingSeconds: [], epochs: [],
      testError: [], trainLoss: [])
    for (number, line) in lines.dropFirst().enumerated() {
      let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      guard fields.count == columns.count else {
        throw CLIError.failure(
          "\(url.path): line \(number + 2) has \(fields.count) fields, the header \(columns.count)")
      }
      func value(_ column: Int) throws -> Double {
        if fields[column].isEmpty { return .nan }
        guard let value = Double(fields[column]) else {
          throw CLIError.failure("\(url.path): line \(number + 2): '\(fields[column])' is not a number")
        }
        return value
      }
      run.trainingSeconds.append(try value(seconds))
      run.epochs.append(try value(epoch))
      run.testError.append(100 * (try value(testError)))
      run.trainLoss.append(try value(trainLoss))
    }
    return run
  }

  /// The four charts, two by two.
  static func figure(_ runs: [Run], title: String) -> SVGDocument {
    let width = 1200.0
    let height = 960.0
    var svg = SVGDocument(width: width, height: height)
    svg.text(title, x: width / 2, y: 28, size: 17, anchor: "middle", weight: "bold")
    func series(_ x: KeyPath<Run, [Double]>, _ y: KeyPath<Run, [Double]>) -> [LineChart.Series] {
      runs.map { run in LineChart.Series(name: run.label, points: Array(zip(run[keyPath: x], run[keyPath: y])).map { (x: $0.0, y: $0.1) }) }
    }
    let charts = [
      LineChart(title: "Center test error", xLabel: "training seconds", yLabel: "test error (%)", series: series(\.trainingSeconds, \.testError)),
      LineChart(title: "Center test error", xLabel: "epoch (per worker)", yLabel: "test error (%)", series: series(\.epochs, \.testError)),
      LineChart(title: "Training loss", xLabel: "training seconds", yLabel: "train loss", series: series(\.trainingSeconds, \.trainLoss)),
      LineChart(title: "Training loss", xLabel: "epoch (per worker)", yLabel: "train loss", series: series(\.epochs, \.trainLoss)),
    ]
    for (index, chart) in charts.enumerated() {
      chart.draw(
        into: &svg, x: Double(index % 2) * width / 2, y: 40 + Double(index / 2) * (height - 40) / 2, width: width / 2,
        height: (height - 40) / 2)
    }
    return svg
  }
}
