import Foundation
import GrawaData
import GrawaDistributed
import GrawaExperiments
import GrawaNN
import GrawaOptim
import GrawaTensor

/// `grawa-train train`: trains a model with a distributed strategy and writes metrics,
/// configuration, checkpoints and a summary to the output directory.
enum TrainCommand: Command {
  static let name = "train"
  static let abstract = "Train a model with W workers and a distributed strategy (EASGD, LSGD, GRAWA, ...)."

  /// The checkpoint's file name inside the output directory.
  static let checkpointName = "checkpoint.grawa"

  static let specs: [OptionSpec] = [
    .option("strategy", "NAME", help: "Distributed strategy: \(choices(StrategyKind.self)).", default: "none"),
    .option("workers", "W", help: "Number of workers, each with its own replica and data shard.", default: "1"),
    .option(
      "sync-mode", "MODE",
      help: "sync: every worker syncs after exactly tau steps (reproducible); async: never wait for others.",
      default: "sync"),
    .option("comm-period", "TAU", help: "Local steps between syncs (tau).", default: "per strategy: EASGD/LSGD 4, GRAWA family 32"),
    .option("pull", "C2", help: "Pull toward the center at a sync (EASGD's beta, LSGD/GRAWA c2).", default: "per strategy: EASGD/LSGD 0.1, GRAWA family 0.5"),
    .option("proximity", "P2", help: "Proximity pull between syncs, p2 (0 turns it off).", default: "per strategy: LSGD 0.1, GRAWA family 0.01, EASGD 0"),
    .option("norm-momentum", "BETA", help: "Momentum on gradient-norm scores across syncs (MGRAWA, LGRAWA; 0: off).", default: "0.43046721 (0.9^8)"),
    .option("local-norm-momentum", "BETA", help: "Running per-step norm estimate of Local-MGRAWA/LGRAWA.", default: "0.85"),
    .option("sam-rho", "RHO", help: "Ascent radius of DP+SAM.", default: "0.05"),
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
    .option("epochs", "E", help: "Stop after E epochs of each worker's shard (fractions allowed).", default: "none"),
    .option("steps", "N", help: "Stop after N local steps of each worker.", default: "none"),
    .option("minutes", "M", help: "Stop after M minutes of training (evaluation and checkpoints not counted).", default: "none"),
    .option("eval-every", "E", help: "Evaluate the center on the test set every E epochs and at the end.", default: "1"),
    .option("bn-policy", "NAME", help: "Center's batch-norm statistics: \(choices(BufferPolicy.self)).", default: "recompute"),
    .option("bn-batches", "N", help: "Training batches the center's batch-norm statistics are re-estimated over.", default: "20"),
    .option("checkpoint-every", "M", help: "Also write a checkpoint every M minutes of training.", default: "at the end only"),
    .option("seed", "N", help: "Seed for initialisation, shuffling, augmentation, probes and dropout.", default: "0"),
    .option("threads", "N", help: "Compute threads for all workers together.", default: "all cores (\(ComputeThreads.available))"),
    .option("train-limit", "N", help: "Use only the first N training images (quick runs).", default: "all"),
    .option("test-limit", "N", help: "Evaluate on only the first N test images.", default: "all"),
    .option("output", "DIR", help: "Write metrics.csv, metrics.jsonl, config.json, summary.json, \(checkpointName) here.", default: "runs/<time>"),
    .option("resume", "DIR", help: "Continue the run in DIR from its checkpoint (budget flags may extend it).", default: "none"),
    .flag("quiet", help: "Print only the final summary."),
  ]

  static var help: String {
    helpText(
      usage: "grawa-train train [--strategy NAME] [--workers W] [--epochs E | --steps N | --minutes M] [options]",
      abstract: abstract, specs: specs,
      footer: """
        EXAMPLES:
          grawa-train train --strategy lgrawa --workers 4 --minutes 10 --output runs/lgrawa
          grawa-train train --resume runs/lgrawa --minutes 20
        At least one budget (--epochs, --steps or --minutes) is required. Defaults follow the paper
        (SGD lr 0.1, Nesterov 0.9, weight decay 1e-4, batch 128 per worker; strategy settings from
        the authors' scripts). On a terminal a single progress line updates in place; otherwise a
        line is printed every 30 s. Ctrl-C stops after the current step and writes a checkpoint.
        """)
  }

