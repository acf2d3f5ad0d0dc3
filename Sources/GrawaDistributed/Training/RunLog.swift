import Foundation

/// One row of a run's metrics: written at every evaluation to `metrics.csv` and `metrics.jsonl`.
///
/// Losses and errors of the training windows are means over all workers' mini-batches since the
/// previous row, each taken before its step. Fields that do not apply to a strategy are empty in
/// the CSV and absent from the JSON line.
public struct MetricsRow: Sendable, Codable, Equatable {
  /// Wall-clock seconds since the run started (training, evaluation and checkpoints).
  public var seconds: Double
  /// Training seconds (the budget's clock: evaluation and checkpoint time excluded).
  public var trainingSeconds: Double
  /// Epochs completed by a worker (fractional).
  public var epoch: Double
  /// Local steps taken by a worker.
  public var step: Int
  /// Syncs the center has formed.
  public var syncs: Int
  /// The learning rate in use.
  public var learningRate: Double
  /// Mean training loss of the mini-batches since the previous row.
  public var trainLoss: Double?
  /// Training error of the mini-batches since the previous row (fraction).
  public var trainError: Double?
  /// Test loss of the center (EASGD's master, otherwise the plain average of the workers).
  public var testLoss: Double
  /// Test error of the center (fraction).
  public var testError: Double
  /// Test loss of the strategy's weighted center at the last sync (GRAWA family).
  public var weightedTestLoss: Double?
  /// Test error of the strategy's weighted center at the last sync (GRAWA family).
  public var weightedTestError: Double?
  /// Each worker's averaging weight at the last sync (per-tensor weights: the mean over tensors).
  public var weights: [Double]?
  /// The leader at the last sync (LSGD).
  public var leader: Int?
  /// Mean seconds per worker spent in local steps.
  public var localSeconds: Double
  /// Mean seconds per worker spent in distributed updates (probe pass, forming the center, pull).
  public var distributedSeconds: Double
  /// Mean seconds per worker spent at syncs waiting for the other workers. With more workers than
  /// cores this is mostly the others' computing, not communication.
  public var waitSeconds: Double

  /// A row from its figures.
  public init(
    seconds: Double, trainingSeconds: Double, epoch: Double, step: Int, syncs: Int, learningRate: Double,
    trainLoss: Double?, trainError: Double?, testLoss: Double, testError: Double,
    weightedTestLoss: Double? = nil, weightedTestError: Double? = nil, weights: [Double]? = nil,
    leader: Int? = nil, localSeconds: Double = 0, distributedSeconds: Double = 0, waitSeconds: Double = 0
  ) {
    self.seconds = seconds
    self.trainingSeconds = trainingSeconds
    self.epoch = epoch
    self.step = step
    self.syncs = syncs
    self.learningRate = learningRate
    self.trainLoss = trainLoss
    self.trainError = trainError
    self.testLoss = testLoss
    self.testError = testError
    self.weightedTestLoss = weightedTestLoss
    self.weightedTestError = weightedTestError
    self.weights = weights
    self.leader = leader
    self.localSeconds = localSeconds
    self.distributedSeconds = distributedSeconds
    self.waitSeconds = waitSeconds
  }

  /// The fraction of worker time spent in distributed updates, `distributed / (local +
  /// distributed)` (waiting excluded).
  public var distributedFraction: Double {
    let total = localSeconds + distributedSeconds
    return total > 0 ? distributedSeconds / total : 0
  }

  /// The CSV header matching ``csvLine``.
  public static let csvHeader =
    "seconds,training_seconds,epoch,step,syncs,learning_rate,train_loss,train_error,test_loss,test_error,"
    + "weighted_test_loss,weighted_test_error,weights,leader,local_seconds,distributed_seconds,distributed_fraction,wait_seconds"

  /// The row as one CSV line (no newline); weights are separated by `;`.
  public var csvLine: String {
    let fields: [String] = [
      format(seconds), format(trainingSeconds), format(epoch), String(step), String(syncs), format(learningRate),
      format(trainLoss), format(trainError), format(testLoss), format(testError), format(weightedTestLoss),
      format(weightedTestError), weights.map { $0.map { format($0) }.joined(separator: ";") } ?? "",
      leader.map(String.init) ?? "", format(localSeconds), format(distributedSeconds), format(distributedFraction),
      format(waitSeconds),
    ]
    return fields.joined(separator: ",")
  }

