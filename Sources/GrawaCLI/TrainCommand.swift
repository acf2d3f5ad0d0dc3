import Foundation
import GrawaData
import GrawaDistributed
import GrawaNN
import GrawaOptim
import GrawaTensor

/// `grawa-train train`: trains a model on a dataset and writes metrics, configuration and a
/// summary to the output directory.
enum TrainCommand: Command {
  static let name = "train"
  static let abstract = "Train a model on a dataset (single worker; distributed strategies come next)."

  /// The distribution strategies this build can run.
  enum Strategy: String, CaseIterable {
    /// One worker, no communication.
    case none
  }

  static let specs: [OptionSpec] = [
    .option("strategy", "NAME", help: "Distribution strategy: \(choices(Strategy.self)).", default: "none"),
    .option("model", "NAME", help: "Network: \(choices(ModelKind.self)).", default: "resnet20"),
    .option("dataset", "NAME", help: "Dataset: \(choices(DatasetKind.self)).", default: "fashion-mnist"),
    .option("data-dir", "DIR", help: "Dataset directory.", default: "the dataset's standard location"),
    .option(
      "augmentation", "NAME", help: "Training augmentation: \(choices(AugmentationChoice.self)).",
      default: "pad-crop-flip"),
    .option("batch-size", "N", help: "Mini-batch size per worker.", default: "128"),
    .option("lr", "RATE", help: "Learning rate.", default: "0.1"),
    .option("momentum", "MU", help: "Momentum (Nesterov when positive; 0 for plain SGD).", default: "0.9"),
    .option("weight-decay", "WD", help: "L2 weight decay.", default: "1e-4"),
    .option("schedule", "SPEC", help: "Learning-rate schedule: \(LearningRateSchedule.syntaxSummary)", default: "constant"),
    .option("epochs", "E", help: "Stop after E epochs (fractions allowed).", default: "none"),
    .option("minutes", "M", help: "Stop after M minutes of training (evaluation not counted).", default: "none"),
    .option("eval-every", "E", help: "Evaluate on the test set every E epochs and at the end.", default: "1"),
    .option("seed", "N", help: "Seed for initialisation, shuffling, augmentation and dropout.", default: "0"),
    .option("threads", "N", help: "Compute threads.", default: "all cores (\(ComputeThreads.available))"),
    .option("train-limit", "N", help: "Use only the first N training images (quick runs).", default: "all"),
    .option("test-limit", "N", help: "Evaluate on only the first N test images.", default: "all"),
    .option("output", "DIR", help: "Write metrics.csv, metrics.jsonl, config.json, summary.json here.", default: "runs/<time>"),
    .flag("quiet", help: "Print only the final summary."),
  ]

  static var help: String {
    helpText(
      usage: "grawa-train train [--model NAME] [--dataset NAME] [--epochs E | --minutes M] [options]",
      abstract: abstract, specs: specs,
      footer: """
        EXAMPLE:
          grawa-train train --model resnet20 --dataset fashion-mnist --epochs 5 --output runs/fm
        At least one budget (--epochs or --minutes) is required. On a terminal a single progress
        line updates in place; otherwise a line is printed every 30 s.
        """)
  }

  static func choices<E: RawRepresentable & CaseIterable>(_ type: E.Type) -> String where E.RawValue == String {
    E.allCases.map(\.rawValue).joined(separator: ", ")
  }