  static func choices<E: RawRepresentable & CaseIterable>(_ type: E.Type) -> String where E.RawValue == String {
    E.allCases.map(\.rawValue).joined(separator: ", ")
  }

  /// Flags that only make sense for a new run (a resumed run keeps its checkpoint's).
  static let newRunOnly = [
    "strategy", "workers", "sync-mode", "comm-period", "pull", "proximity", "norm-momentum", "local-norm-momentum",
    "sam-rho", "model", "dataset", "augmentation", "batch-size", "lr", "momentum", "weight-decay", "schedule",
    "bn-policy", "bn-batches", "seed", "train-limit", "test-limit", "output",
  ]

  /// Parses the flags into a configuration (validation apart from running).
  static func configuration(from parsed: ParsedArguments) throws -> TrainingConfiguration {
    var config = TrainingConfiguration()
    config.strategy = try parsed.choice("strategy", default: StrategyKind.none)
    config.workers = try parsed.int("workers", default: 1, in: 1...1024)
    config.syncMode = try parsed.choice("sync-mode", default: SyncMode.synchronous)
    var settings = config.strategy.defaultSettings
    settings.communicationPeriod = try parsed.int("comm-period", default: settings.communicationPeriod, in: 1...1_000_000)
    settings.pullStrength = try parsed.double("pull", default: settings.pullStrength, in: 0...1) ?? settings.pullStrength
    settings.proximityStrength =
      try parsed.double("proximity", default: settings.proximityStrength, in: 0...1_000_000) ?? settings.proximityStrength
    settings.normMomentum =
      try parsed.double("norm-momentum", default: settings.normMomentum, in: 0...0.999_999) ?? settings.normMomentum
    settings.localNormMomentum =
      try parsed.double("local-norm-momentum", default: settings.localNormMomentum, in: 0...0.999_999)
      ?? settings.localNormMomentum
    settings.samRho = try parsed.double("sam-rho", default: settings.samRho, in: 0...100) ?? settings.samRho
    config.strategySettings = settings
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
    try applyBudget(parsed, to: &config)
    guard config.epochs != nil || config.minutes != nil || config.steps != nil else {
      throw CLIError.usage("give a budget: --epochs E, --steps N, --minutes M, or a combination")
    }
    config.bufferPolicy = try parsed.choice("bn-policy", default: BufferPolicy.recompute)
    config.batchNormBatches = try parsed.int("bn-batches", default: 20, in: 0...1_000_000)
    config.seed = try parsed.unsigned("seed", default: 0)
    if parsed.string("train-limit") != nil {
      config.trainLimit = try parsed.int("train-limit", default: 0, in: 1...Int.max)
    }
    if parsed.string("test-limit") != nil {
      config.testLimit = try parsed.int("test-limit", default: 0, in: 1...Int.max)
    }
    try validate(config)
    return config
  }

  /// The flags a resumed run may change: budget, evaluation and checkpoint cadence, threads.
  static func applyBudget(_ parsed: ParsedArguments, to config: inout TrainingConfiguration) throws {
    if parsed.string("epochs") != nil { config.epochs = try parsed.double("epochs", default: nil, in: 1e-6...1e6) }
    if parsed.string("minutes") != nil { config.minutes = try parsed.double("minutes", default: nil, in: 1e-6...1e6) }
    if parsed.string("steps") != nil { config.steps = try parsed.int("steps", default: 1, in: 1...Int.max) }
    config.evaluateEvery = try parsed.double("eval-every", default: config.evaluateEvery, in: 1e-6...1e6) ?? 1
    if parsed.string("checkpoint-every") != nil {
      config.checkpointMinutes = try parsed.double("checkpoint-every", default: nil, in: 1e-6...1e6)
    }
    config.threads = try parsed.int("threads", default: config.threads, in: 0...256)
  }

