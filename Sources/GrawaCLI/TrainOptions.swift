import GrawaDistributed
import GrawaExperiments
import GrawaOptim
import GrawaTensor

/// The options of `grawa-train train`, each declared once: flag, type, default, range, help, and
/// whether a resumed run (`--resume DIR`) accepts it.
///
/// Defaults come from the library's own (``TrainingConfiguration``, ``StrategyKind/defaultSettings``),
/// so help shows what a run actually uses. `compare` passes most of these through to its runs.
enum TrainOptions {
  /// The library's defaults, which the options' defaults are taken from.
  private static let defaults = TrainingConfiguration()

  // MARK: - Strategy

  static let strategy = Option<StrategyKind>(
    "strategy", "NAME", default: defaults.strategy, help: "Distributed strategy.",
    resume: .newRunOnly)
  static let workers = Option<Int>(
    "workers", "W", default: defaults.workers, in: .from(1, to: 1024),
    help: "Number of workers, each with its own replica and data shard (per rank under mpirun).",
    resume: .newRunOnly,
    setting: .workers)
  static let syncMode = Option<SyncMode>(
    "sync-mode", "MODE", default: defaults.syncMode,
    help:
      "sync: every worker syncs after exactly tau steps (reproducible); async: never wait for others.",
    resume: .newRunOnly)
  static let communicationPeriod = Option<Int?>(
    "comm-period", "TAU", in: .atLeast(1), help: "Local steps between syncs (tau).",
    shownAs: perStrategy(\.communicationPeriod, .communicationPeriod), resume: .newRunOnly,
    setting: .communicationPeriod)
  static let pull = Option<Double?>(
    "pull", "C2", in: .from(0, to: 1),
    help: "Pull toward the center at a sync (EASGD's beta, LSGD/GRAWA c2).",
    shownAs: perStrategy(\.pullStrength, .pullStrength), resume: .newRunOnly,
    setting: .pullStrength)
  static let proximity = Option<Double?>(
    "proximity", "P2", in: .atLeast(0),
    help: "Proximity pull between syncs, p2 (0 turns it off; at most the communication period).",
    shownAs: perStrategy(\.proximityStrength, .proximityStrength), resume: .newRunOnly,
    setting: .proximityStrength)
  static let normMomentum = Option<Double?>(
    "norm-momentum", "BETA", in: .from(0, below: 1),
    help:
      "Momentum on gradient-norm scores across syncs (MGRAWA, LGRAWA; 0: off; the paper's 0.9^8).",
    shownAs: perStrategy(\.normMomentum, .normMomentum), resume: .newRunOnly, setting: .normMomentum)
  static let localNormMomentum = Option<Double?>(
    "local-norm-momentum", "BETA", in: .from(0, below: 1),
    help: "Running per-step norm estimate of Local-MGRAWA/LGRAWA.",
    shownAs: perStrategy(\.localNormMomentum, .localNormMomentum), resume: .newRunOnly, setting: .localNormMomentum)
  static let samRho = Option<Double?>(
    "sam-rho", "RHO", in: .from(0, to: 100), help: "Ascent radius of DP+SAM.",
    shownAs: perStrategy(\.samRho, .samRho),
    resume: .newRunOnly, setting: .samRho)

  // MARK: - Model, data, optimizer

  static let model = Option<ModelKind>(
    "model", "NAME", default: defaults.model, help: "Network.", resume: .newRunOnly)
  static let dataset = Option<DatasetKind>(
    "dataset", "NAME", default: defaults.dataset, help: "Dataset.", resume: .newRunOnly)
  static let dataDirectory = Option<String?>(
    "data-dir", "DIR", help: "Dataset directory, recorded absolute (a resumed run may read the same data from a new place).",
    shownAs: "the dataset's standard location", resume: .allowed)
  static let augmentation = Option<AugmentationChoice>(
    "augmentation", "NAME", default: defaults.augmentation, help: "Training augmentation.",
    resume: .newRunOnly)
  static let batchSize = Option<Int>(
    "batch-size", "N", default: defaults.batchSize, in: .from(1, to: 65_536),
    help: "Mini-batch size per worker.",
    resume: .newRunOnly, setting: .batchSize)
  // The optimizer's defaults are SGD.Configuration.paper's, written as Double (its Float values
  // would print as 0.10000000149011612); a test pins them to the library's.
  static let learningRate = Option<Double>(
    "lr", "RATE", default: 0.1, in: .from(0, to: 100), help: "Learning rate.", resume: .newRunOnly)
  static let momentum = Option<Double>(
    "momentum", "MU", default: 0.9, in: .from(0, below: 1),
    help: "Momentum (Nesterov when positive; 0 for plain SGD).", resume: .newRunOnly)
  static let weightDecay = Option<Double>(
    "weight-decay", "WD", default: 1e-4, in: .from(0, to: 1), help: "L2 weight decay.",
    resume: .newRunOnly)
  static let schedule = Option<LearningRateSchedule>(
    "schedule", "SPEC", default: defaults.schedule,
    help: "Learning-rate schedule: \(LearningRateSchedule.syntaxSummary).", resume: .newRunOnly)

  // MARK: - Budget and cadence (a resumed run may change these)

