import Foundation
import GrawaDistributed
import GrawaExperiments

/// `grawa-train analyze`: flatness of the center model a run reached (gradient norm, errors,
/// top Hessian eigenvalues by Lanczos, the paper's Frobenius-norm estimate, trace).
enum AnalyzeCommand: Command {
  static let name = "analyze"
  static let abstract = "Flatness of a run's center model: gradient norm, Hessian top eigenvalues, trace."

  static var options: [any OptionDeclaration] { AnalyzeOptions.all }

  static let usage = "grawa-train analyze RUN_DIR [--samples N] [--iterations K] [--trace-probes M]"

  static let footer = """
    Reads RUN_DIR/checkpoint.grawa, forms the center the run evaluates (EASGD's master, otherwise
    the plain average of the workers) with batch-norm statistics obtained as in the run, and
    measures on a seeded subset of the training set (no augmentation, batch norm in inference
    mode): the mean loss, its gradient norm, train and test error, and the Hessian through
    central differences of gradients, H v = (g(x + e v) - g(x - e v)) / (2e), |e v| = H.
    Writes RUN_DIR/flatness.json. Each Hessian-vector product costs two gradient passes over
    the subset: K + M products in all.
    """

  /// The analysis settings the options give.
  static func settings(from parsed: ParsedArguments) throws -> FlatnessSettings {
    var settings = FlatnessSettings()
    settings.samples = try parsed[AnalyzeOptions.samples]
    settings.iterations = try parsed[AnalyzeOptions.iterations]
    settings.traceProbes = try parsed[AnalyzeOptions.traceProbes]
    settings.step = try parsed[AnalyzeOptions.step]
    settings.seed = try parsed[AnalyzeOptions.seed]
    return settings
  }

  static func run(_ arguments: [String]) throws {
    let parsed = try parse(arguments)
    guard parsed.positional.count == 1 else {
      throw CLIError.usage("give exactly one run directory")
    }
    try analyze(
      URL(fileURLWithPath: parsed.positional[0]), settings: try settings(from: parsed),
      threads: try parsed[AnalyzeOptions.threads], quiet: try parsed[AnalyzeOptions.quiet])
  }

  /// Analyses the center of the run in `directory`, writes its `flatness.json` and prints the figures.
  /// - Throws: ``CLIError/failure(_:)`` naming what could not be read, computed or written.
  static func analyze(_ directory: URL, settings: FlatnessSettings, threads: Int, quiet: Bool) throws {
    let checkpoint = directory.appendingPathComponent(TrainCommand.checkpointName)
    let report: FlatnessReport
    do {
      let state = try CheckpointFile.read(from: checkpoint)
      var configuration = try TrainingConfiguration(of: state, path: checkpoint.path)
      configuration.threads = threads
      let data = try configuration.loadData()
      let trainer = try DistributedTrainer(configuration: configuration)
      if !quiet {
        say(
          "analysing the \(configuration.strategy.rawValue) center of \(directory.path) (\(trainer.parameterCount) "
            + "parameters) on \(settings.samples) training samples: \(settings.iterations) Lanczos iterations, "
            + "\(settings.traceProbes) trace probes")
      }
      let line = ProgressLine(enabled: !quiet)
      report = try trainer.analyzeFlatness(
        of: state, train: data.train, transform: data.recipe.evaluation, settings: settings
      ) { text in line.show(text) }
      line.finish()
    } catch let error as CLIError {
      throw error
    } catch {
      throw CLIError.failure("\(error)")
    }
    do {
      try RunJSON.encoder().encode(report).write(to: directory.appendingPathComponent("flatness.json"), options: .atomic)
    } catch {
      throw CLIError.failure("\(directory.appendingPathComponent("flatness.json").path): cannot write (\(error))")
    }
    say(
      String(
        format: "train loss %.4f, train error %.2f%%, test error %.2f%%, gap %.2f%%; gradient norm %.4g; "
          + "lambda_max %.4g, Frobenius estimate %.4g (top %d), trace %@ (%d Hessian-vector products, %.0f s)",
        report.trainLoss, 100 * report.trainError, 100 * report.test.error, 100 * report.generalizationGap,
        report.gradientNorm, report.lambdaMax, report.frobeniusEstimate, report.ritzValues.count,
        report.traceEstimate.map { String(format: "%.4g", $0) } ?? "not estimated", report.hessianVectorProducts,
        report.seconds))
  }
}
