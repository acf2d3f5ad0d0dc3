import Foundation
import GrawaDistributed
import GrawaExperiments

extension PlotCommand {
  /// One run as the charts show it: its metrics columns and, when the directory has one, its
  /// `config.json` (strategy, model, dataset, workers, seed).
  struct Run {
    /// The run directory's name.
    var directoryName: String
    /// The legend's label (see ``labelled(_:)``; the directory name until then).
    var label: String
    /// The run's settings, when its directory has `config.json`.
    var configuration: TrainingConfiguration?
    var trainingSeconds: [Double]
    var epochs: [Double]
    /// Center test error in percent.
    var testError: [Double]
    /// The weighted center's test error in percent (GRAWA family), NaN where the row has none.
    var weightedTestError: [Double]
    var trainLoss: [Double]

    /// The strategy, when known from `config.json`.
    var strategy: StrategyKind? { configuration?.strategy }

    /// Whether the run logged a weighted center's error at any evaluation.
    var hasWeightedCenter: Bool { weightedTestError.contains { $0.isFinite } }
  }

  /// Reads `directory/metrics.csv` and, if present, `directory/config.json`.
  /// - Throws: ``CLIError/failure(_:)`` naming the file when metrics.csv is missing or malformed,
  ///   or config.json is there but unreadable.
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
    // Older runs and strategies without a weighted center may lack the column or leave it empty.
    let weightedTestError = columns.firstIndex(of: "weighted_test_error")
    let name = URL(fileURLWithPath: directory).standardizedFileURL.lastPathComponent
    var run = Run(
      directoryName: name, label: name, configuration: try readConfiguration(directory), trainingSeconds: [],
      epochs: [], testError: [], weightedTestError: [], trainLoss: [])
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
      run.weightedTestError.append(try weightedTestError.map { 100 * (try value($0)) } ?? .nan)
      run.trainLoss.append(try value(trainLoss))
    }
    return run
  }

  /// `directory/config.json`, or `nil` when there is none.
  /// - Throws: ``CLIError/failure(_:)`` naming the file when it is there but cannot be read.
  static func readConfiguration(_ directory: String) throws -> TrainingConfiguration? {
    let url = URL(fileURLWithPath: directory).appendingPathComponent("config.json")
    guard FileManager.default.fileExists(atPath: url.path) else { return nil }
    do {
      return try RunJSON.decoder().decode(TrainingConfiguration.self, from: Data(contentsOf: url))
    } catch {
      throw CLIError.failure("\(url.path): not a readable config.json of 'grawa-train train' (\(error))")
    }
  }

  /// `runs` in the charts' order, strategies in the order of ``StrategyKind/allCases`` (runs
  /// without a `config.json` last), the given order kept within a strategy; each labelled by its
  /// strategy, with the seed added where a strategy has several runs, and the directory name
  /// added where that is still ambiguous (a run without `config.json`: its directory name).
  static func labelled(_ runs: [Run]) -> [Run] {
    let ordered = runs.enumerated().sorted { a, b in
      let left = a.element.strategy?.chartOrder ?? Int.max
      let right = b.element.strategy?.chartOrder ?? Int.max
      return left != right ? left < right : a.offset < b.offset
    }.map(\.element)
    func base(_ run: Run) -> String {
      guard let configuration = run.configuration else { return run.directoryName }
      let shared = runs.filter { $0.strategy == configuration.strategy }
      return shared.count > 1
        ? "\(configuration.strategy.rawValue) seed \(configuration.seed)" : configuration.strategy.rawValue
    }
    return ordered.map { run in
      var run = run
      let label = base(run)
      let clashes = ordered.filter { base($0) == label }.count > 1
      run.label = clashes && run.configuration != nil ? "\(label) (\(run.directoryName))" : label
      return run
    }
  }

  /// The figure's default title: what the runs share (dataset, model, workers; several values
  /// joined by " / "), then what it shows; without any `config.json`, the run count.
  static func defaultTitle(_ runs: [Run]) -> String {
    let configurations = runs.compactMap(\.configuration)
    let what = "center test error and training loss"
    guard !configurations.isEmpty else { return "Test error and training loss, \(counted(runs.count, "run"))" }
    func distinct(_ values: [String]) -> String {
      var seen: [String] = []
      for value in values where !seen.contains(value) { seen.append(value) }
      return seen.joined(separator: " / ")
    }
    let workers = distinct(configurations.map { String($0.workers) })
    let workerWord = configurations.allSatisfy { $0.workers == 1 } ? "worker" : "workers"
    return "\(distinct(configurations.map(\.dataset.displayName))), \(distinct(configurations.map(\.model.displayName))), "
      + "\(workers) \(workerWord): \(what)"
  }
}
