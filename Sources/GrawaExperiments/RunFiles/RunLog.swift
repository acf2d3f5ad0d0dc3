import Foundation
import GrawaData
import GrawaDistributed
import GrawaNN
import GrawaOptim
import GrawaTensor

/// The files a run writes into its output directory.
///
/// `metrics.csv` and `metrics.jsonl` grow by one line per evaluation and are flushed at once, so
/// a script can follow a run; `config.json` and `summary.json` are written whole through
/// ``AtomicFile`` (a temporary `.<name>.partial-<UUID>`, flushed, then renamed; removed when the
/// write fails), so a reader never sees half a file and a failed write never corrupts an
/// existing one.
public final class RunLog: MetricsSink {
  /// The output directory.
  public let directory: URL
  private let csv: FileHandle
  private let jsonl: FileHandle
  private let encoder: JSONEncoder
  /// The strategy metrics that have CSV columns, in order.
  public let metricNames: [String]

  /// Creates `directory` if needed and starts metrics files in it: fresh ones; or, when resuming
  /// from a checkpoint that carries its rows (`restoring`, format 2), files rebuilt from those rows
  /// whatever is on disk; or, from one that does not (format 1), the existing files cut to their
  /// first `keepingRows` rows (rows written after the checkpoint are dropped, so no row appears
  /// twice). Files are replaced through a temporary file and a rename; a failure removes it.
  /// - Parameters:
  ///   - keepingRows: the evaluations of the checkpoint resumed from, when it carries no rows.
  ///   - rows: the rows of the checkpoint resumed from; takes precedence over `keepingRows`.
  ///   - metricNames: the strategy metrics that get CSV columns
  ///     (``DistributedTrainer/metricNames``); every metric is in the JSON lines.
  /// - Throws: ``RunLogError`` naming the path that could not be created, read or written.
  public init(
    directory: URL, keepingRows: Int? = nil, restoring rows: [MetricsRow]? = nil, metricNames: [String] = []
  ) throws {
    self.directory = directory
    self.metricNames = metricNames
    let manager = FileManager.default
    do {
      try manager.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
      throw RunLogError(path: directory.path, message: "cannot create the output directory (\(error.localizedDescription))")
    }
    encoder = RunJSON.encoder(pretty: false)
    let header = MetricsRow.csvHeader(metricNames: metricNames) + "\n"
    var csvText = header
    var jsonText = ""
    if let rows {
      for row in rows {
        csvText += row.csvLine(metricNames: metricNames) + "\n"
        do {
          jsonText += String(decoding: try encoder.encode(row), as: UTF8.self) + "\n"
        } catch {
          throw RunLogError(path: directory.path, message: "cannot encode a metrics row (\(error))")
        }
      }
      keptRows = rows
    } else if let keepingRows {
      let csvURL = directory.appendingPathComponent("metrics.csv")
      let jsonURL = directory.appendingPathComponent("metrics.jsonl")
      let csvLines = try RunLog.rows(of: csvURL, skipping: 1, keeping: keepingRows)
      let jsonLines = try RunLog.rows(of: jsonURL, skipping: 0, keeping: keepingRows)
      csvText += csvLines.map { $0 + "\n" }.joined()
      jsonText = jsonLines.map { $0 + "\n" }.joined()
      let decoder = RunJSON.decoder()
      keptRows = try jsonLines.enumerated().map { number, line in
        do {
          return try decoder.decode(MetricsRow.self, from: Data(line.utf8))
        } catch {
          throw RunLogError(path: jsonURL.path, message: "row \(number + 1) is not a metrics row (\(error))")
        }
      }
    } else {
      keptRows = []
    }
    csv = try RunLog.replace(directory.appendingPathComponent("metrics.csv"), with: csvText)
    jsonl = try RunLog.replace(directory.appendingPathComponent("metrics.jsonl"), with: jsonText)
  }

  /// The rows the files started with: those restored or kept (decoded from `metrics.jsonl`).
  public let keptRows: [MetricsRow]

  /// The first `keeping` lines of `url` after `skipping` header lines.
  /// - Throws: ``RunLogError`` when the file cannot be read or has fewer lines.
  private static func rows(of url: URL, skipping: Int, keeping: Int) throws -> [String] {
    guard let existing = try? String(contentsOf: url, encoding: .utf8) else {
      throw RunLogError(path: url.path, message: "cannot read the metrics of the run being resumed")
    }
    let lines = existing.split(separator: "\n", omittingEmptySubsequences: true)
    guard lines.count >= skipping + keeping else {
      throw RunLogError(
        path: url.path,
        message: "has \(max(0, lines.count - skipping)) rows, but the checkpoint was written after \(keeping) evaluations")
    }
    return lines[skipping..<(skipping + keeping)].map(String.init)
  }

  /// Replaces `url` with `text` (a temporary file renamed over it; removed if anything fails) and
  /// opens it for appending.
  /// - Throws: ``RunLogError`` naming `url`.
  private static func replace(_ url: URL, with text: String) throws -> FileHandle {
    try writeWhole(Data(text.utf8), to: url)
    guard let handle = try? FileHandle(forWritingTo: url) else {
      throw RunLogError(path: url.path, message: "cannot open for appending")
    }
    _ = try? handle.seekToEnd()
    return handle
  }

  deinit {
    try? csv.close()
    try? jsonl.close()
  }

  /// Appends `row` to both metrics files, whole or not at all: when a write fails (a full disk,
  /// a file-size limit), both files are cut back to their length before it, so neither holds half
  /// a line nor a row the other lacks.
  /// - Throws: ``RunLogError`` naming the file that could not be written and why.
  public func append(_ row: MetricsRow) throws {
    var json: Data
    do {
      json = try encoder.encode(row)
    } catch {
      throw RunLogError(path: directory.path, message: "cannot encode a metrics row (\(error))")
    }
    json.append(0x0A)
    let files = ["metrics.csv", "metrics.jsonl"]
    let failure = WholeAppend.append([
      (csv.fileDescriptor, Data((row.csvLine(metricNames: metricNames) + "\n").utf8)), (jsonl.fileDescriptor, json),
    ])
    if let (index, code) = failure {
      throw RunLogError(
        path: directory.appendingPathComponent(files[index]).path,
        message:
          "cannot append a metrics row (\(WholeAppend.describe(code))); the metrics files keep the rows before it")
    }
  }

  /// Writes `value` as JSON to `name` in the output directory, atomically.
  /// - Throws: ``RunLogError`` when encoding or writing fails.
  public func writeJSON<T: Encodable>(_ value: T, to name: String) throws {
    let url = directory.appendingPathComponent(name)
    let data: Data
    do {
      data = try RunJSON.encoder(pretty: true).encode(value)
    } catch {
      throw RunLogError(path: url.path, message: "cannot encode (\(error))")
    }
    try Self.writeWhole(data, to: url)
  }

  /// Replaces the file at `url` with `data` through ``AtomicFile`` (a temporary file beside it,
  /// flushed, then renamed; removed on any failure), so a reader never sees half a file.
  /// - Throws: ``RunLogError`` naming `url` and the system's reason ("File too large").
  private static func writeWhole(_ data: Data, to url: URL) throws {
    do {
      try AtomicFile.write(data, to: url)
    } catch let error as CheckpointError {
      throw RunLogError(path: url.path, message: error.message)
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