  static func validate(_ config: TrainingConfiguration) throws {
    do {
      try config.validate()
    } catch let error as ConfigurationError {
      throw CLIError.usage(error.message)
    }
  }

  static func run(_ arguments: [String]) throws {
    let parsed = try ParsedArguments(arguments, specs: specs)
    guard parsed.positional.isEmpty else {
      throw CLIError.usage("unexpected argument '\(parsed.positional[0])'")
    }
    let quiet = parsed.flag("quiet")
    var config: TrainingConfiguration
    var resumeState: RunState?
    let output: URL
    let checkpointURL: URL
    if let resume = parsed.string("resume") {
      if let clash = newRunOnly.first(where: { parsed.string($0) != nil }) {
        throw CLIError.usage("'--\(clash)' cannot be combined with '--resume': a resumed run keeps its checkpoint's settings")
      }
      output = URL(fileURLWithPath: resume)
      checkpointURL = output.appendingPathComponent(checkpointName)
      do {
        resumeState = try CheckpointFile.read(from: checkpointURL)
      } catch {
        throw CLIError.failure("cannot resume: \(error)")
      }
      do {
        config = try TrainingConfiguration(of: resumeState!, path: checkpointURL.path)
      } catch {
        throw CLIError.failure("cannot resume: \(error)")
      }
      try applyBudget(parsed, to: &config)
      try validate(config)
      do {
        resumeState!.configuration = try JSONValue(encoding: config)
      } catch {
        throw CLIError.failure("cannot resume: \(error)")
      }
    } else {
      config = try configuration(from: parsed)
      output = URL(fileURLWithPath: parsed.string("output") ?? defaultOutputDirectory())
      checkpointURL = output.appendingPathComponent(checkpointName)
      let manager = FileManager.default
      if manager.fileExists(atPath: checkpointURL.path) {
        throw CLIError.usage(
          "'--output \(output.path)' already holds a run: continue it with --resume \(output.path), or choose another directory")
      }
      if manager.fileExists(atPath: output.appendingPathComponent("metrics.csv").path) {
        throw CLIError.usage(
          "'--output \(output.path)' holds the files of an earlier run that has no checkpoint to --resume from: "
            + "remove them or choose another directory")
      }
    }

    let trainer: DistributedTrainer
    do {
      trainer = try DistributedTrainer(configuration: config)
    } catch let error as ConfigurationError {
      throw CLIError.usage(error.message)
    } catch {
      throw CLIError.failure("\(error)")
    }
    let log: RunLog
    do {
      // One CSV schema for every built-in strategy, so runs of different strategies line up column
      // for column: the GRAWA family's weights and LSGD's leader always have a column (empty when
      // the strategy has none), then any other metric the strategy publishes.
      let columns = TrainCommand.metricColumns + trainer.metricNames.filter { !TrainCommand.metricColumns.contains($0) }
      log = try RunLog(directory: output, keepingRows: resumeState?.evaluations, metricNames: columns)
      if resumeState == nil {
        try log.writeJSON(config, to: "config.json")
      }
    } catch {
      throw CLIError.failure("\(error)")
    }
    if !quiet {
      let settings = config.strategySettings
      var detail = "\(config.strategy.rawValue), \(config.workers) worker(s), \(config.syncMode.rawValue)"
      if config.strategy.usesPeriodicSync {
        detail += ", tau \(settings.communicationPeriod), pull \(settings.pullStrength), proximity \(settings.proximityStrength)"
      }
      say(
        (resumeState == nil ? "training " : "resuming (after \(resumeState!.boundary) rounds) ")
          + "\(config.model.rawValue) on \(config.dataset.rawValue) [\(detail)]; \(trainer.parameterCount) parameters, "
          + "\(trainer.stepsPerEpoch) steps per epoch per worker; center batch norm: \(config.bufferPolicy.rawValue)"
          + (config.bufferPolicy == .recompute ? " over \(config.batchNormBatches) batches" : "")
          + "; output: \(output.path)")
    }
    let control = RunControl()
    let interrupts = InterruptHandler(control: control)
    defer { interrupts.cancel() }
    let reporter = ProgressLine(enabled: !quiet)
    let summary: TrainingSummary
    do {
      summary = try trainer.run(metrics: [log], checkpoint: checkpointURL, resumeFrom: resumeState, control: control) {
        report in
        if let row = report.evaluation {
          reporter.finish()
          if !quiet { say(evaluationLine(row)) }
        } else {
          reporter.update(report)
        }
      }
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
    var line = String(
      format: "done (%@): %.2f epochs, %d steps and %d syncs, %.1f s training (%.0f images/s, %.1f%% in distributed updates); center test loss %.4f, accuracy %.2f%%",
      summary.stopReason, summary.epochs, summary.steps, summary.syncs, summary.trainingSeconds, summary.imagesPerSecond,
      100 * fraction(summary.distributedSeconds, of: summary.localSeconds + summary.distributedSeconds),
      summary.finalTest.loss, 100 * (1 - summary.finalTest.error))
    if let weighted = summary.finalWeightedTest {
      line += String(format: "; weighted center accuracy %.2f%%", 100 * (1 - weighted.error))
    }
    say(line)
    if summary.stopReason == StopReason.interrupted.rawValue {
      say("interrupted: checkpoint written; continue with: grawa-train train --resume \(output.path)")
      throw CLIError.interrupted
    }
  }

  static func fraction(_ part: Double, of whole: Double) -> Double { whole > 0 ? part / whole : 0 }

  /// `value` without a trailing ".0" when it is whole (8 rather than 8.0).
  static func formatted(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
  }

  /// The strategy-metric columns every `metrics.csv` of the command line has.
  static let metricColumns = ["weights", "leader"]

  static func evaluationLine(_ row: MetricsRow) -> String {
    var text = String(
      format: "eval  epoch %.2f  step %d  syncs %d  train loss %.4f  center test error %.2f%%", row.epoch, row.step,
      row.syncs, row.trainLoss ?? .nan, 100 * row.testError)
    if let weighted = row.weightedTestError { text += String(format: " (weighted %.2f%%)", 100 * weighted) }
    for metric in row.strategyMetrics {
      switch metric.value {
      case .scalar(let value):
        text += "  \(metric.name) " + (value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.4g", value))
      case .vector(let values):
        text += "  \(metric.name) " + values.map { String(format: "%.3f", $0) }.joined(separator: "/")
      }
    }
    text += String(format: "  distributed %.1f%% (+%.0f s waiting)", 100 * row.distributedFraction, row.waitSeconds)
    return text
  }

  static func defaultOutputDirectory() -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    return "runs/" + formatter.string(from: Date())
  }
}

/// Turns the first Ctrl-C (SIGINT) into a clean stop with a checkpoint; a second one exits at once.
final class InterruptHandler {
  private let source: DispatchSourceSignal

  init(control: RunControl) {
    signal(SIGINT, SIG_IGN)
    source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    let count = Counter()
    source.setEventHandler {
      if count.increment() > 1 {
        printError("second interrupt: exiting without a checkpoint")
        exit(130)
      }
      printError("\ninterrupt: stopping after the current step and writing a checkpoint (Ctrl-C again to quit now)")
      control.interrupt()
    }
    source.resume()
  }

  func cancel() {
    source.cancel()
    signal(SIGINT, SIG_DFL)
  }

  private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int {
      lock.lock()
      defer { lock.unlock() }
      value += 1
      return value
    }
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

  /// Shows `text` as the progress line (throttled like ``update(_:)``).
  func show(_ text: String) {
    guard enabled else { return }
    let now = Date()
    guard now.timeIntervalSince(lastPrint) >= (isTerminal ? 0.2 : 30) else { return }
    lastPrint = now
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