  static let epochs = Option<Double?>(
    "epochs", "E", in: .greaterThan(0),
    help: "Stop after E epochs of each worker's shard (fractions allowed).",
    resume: .allowed, setting: .epochs)
  static let steps = Option<Int?>(
    "steps", "N", in: .atLeast(1), help: "Stop after N local steps of each worker.",
    resume: .allowed,
    setting: .steps)
  static let minutes = Option<Double?>(
    "minutes", "M", in: .greaterThan(0),
    help: "Stop after M minutes of training (evaluation and checkpoints not counted).",
    resume: .allowed,
    setting: .minutes)
  static let evaluateEvery = Option<Double>(
    "eval-every", "E", default: defaults.evaluateEvery, in: .greaterThan(0),
    help: "Evaluate the center on the test set every E epochs and at the end.", resume: .allowed,
    setting: .evaluateEvery)
  static let bufferPolicy = Option<BufferPolicy>(
    "bn-policy", "NAME", default: defaults.bufferPolicy, help: "Center's batch-norm statistics.",
    resume: .newRunOnly)
  static let batchNormBatches = Option<Int>(
    "bn-batches", "N", default: defaults.batchNormBatches, in: .atLeast(0),
    help: "Training batches the center's batch-norm statistics are re-estimated over.",
    resume: .newRunOnly,
    setting: .batchNormBatches)
  static let checkpointEvery = Option<Double>(
    "checkpoint-every", "M", default: defaultCheckpointMinutes, in: .atLeast(0),
    help: "Also write a checkpoint every M minutes of training (0: at the end only; a resumed run keeps its own).",
    resume: .allowed, setting: .checkpointMinutes)
  /// The periodic checkpoint cadence of a new run, in minutes: a pre-empted or killed run loses
  /// at most this much training.
  static let defaultCheckpointMinutes = 10.0
  static let seed = Option<UInt64>(
    "seed", "N", default: defaults.seed,
    help: "Seed for initialisation, shuffling, augmentation, probes and dropout.",
    resume: .newRunOnly)
  static let threads = Option<Int>(
    "threads", "N", default: defaults.threads, in: .from(0, to: 256),
    help: "Compute threads for all workers together (0: all cores).",
    shownAs: "0, all cores (\(ComputeThreads.available))", resume: .allowed, setting: .threads)
  static let trainLimit = Option<Int?>(
    "train-limit", "N", in: .atLeast(1), help: "Use only the first N training images (quick runs).",
    shownAs: "all", resume: .newRunOnly, setting: .trainLimit)
  static let testLimit = Option<Int?>(
    "test-limit", "N", in: .atLeast(1), help: "Evaluate on only the first N test images.",
    shownAs: "all",
    resume: .newRunOnly, setting: .testLimit)

  // MARK: - Files and output

  static let output = Option<String?>(
    "output", "DIR",
    help:
      "Write metrics.csv, metrics.jsonl, config.json, summary.json, \(TrainCommand.checkpointName) here.",
    shownAs: "runs/<time>", resume: .newRunOnly)
  static let resume = Option<String?>(
    "resume", "DIR",
    help: "Continue the run in DIR from its checkpoint (budget flags may extend it).",
    resume: .allowed)
  static let quiet = Flag("quiet", help: "Print only the final summary.", resume: .allowed)
  static let mpiTimeout = Option<Double>(
    "mpi-timeout", "SECONDS", default: 300, in: .greaterThan(0),
    help: "Under mpirun: seconds one MPI operation may wait before every rank is ended (a hung rank).",
    resume: .allowed)
  static let mpiCombination = Option<MPICombinationChoice>(
    "mpi-combination", "MODE", default: .gather,
    help: "Under mpirun: gather (bit-identical to one process) or reduce (one vector per rank per sync).",
    resume: .allowed)

  /// Every option, in the order help lists them.
  static let all: [any OptionDeclaration] = [
    strategy, workers, syncMode, communicationPeriod, pull, proximity, normMomentum,
    localNormMomentum, samRho,
    model, dataset, dataDirectory, augmentation, batchSize, learningRate, momentum, weightDecay,
    schedule,
    epochs, steps, minutes, evaluateEvery, bufferPolicy, batchNormBatches, checkpointEvery, seed,
    threads,
    trainLimit, testLimit, output, resume, quiet, mpiTimeout, mpiCombination,
  ]

  /// The option that sets `setting`, if any.
  static func option(setting: TrainingSetting) -> (any OptionDeclaration)? {
    all.first { $0.setting == setting }
  }

  /// A strategy setting's default as help shows it: the value when every strategy that uses the
  /// setting has the same, else "per strategy: 4 for easgd, lsgd; 32 for grawa, ...", read from
  /// ``StrategyKind/defaultSettings`` for the strategies that use `setting`
  /// (``StrategyKind/strategies(using:)``).
  static func perStrategy<Value: OptionValue & Equatable>(
    _ keyPath: KeyPath<StrategySettings, Value>, _ setting: TrainingSetting
  ) -> String {
    var groups: [(value: Value, strategies: [StrategyKind])] = []
    for kind in StrategyKind.strategies(using: setting) ?? StrategyKind.allCases {
      let value = kind.defaultSettings[keyPath: keyPath]
      if let index = groups.firstIndex(where: { $0.value == value }) {
        groups[index].strategies.append(kind)
      } else {
        groups.append((value, [kind]))
      }
    }
    guard groups.count > 1 else { return groups.first?.value.argumentText ?? "none" }
    return "per strategy: "
      + groups.map { group in
        "\(group.value.argumentText) for "
          + group.strategies.map(\.rawValue).joined(separator: ", ")
      }.joined(separator: "; ")
  }
}
