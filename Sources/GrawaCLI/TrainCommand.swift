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
  static let checkpointName = TrainedRun.checkpointName

  static var options: [any OptionDeclaration] { TrainOptions.all }

  static let usage =
    "grawa-train train [--strategy NAME] [--workers W] [--epochs E | --steps N | --minutes M] [options]"

  static var footer: String {
    let resumable = TrainOptions.all.filter { $0.resume == .allowed && $0 !== TrainOptions.resume }
    return """
      EXAMPLES:
        grawa-train train --strategy lgrawa --workers 4 --minutes 10 --output runs/lgrawa
        grawa-train train --resume runs/lgrawa --minutes 20
      At least one budget (--epochs, --steps or --minutes) is required. Defaults follow the paper
      (SGD lr 0.1, Nesterov 0.9, weight decay 1e-4, batch 128 per worker; strategy settings from
      the authors' scripts). With --resume a run keeps its checkpoint's settings; only these may
      be given: \(resumable.map(\.flag).joined(separator: ", ")).
      On a terminal a single progress line updates in place; otherwise a line is printed every
      30 s. Ctrl-C stops after the current step and writes a checkpoint; SIGTERM, SIGHUP and
      SIGUSR1 do too, exiting 75. A resume checks the data against the run's training-set
      fingerprint and rebuilds the metrics files from the checkpoint.
      """
  }

  /// Parses the flags of a new run into a configuration (validation apart from running).
  /// - Throws: ``CLIError/usage(_:)`` naming the flag of any value out of range.
  static func configuration(from parsed: ParsedArguments) throws -> TrainingConfiguration {
    var config = TrainingConfiguration()
    config.strategy = try parsed[TrainOptions.strategy]
    config.workers = try parsed[TrainOptions.workers]
    config.syncMode = try parsed[TrainOptions.syncMode]
    try refuseOptionsUnused(by: config.strategy, parsed)
    // A strategy setting not given keeps the strategy's own default.
    var settings = config.strategy.defaultSettings
    if let tau = try parsed[TrainOptions.communicationPeriod] { settings.communicationPeriod = tau }
    if let pull = try parsed[TrainOptions.pull] { settings.pullStrength = pull }
    if let proximity = try parsed[TrainOptions.proximity] { settings.proximityStrength = proximity }
    if let momentum = try parsed[TrainOptions.normMomentum] { settings.normMomentum = momentum }
    if let momentum = try parsed[TrainOptions.localNormMomentum] { settings.localNormMomentum = momentum }
    if let rho = try parsed[TrainOptions.samRho] { settings.samRho = rho }
    config.strategySettings = settings
    config.model = try parsed[TrainOptions.model]
    config.dataset = try parsed[TrainOptions.dataset]
    config.augmentation = try parsed[TrainOptions.augmentation]
    config.batchSize = try parsed[TrainOptions.batchSize]
    let momentum = try parsed[TrainOptions.momentum]
    config.optimizer = SGD.Configuration(
      learningRate: Float(try parsed[TrainOptions.learningRate]), momentum: Float(momentum),
      weightDecay: Float(try parsed[TrainOptions.weightDecay]), nesterov: momentum > 0, dampening: 0)
    config.schedule = try parsed[TrainOptions.schedule]
    config.bufferPolicy = try parsed[TrainOptions.bufferPolicy]
    config.batchNormBatches = try parsed[TrainOptions.batchNormBatches]
    config.seed = try parsed[TrainOptions.seed]
    config.trainLimit = try parsed[TrainOptions.trainLimit]
    config.testLimit = try parsed[TrainOptions.testLimit]
    try applyResumable(parsed, to: &config, newRun: true)
    guard config.epochs != nil || config.minutes != nil || config.steps != nil else {
      throw CLIError.usage("give a budget: --epochs E, --steps N, --minutes M, or a combination")
    }
    try validate(config, parsed: parsed)
    return config
  }

  /// Applies the options a resumed run accepts (``ResumePolicy/allowed``) that were given: the
  /// budget, the evaluation and checkpoint cadence, the threads and the data directory; then makes
  /// the data directory absolute (relative to the working directory), so the run resumes from
  /// anywhere. A new run (`newRun`) takes the default checkpoint cadence when none is given; a
  /// resumed one keeps its own.
  static func applyResumable(
    _ parsed: ParsedArguments, to config: inout TrainingConfiguration, newRun: Bool = false
  ) throws {
    if let directory = try parsed[TrainOptions.dataDirectory] { config.dataDirectory = directory }
    config.resolveDataDirectory()
    if let epochs = try parsed[TrainOptions.epochs] { config.epochs = epochs }
    if let steps = try parsed[TrainOptions.steps] { config.steps = steps }
    if let minutes = try parsed[TrainOptions.minutes] { config.minutes = minutes }
    if let every = try parsed.valueIfGiven(TrainOptions.evaluateEvery) { config.evaluateEvery = every }
    // A new run takes the default cadence; a resumed one keeps its own unless given. 0: at the end only.
    let checkpointMinutes =
      newRun ? try parsed[TrainOptions.checkpointEvery] : try parsed.valueIfGiven(TrainOptions.checkpointEvery)
    if let checkpointMinutes { config.checkpointMinutes = checkpointMinutes > 0 ? checkpointMinutes : nil }
    if let threads = try parsed.valueIfGiven(TrainOptions.threads) { config.threads = threads }
  }

  /// Refuses, on `--resume`, every given option a resumed run does not accept.
  /// - Throws: ``CLIError/usage(_:)`` naming the first such option.
  static func refuseNewRunOptions(_ parsed: ParsedArguments) throws {
    if let clash = parsed.given.first(where: { $0.resume != .allowed }) {
      throw CLIError.usage(
        "'\(clash.flag)' cannot be combined with '--resume': a resumed run keeps its checkpoint's settings")
    }
  }

  /// Validates `config`, reporting a setting out of range against its flag.
  /// - Throws: ``CLIError/usage(_:)``.
  static func validate(_ config: TrainingConfiguration, parsed: ParsedArguments) throws {
    try mappingSetupErrors(parsed) { try config.validate() }
  }

  /// A library error naming a setting, as a usage error naming the flag that sets it (and the
  /// value given, if it was given): "invalid value '5' for '--proximity': proximity strength
  /// must be in [0, communication period = 4], got 5.0".
  static func usageError(_ error: SettingError, parsed: ParsedArguments) -> CLIError {
    guard let option = TrainOptions.option(setting: error.setting) else { return .usage("\(error)") }
    return parsed.invalidValue(option, "\(error)")
  }

  static func run(_ arguments: [String]) throws {
    let parsed = try parse(arguments)
    guard parsed.positional.isEmpty else {
      throw CLIError.usage("unexpected argument '\(parsed.positional[0])'")
    }
    // Under mpirun (grawa-train built with --traits MPI): rank 0 reads and writes the run's files
    // and prints; every rank trains its block of the workers.
    let processes = try TrainProcesses.start(
      timeoutSeconds: try parsed[TrainOptions.mpiTimeout], combination: try parsed[TrainOptions.mpiCombination])
    let quiet = try parsed[TrainOptions.quiet] || !processes.isFirst
    // Signals are handled from here on: one that arrives while the data loads stops the run at
    // its first step boundary, with a checkpoint and the requeue exit code, like one during
    // training (a scheduler may pre-empt a job at any moment).
    let control = RunControl()
    let interrupts = InterruptHandler(
      control: control, signals: processes.group == nil ? InterruptHandler.signals : InterruptHandler.mpiSignals)
    defer { interrupts.cancel() }
    var config: TrainingConfiguration
    var resumeState: RunState?
    let output: URL
    let checkpointURL: URL
    for option in [TrainOptions.resume, TrainOptions.output] {
      if let path = try parsed[option], path.isEmpty {
        throw CLIError.usage("'--\(option.name)' is empty: give a directory (an unset shell variable?)")
      }
    }
    if let resume = try parsed[TrainOptions.resume] {
      try refuseNewRunOptions(parsed)
      output = URL(fileURLWithPath: resume)
      checkpointURL = output.appendingPathComponent(checkpointName)
      (resumeState, config) = try resumedRun(in: output, checkpoint: checkpointURL, parsed: parsed, processes: processes)
    } else {
      config = try configuration(from: parsed)
      config.runID = UUID().uuidString
      // --workers is per process: W = N x --workers.
      config.workers *= processes.count
      if processes.group != nil, config.syncMode == .asynchronous {
        throw CLIError.usage(
          "'--sync-mode async' is not supported under mpirun yet: use '--sync-mode sync', or run in one process")
      }
      output = URL(fileURLWithPath: try parsed[TrainOptions.output] ?? defaultOutputDirectory())
      checkpointURL = output.appendingPathComponent(checkpointName)
      try processes.onFirst {
        let manager = FileManager.default
        if manager.fileExists(atPath: checkpointURL.path) {
          throw CLIError.usage(
            "'--output \(output.path)' already holds a run: continue it with --resume \(output.path), or choose another directory")
        }
        if holdsMetricsRows(output) {
          throw CLIError.usage(
            "'--output \(output.path)' holds the files of an earlier run that has no checkpoint to --resume from: "
              + "remove them or choose another directory")
        }
      }
    }

    let data = try loadData(for: &config, resuming: resumeState != nil, parsed: parsed)
    if resumeState != nil {
      do {
        // The resumed configuration (new budget, data directory, fingerprint) is what the
        // checkpoints it writes record.
        resumeState?.configuration = try JSONValue(encoding: config)
      } catch {
        throw CLIError.failure("cannot resume: \(error)")
      }
    }
    let trainer = try mappingSetupErrors(parsed) {
      try DistributedTrainer(configuration: config, data: data, processGroup: processes.group)
    }
    let layout = try processes.layoutDescription(workersPerRank: config.workers / processes.count)
    // One writer per run directory, held until the process ends; taken before anything is
    // written, and a new run checks again under the lock that the directory holds no run.
    // Rank 0 alone writes the run files.
    let files = try processes.onFirst { () throws -> (lock: RunDirectoryLock, log: RunLog, events: TensorBoardLog) in
      let lock: RunDirectoryLock
      do {
        lock = try RunDirectoryLock(directory: output)
      } catch {
        throw CLIError.failure("\(error)")
      }
      if resumeState == nil, FileManager.default.fileExists(atPath: checkpointURL.path) {
        throw CLIError.usage(
          "'--output \(output.path)' already holds a run: continue it with --resume \(output.path), or choose another directory")
      }
      // One CSV schema for every built-in strategy, so runs of different strategies line up column
      // for column: the GRAWA family's weights and LSGD's leader always have a column (empty when
      // the strategy has none), then any other metric the strategy publishes.
      let columns = TrainCommand.metricColumns + trainer.metricNames.filter { !TrainCommand.metricColumns.contains($0) }
      let log = try startMetrics(in: output, resuming: &resumeState, columns: columns)
      do {
        // Written again on resume: the configuration the run now continues with.
        try log.writeJSON(config, to: "config.json")
        // The same rows as TensorBoard scalars: `tensorboard --logdir runs` shows every run.
        return (lock, log, try TensorBoardLog(directory: output, resumedAfter: resumeState?.boundary))
      } catch {
        throw CLIError.failure("\(error)")
      }
    }
    defer { withExtendedLifetime(files) {} }
    if let layout, !quiet { say(layout) }
    if !quiet {
      say(
        header(config, parameterCount: trainer.parameterCount, stepsPerEpoch: trainer.stepsPerEpoch,
          resumedAfter: resumeState?.boundary, output: output))
    }
    let reporter = ProgressLine(enabled: !quiet, imagesPerStep: config.workers * config.batchSize)
    let summary: TrainingSummary
    do {
      summary = try trainer.run(
        metrics: files.map { [$0.log, $0.events] } ?? [], checkpoint: processes.isFirst ? checkpointURL : nil,
        resumeFrom: resumeState, control: control
      ) {
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
      try processes.finish()
    } catch {
      throw CLIError.failure("\(error)")
    }
    guard let files else {
      // Another rank: rank 0 writes and prints the summary.
      if summary.stopReason == StopReason.interrupted.rawValue {
        throw interrupts.signal == SIGINT ? CLIError.interrupted : CLIError.preempted(signal: interrupts.signal)
      }
      return
    }
    do {
      try files.log.writeJSON(summary, to: "summary.json")
    } catch {
      throw CLIError.failure("\(error)")
    }
    say(summaryLines(summary))
    if summary.stopReason == StopReason.interrupted.rawValue {
      say("interrupted: checkpoint written; continue with: grawa-train train --resume \(output.path)")
      throw interrupts.signal == SIGINT ? CLIError.interrupted : CLIError.preempted(signal: interrupts.signal)
    }
  }

  /// Whether `directory`'s `metrics.csv` has rows (more than its header line). A run killed
  /// before its first checkpoint leaves the header alone, and a new run may take the directory.
  static func holdsMetricsRows(_ directory: URL) -> Bool {
    let url = directory.appendingPathComponent("metrics.csv")
    guard FileManager.default.fileExists(atPath: url.path) else { return false }
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { return true }
    return text.split(separator: "\n", omittingEmptySubsequences: true).count > 1
  }

  static func fraction(_ part: Double, of whole: Double) -> Double { whole > 0 ? part / whole : 0 }

  /// The lines printed before training, each well under 100 characters (the last one holds the
  /// output path, as long as the user made it): what is trained on what, the strategy, the steps
  /// and the center's batch norm, the output directory.
  static func header(
    _ config: TrainingConfiguration, parameterCount: Int, stepsPerEpoch: Int, resumedAfter rounds: Int?,
    output: URL
  ) -> String {
    let verb = rounds.map { "resuming (after \(counted($0, "round"))) " } ?? "training "
    var strategy =
      "  strategy \(config.strategy.rawValue), \(counted(config.workers, "worker")), \(config.syncMode.rawValue)"
    if config.strategy.usesPeriodicSync {
      let settings = config.strategySettings
      strategy += ", tau \(settings.communicationPeriod), pull \(settings.pullStrength.argumentText)"
      // Only what the strategy uses: EASGD has no proximity pull.
      if config.strategy.settingsUsed.contains(.proximityStrength) {
        strategy += ", proximity \(settings.proximityStrength.argumentText)"
      }
    }
    var steps = "  \(counted(stepsPerEpoch, "step")) per epoch per worker; center batch norm: \(config.bufferPolicy.rawValue)"
    if config.bufferPolicy == .recompute { steps += " over \(counted(config.batchNormBatches, "batch", "batches"))" }
    return [
      verb + "\(config.model.rawValue) on \(config.dataset.rawValue): \(ModelsCommand.grouped(parameterCount)) parameters",
      strategy,
      steps,
      "  output: \(output.path)",
    ].joined(separator: "\n")
  }

  /// The lines printed at the end, each under 100 characters: the budget spent, the speed, and
  /// the center's test loss and error (error, like every evaluation line).
  static func summaryLines(_ summary: TrainingSummary) -> String {
    let spent = String(
      format: "done (%@): %.2f epochs, %@ and %@", summary.stopReason, summary.epochs, counted(summary.steps, "step"),
      counted(summary.syncs, "sync"))
    let speed = String(
      format: "  %.1f s training, %.0f images/s, %.1f%% of worker time in distributed updates",
      summary.trainingSeconds, summary.imagesPerSecond,
      100 * fraction(summary.distributedSeconds, of: summary.localSeconds + summary.distributedSeconds))
    var result = String(
      format: "  center test loss %.4f, test error %.2f%%", summary.finalTest.loss, 100 * summary.finalTest.error)
    if let weighted = summary.finalWeightedTest {
      result += String(format: "; weighted center test error %.2f%%", 100 * weighted.error)
    }
    return [spent, speed, result].joined(separator: "\n")
  }

  /// The strategy-metric columns every `metrics.csv` of the command line has.
  static let metricColumns = ["weights", "leader"]

  static func evaluationLine(_ row: MetricsRow) -> String {
    var text = String(
      format: "eval  epoch %.2f  step %d  syncs %d  train loss %@  center test error %.2f%%", row.epoch, row.step,
      row.syncs, measured(row.trainLoss, "%.4f"), 100 * row.testError)
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

  /// `value` in `format`, or "-" when there is no measurement (`nil` or NaN).
  static func measured(_ value: Double?, _ format: String) -> String {
    guard let value, !value.isNaN else { return "-" }
    return String(format: format, value)
  }

  static func defaultOutputDirectory() -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    return "runs/" + formatter.string(from: Date())
  }
}
