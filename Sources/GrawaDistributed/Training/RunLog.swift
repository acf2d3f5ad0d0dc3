import Foundation

/// One row of a run's metrics: written at every evaluation to `metrics.csv` and `metrics.jsonl`.
public struct MetricsRow: Sendable, Codable, Equatable {
  /// Wall-clock seconds since the run started (training and evaluation).
  public var seconds: Double
  /// Epochs completed by a worker (fractional).
  public var epoch: Double
  /// Local steps taken by a worker.
  public var step: Int
  /// The learning rate in use.
  public var learningRate: Double
  /// Mean training loss of the mini-batches since the previous row.
  public var trainLoss: Double
  /// Training error of the mini-batches since the previous row (fraction, before each step).
  public var trainError: Double
  /// Test loss of the evaluated model.
  public var testLoss: Double
  /// Test error of the evaluated model (fraction).
  public var testError: Double

  /// The CSV header matching ``csvLine``.
  public static let csvHeader = "seconds,epoch,step,learning_rate,train_loss,train_error,test_loss,test_error"

  /// The row as one CSV line (no newline).
  public var csvLine: String {
    [seconds, epoch, Double(step), learningRate, trainLoss, trainError, testLoss, testError]
      .map { format($0) }.joined(separator: ",")
  }

  private func format(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
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

  /// Creates `directory` if needed and starts fresh metrics files in it.
  /// - Throws: ``RunLogError`` naming the path that could not be created or written.
  public init(directory: URL) throws {
    self.directory = directory
    let manager = FileManager.default
    do {
      try manager.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
      throw RunLogError(path: directory.path, message: "cannot create the output directory (\(error.localizedDescription))")
    }
    encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    func start(_ name: String, header: String?) throws -> FileHandle {
      let url = directory.appendingPathComponent(name)
      let initial = header.map { $0 + "\n" } ?? ""
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
    let pretty = JSONEncoder()
    pretty.outputFormatting = [.sortedKeys, .prettyPrinted]
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