  /// Parses the flags into a configuration (validation apart from running).
  static func configuration(from parsed: ParsedArguments) throws -> TrainingConfiguration {
    var config = TrainingConfiguration()
    _ = try parsed.choice("strategy", default: Strategy.none)
    config.model = try parsed.choice("model", default: ModelKind.resnet20)
    config.dataset = try parsed.choice("dataset", default: DatasetKind.fashionMNIST)
    config.dataDirectory = parsed.string("data-dir")
    config.augmentation = try parsed.choice("augmentation", default: AugmentationChoice.padCropFlip)
    config.batchSize = try parsed.int("batch-size", default: 128, in: 1...65_536)
    let learningRate = try parsed.double("lr", default: 0.1, in: 0...100) ?? 0.1
    let momentum = try parsed.double("momentum", default: 0.9, in: 0...0.999_999) ?? 0.9
    let weightDecay = try parsed.double("weight-decay", default: 1e-4, in: 0...1) ?? 1e-4
    config.optimizer = SGD.Configuration(
      learningRate: Float(learningRate), momentum: Float(momentum), weightDecay: Float(weightDecay),
      nesterov: momentum > 0, dampening: 0)
    if let spec = parsed.string("schedule") {
      do {
        config.schedule = try LearningRateSchedule(parsing: spec)
      } catch {
        throw CLIError.usage("invalid value '\(spec)' for '--schedule': \(error)")
      }
    }
    config.epochs = try parsed.double("epochs", default: nil, in: 1e-6...1e6)
    config.minutes = try parsed.double("minutes", default: nil, in: 1e-6...1e6)
    guard config.epochs != nil || config.minutes != nil else {
      throw CLIError.usage("give a budget: --epochs E, --minutes M, or both")
    }
    config.evaluateEvery = try parsed.double("eval-every", default: 1, in: 1e-6...1e6) ?? 1
    config.seed = try parsed.unsigned("seed", default: 0)
    config.threads = try parsed.int("threads", default: 0, in: 1...256)
    if parsed.string("train-limit") != nil {
      config.trainLimit = try parsed.int("train-limit", default: 0, in: 1...Int.max)
    }
    if parsed.string("test-limit") != nil {
      config.testLimit = try parsed.int("test-limit", default: 0, in: 1...Int.max)
    }
    do {
      try config.validate()
    } catch let error as ConfigurationError {
      throw CLIError.usage(error.message)
    }
    return config
  }

  static func run(_ arguments: [String]) throws {
    let parsed = try ParsedArguments(arguments, specs: specs)
    guard parsed.positional.isEmpty else {
      throw CLIError.usage("unexpected argument '\(parsed.positional[0])'")
    }
    let config = try configuration(from: parsed)
    let quiet = parsed.flag("quiet")
    let output = URL(fileURLWithPath: parsed.string("output") ?? defaultOutputDirectory())

    let trainer: LocalTrainer
    do {
      trainer = try LocalTrainer(configuration: config)
    } catch {
      throw CLIError.failure("\(error)")
    }
    let log: RunLog
    do {
      log = try RunLog(directory: output)
      try log.writeJSON(config, to: "config.json")
    } catch {
      throw CLIError.failure("\(error)")
    }
    if !quiet {
      say(
        "training \(config.model.rawValue) on \(config.dataset.rawValue) (\(trainer.train.count) train / "
          + "\(trainer.test.count) test images, \(trainer.model.parameterCount) parameters); output: \(output.path)")
    }
    let reporter = ProgressLine(enabled: !quiet)
    let summary: TrainingSummary
    do {
      summary = try trainer.run(log: log) { reporter.update($0) }
    } catch {
      reporter.finish()
      throw CLIError.failure("\(error)")
    }
    reporter.finish()
    do {
      try log.writeJSON(summary, to: "summary.json")
    } catch {
      throw CLIError.failure("\(error)")
    }
    say(
      String(
        format: "done: %.2f epochs, %d steps, %.1f s training (%.0f images/s); test loss %.4f, test accuracy %.2f%%",
        summary.epochs, summary.steps, summary.trainingSeconds, summary.imagesPerSecond,
        summary.finalTest.loss, 100 * (1 - summary.finalTest.error)))
  }

  static func defaultOutputDirectory() -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    return "runs/" + formatter.string(from: Date())
  }
}

/// A progress display: one line rewritten in place on a terminal, a plain line every 30 s otherwise.
final class ProgressLine {
  private let enabled: Bool
  private let isTerminal = isatty(STDOUT_FILENO) == 1
  private var lastPrint = Date.distantPast
  private var drewLine = false

  init(enabled: Bool) { self.enabled = enabled }

  func update(_ report: TrainingProgressReport) {
    guard enabled else { return }
    let now = Date()
    let interval: TimeInterval = isTerminal ? 0.2 : 30
    guard now.timeIntervalSince(lastPrint) >= interval else { return }
    lastPrint = now
    var text = String(
      format: "epoch %.2f  step %d  loss %.4f  error %.2f%%  %@ trained", report.epoch, report.step,
      report.trainLoss, 100 * report.trainError, clock(report.trainingSeconds))
    if let left = report.secondsLeft, left.isFinite { text += "  ~\(clock(left)) left" }
    if isTerminal {
      FileHandle.standardOutput.write(Data(("\r\u{1B}[K" + text).utf8))
      drewLine = true
    } else {
      say(text)
    }
  }

  func finish() {
    if drewLine {
      FileHandle.standardOutput.write(Data("\n".utf8))
      drewLine = false
    }
  }

  private func clock(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    return String(format: "%d:%02d:%02d", total / 3600, (total / 60) % 60, total % 60)
  }
}
