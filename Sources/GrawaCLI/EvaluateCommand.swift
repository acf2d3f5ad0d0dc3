import Foundation
import GrawaDistributed
import GrawaExperiments

/// `grawa-train evaluate`: test loss and error of a run's center (or a worker), accuracy per
/// class and the confusion matrix.
enum EvaluateCommand: Command {
  static let name = "evaluate"
  static let abstract = "Test a run's center model: loss, error, per-class accuracy, confusion matrix."

  static var options: [any OptionDeclaration] { EvaluateOptions.all }

  static let usage = "grawa-train evaluate RUN_DIR [--worker K] [--data-dir DIR] [--json]"

  static let footer = """
    Reads RUN_DIR/checkpoint.grawa and forms the model as the run evaluates it (the center with
    batch-norm statistics re-estimated or averaged as the run was configured), then runs it over
    the run's test set with the run's evaluation transform. The test error equals the run's last
    evaluation when the checkpoint is from its end. Writes nothing.
    """

  /// A class's line is printed in the confusion matrix only up to this many classes (all go to --json).
  static let largestPrintedMatrix = 20

  static func run(_ arguments: [String]) throws {
    let parsed = try parse(arguments)
    let run = try ModelSourceOptions.openRun(parsed)
    let choice = try ModelSourceOptions.choice(parsed)
    let report: ClassificationReport
    do {
      report = try run.evaluate(choice)
    } catch {
      throw CLIError.failure("\(error)")
    }
    if try parsed[EvaluateOptions.json] {
      say(try json(report, run: run, choice: choice))
    } else {
      say(text(report, run: run, choice: choice))
    }
  }

  /// The report as a table and matrix.
  static func text(_ report: ClassificationReport, run: TrainedRun, choice: TrainedRun.ModelChoice) -> String {
    let configuration = run.configuration
    var lines = [
      "\(choice) of \(run.directory.path) (\(configuration.model.rawValue), \(configuration.strategy.rawValue), "
        + "\(configuration.workers) workers, step \(run.state.boundary)) on the \(configuration.dataset.rawValue) "
        + "test set, \(report.count) images:",
      String(
        format: "test loss %.4f  error %.2f%%  accuracy %.2f%%", report.loss, 100 * report.error,
        100 * (1 - report.error)),
      "",
    ]
    let names = run.classNames
    let width = max(5, names.map(\.count).max() ?? 0)
    lines.append("class".padding(toLength: width + 5, withPad: " ", startingAt: 0) + pad("images", 8) + pad("accuracy", 10))
    for (index, name) in names.enumerated() {
      let label = String(format: "%3d  ", index) + name.padding(toLength: width, withPad: " ", startingAt: 0)
      lines.append(
        label + pad(String(report.classCounts[index]), 8) + pad(String(format: "%.2f%%", 100 * report.classAccuracy[index]), 10))
    }
    guard report.classCount <= largestPrintedMatrix else {
      lines.append("(\(report.classCount) classes: the confusion matrix is in --json)")
      return lines.joined(separator: "\n")
    }
    let cell = max(5, String(report.confusion.flatMap { $0 }.max() ?? 0).count + 1)
    lines.append("")
    lines.append("confusion matrix (rows: true class, columns: predicted class)")
    lines.append("     " + (0..<report.classCount).map { pad(String($0), cell) }.joined())
    for (index, row) in report.confusion.enumerated() {
      lines.append(String(format: "%3d  ", index) + row.map { pad(String($0), cell) }.joined())
    }
    return lines.joined(separator: "\n")
  }

  /// `text` right-aligned in `width` columns.
  private static func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
  }

  /// What `--json` prints.
  struct Output: Encodable {
    struct ClassLine: Encodable {
      var name: String
      var images: Int
      var accuracy: Double?
    }
    var run: String
    var model: String
    var step: Int
    var dataset: String
    var count: Int
    var loss: Double
    var error: Double
    var accuracy: Double
    var classes: [ClassLine]
    var confusion: [[Int]]
  }

  /// The report as one JSON object.
  static func json(_ report: ClassificationReport, run: TrainedRun, choice: TrainedRun.ModelChoice) throws -> String {
    let output = Output(
      run: run.directory.path, model: choice.description, step: run.state.boundary,
      dataset: run.configuration.dataset.rawValue, count: report.count, loss: report.loss, error: report.error,
      accuracy: 1 - report.error,
      classes: zip(run.classNames, zip(report.classCounts, report.classAccuracy)).map {
        Output.ClassLine(name: $0.0, images: $0.1.0, accuracy: $0.1.1.isNaN ? nil : $0.1.1)
      },
      confusion: report.confusion)
    return String(decoding: try RunJSON.encoder().encode(output), as: UTF8.self)
  }
}
