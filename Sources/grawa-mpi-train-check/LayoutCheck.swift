#if MPI
  import Foundation
  import GrawaDistributed
  import GrawaDistributedMPI
  import GrawaExperiments
  import GrawaMPI

  /// The program: parses the flags, trains each strategy, prints the fingerprints on rank 0.
  enum LayoutCheck {
    static let usage = """
      USAGE: mpirun -np N grawa-mpi-train-check [--workers L] [options]
             grawa-mpi-train-check --in-process --workers W [options]

      Trains every strategy (synchronous, seed 7, a 4-16-3 perceptron on 256 blob samples) with N x L
      workers and prints one fingerprint line per strategy on rank 0.

      OPTIONS:
        --workers <L>           workers per process (default 1)
        --in-process            no MPI: every worker in this process
        --combination <mode>    gather (bit-identical, default) or reduce
        --steps <N>             local steps per worker (default 6)
        --strategies <a,b,...>  only these strategies (default: all)
      """

    /// Runs the program and returns its exit code (2 for a bad command line).
    static func run(arguments: [String]) -> Int32 {
      var localWorkers = 1
      var inProcess = false
      var combination = MPICombinationMode.gather
      var steps = 6
      var strategies = StrategyKind.allCases
      var remaining = arguments[...]
      while let flag = remaining.popFirst() {
        if flag == "--in-process" {
          inProcess = true
          continue
        }
        if flag == "--help" {
          print(usage)
          return 0
        }
        guard let value = remaining.popFirst() else {
          return fail("\(flag) needs a value")
        }
        switch flag {
        case "--workers":
          guard let count = Int(value), count > 0 else { return fail("--workers wants a count > 0, got \(value)") }
          localWorkers = count
        case "--combination":
          guard let mode = MPICombinationMode(rawValue: value) else {
            return fail("--combination wants one of \(MPICombinationMode.allCases.map(\.rawValue)), got \(value)")
          }
          combination = mode
        case "--steps":
          guard let count = Int(value), count > 0 else { return fail("--steps wants a count > 0, got \(value)") }
          steps = count
        case "--strategies":
          var chosen: [StrategyKind] = []
          for name in value.split(separator: ",") {
            guard let kind = StrategyKind(rawValue: String(name)) else { return fail("unknown strategy \(name)") }
            chosen.append(kind)
          }
          strategies = chosen
        default:
          return fail("unknown option \(flag)")
        }
      }
      do {
        if inProcess {
          for kind in strategies {
            try check(kind, workers: localWorkers, steps: steps, group: nil)
          }
          return 0
        }
        let world = try MPIWorld(operationTimeout: .seconds(120))
        let group = MPIProcessGroup(world: world, combination: combination)
        if world.rank == 0 {
          line("layout: \(world.size) ranks x \(localWorkers) workers = \(world.size * localWorkers) workers")
        }
        for kind in strategies {
          try check(kind, workers: world.size * localWorkers, steps: steps, group: group)
        }
        try world.finalize()
        return 0
      } catch {
        FileHandle.standardError.write(Data("grawa-mpi-train-check: \(error)\n".utf8))
        return 1
      }
    }

    /// Trains `kind` and prints its fingerprint line (rank 0 only).
    static func check(_ kind: StrategyKind, workers: Int, steps: Int, group: MPIProcessGroup?) throws {
      var strategySettings = kind.defaultSettings
      if kind.usesPeriodicSync {
        strategySettings.communicationPeriod = 2
        strategySettings.proximityStrength = min(strategySettings.proximityStrength, 0.1)
      }
      var settings = RunSettings()
      settings.workers = workers
      settings.steps = steps
      // Evaluations every 2 steps.
      settings.evaluateEvery = 2 / Double(TinyTask.trainCount / workers / TinyTask.batchSize)
      settings.seed = 7
      settings.threads = 1
      let isFirst = (group?.rank ?? 0) == 0
      let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
        "grawa-mpi-train-check-\(getpid())-\(kind.rawValue)")
      if isFirst {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      }
      defer { if isFirst { try? FileManager.default.removeItem(at: directory) } }
      let checkpoint = directory.appendingPathComponent("checkpoint.grawa")
      let trainer = try DistributedTrainer(
        task: try TinyTask.make(for: kind, settings: strategySettings), settings: settings,
        strategy: try kind.make(strategySettings), processGroup: group)
      let rows = RowRecorder()
      let summary = try trainer.run(metrics: isFirst ? [rows] : [], checkpoint: isFirst ? checkpoint : nil)
      guard isFirst else { return }
      let state = try CheckpointFile.read(from: checkpoint)
      var metrics = FNV1a()
      for var row in rows.rows {
        row.seconds = 0
        row.trainingSeconds = 0
        row.localSeconds = 0
        row.distributedSeconds = 0
        row.waitSeconds = 0
        metrics.add(Array(try RunJSON.encoder(pretty: false).encode(row)))
      }
      var parameters = FNV1a()
      for worker in state.workers {
        parameters.add(worker.parameters)
        parameters.add(worker.buffers)
      }
      var center = FNV1a()
      center.add(state.centerState)
      line(
        "strategy \(kind.rawValue): rows \(rows.rows.count) syncs \(summary.syncs) metrics \(metrics.hex) "
          + "parameters \(parameters.hex) center \(center.hex) test-loss \(summary.finalTest.loss)")
    }

    static func fail(_ message: String) -> Int32 {
      FileHandle.standardError.write(Data("grawa-mpi-train-check: \(message)\n\(usage)\n".utf8))
      return 2
    }

    /// Unbuffered, so lines reach mpirun at once.
    static func line(_ text: String) {
      FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
  }

  /// Keeps every metrics row of a run.
  final class RowRecorder: MetricsSink {
    private(set) var rows: [MetricsRow] = []

    func append(_ row: MetricsRow) throws {
      rows.append(row)
    }
  }

  /// FNV-1a over bytes and float bit patterns.
  struct FNV1a {
    private var hash: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ bytes: [UInt8]) {
      for byte in bytes {
        hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
      }
    }

    mutating func add(_ values: [Float]) {
      values.withUnsafeBytes { raw in
        for byte in raw {
          hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
      }
    }

    var hex: String { String(hash, radix: 16) }
  }
#endif