  private func format(_ value: Double?) -> String {
    guard let value else { return "" }
    return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
  }
}

/// The files a run writes into its output directory.
///
/// `metrics.csv` and `metrics.jsonl` grow by one line per evaluation and are flushed at once, so
/// a script can follow a run; `config.json` and `summary.json` are written whole, to a temporary
/// file then renamed, so a reader never sees half a file and a failed write never corrupts an
/// existing one.
public final class RunLog {
  /// The output directory.
  public let directory: URL
  private let csv: FileHandle
  private let jsonl: FileHandle
  private let encoder: JSONEncoder

  /// Creates `directory` if needed and starts metrics files in it: fresh ones, or, when resuming,
  /// the existing ones cut to their first `keepingRows` rows (rows written after the checkpoint
  /// the run resumes from are dropped, so no row appears twice).
  /// - Throws: ``RunLogError`` naming the path that could not be created, read or written.
  public init(directory: URL, keepingRows: Int? = nil) throws {
    self.directory = directory
    let manager = FileManager.default
    do {
      try manager.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
      throw RunLogError(path: directory.path, message: "cannot create the output directory (\(error.localizedDescription))")
    }
    encoder = RunJSON.encoder(pretty: false)
    func start(_ name: String, header: String?) throws -> FileHandle {
      let url = directory.appendingPathComponent(name)
      var initial = header.map { $0 + "\n" } ?? ""
      if let keepingRows {
        guard let existing = try? String(contentsOf: url, encoding: .utf8) else {
          throw RunLogError(path: url.path, message: "cannot read the metrics of the run being resumed")
        }
        let lines = existing.split(separator: "\n", omittingEmptySubsequences: true)
        let skip = header == nil ? 0 : 1
        guard lines.count >= skip + keepingRows else {
          throw RunLogError(
            path: url.path,
            message: "has \(lines.count - skip) rows, but the checkpoint was written after \(keepingRows) evaluations")
        }
        initial += lines[skip..<(skip + keepingRows)].map { $0 + "\n" }.joined()
        let temporary = url.appendingPathExtension("tmp")
        do {
          try Data(initial.utf8).write(to: temporary)
          guard rename(temporary.path, url.path) == 0 else {
            throw RunLogError(path: url.path, message: "cannot replace (errno \(errno))")
          }
        } catch {
          throw RunLogError(path: url.path, message: "cannot rewrite (\(error.localizedDescription))")
        }
        guard let handle = try? FileHandle(forWritingTo: url) else {
          throw RunLogError(path: url.path, message: "cannot open for appending")
        }
        _ = try? handle.seekToEnd()
        return handle
      }
      guard manager.createFile(atPath: url.path, contents: Data(initial.utf8)),
        let handle = try? FileHandle(forWritingTo: url)
      else {
        throw RunLogError(path: url.path, message: "cannot create the file")
      }
      _ = try? handle.seekToEnd()
      return handle
    }
    csv = try start("metrics.csv", header: MetricsRow.csvHeader)
    jsonl = try start("metrics.jsonl", header: nil)
  }

  deinit {
    try? csv.close()
    try? jsonl.close()
  }

  /// Appends `row` to both metrics files.
  /// - Throws: ``RunLogError`` when a write fails.
  public func append(_ row: MetricsRow) throws {
    do {
      try csv.write(contentsOf: Data((row.csvLine + "\n").utf8))
      var json = try encoder.encode(row)
      json.append(0x0A)
      try jsonl.write(contentsOf: json)
    } catch {
      throw RunLogError(path: directory.path, message: "cannot append metrics (\(error.localizedDescription))")
    }
  }

  /// Writes `value` as JSON to `name` in the output directory, atomically.
  /// - Throws: ``RunLogError`` when encoding or writing fails.
  public func writeJSON<T: Encodable>(_ value: T, to name: String) throws {
    let pretty = RunJSON.encoder(pretty: true)
    let url = directory.appendingPathComponent(name)
    do {
      let data = try pretty.encode(value)
      try data.write(to: url, options: .atomic)
    } catch {
      throw RunLogError(path: url.path, message: "cannot write (\(error.localizedDescription))")
    }
  }
}

/// A failure writing a run's output files; the message names the file.
public struct RunLogError: Error, CustomStringConvertible, Equatable {
  /// The file or directory.
  public let path: String
  /// What went wrong.
  public let message: String

  /// `"<path>: <message>"`.
  public var description: String { "\(path): \(message)" }
}
