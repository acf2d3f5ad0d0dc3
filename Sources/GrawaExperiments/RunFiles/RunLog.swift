import Foundation
import GrawaData
import GrawaDistributed
import GrawaNN
import GrawaOptim
import GrawaTensor

/// The files a run writes into its output directory.
///
/// `metrics.csv` and `metrics.jsonl` grow by one line per evaluation and are flushed at once, so
/// a script can follow a run; `config.json` and `summary.json` are written whole, to a temporary
/// file then renamed, so a reader never sees half a file and a failed write never corrupts an
/// existing one.
public final class RunLog: MetricsSink {
  /// The output directory.
  public let directory: URL
  private let csv: FileHandle
  private let jsonl: FileHandle
  private let encoder: JSONEncoder
  /// The strategy metrics that have CSV columns, in order.
  public let metricNames: [String]

  /// Creates `directory` if needed and starts metrics files in it: fresh ones, or, when resuming,
  /// the existing ones cut to their first `keepingRows` rows (rows written after the checkpoint
  /// the run resumes from are dropped, so no row appears twice).
  /// - Parameter metricNames: the strategy metrics that get CSV columns
  ///   (``DistributedTrainer/metricNames``); every metric is in the JSON lines.
  /// - Throws: ``RunLogError`` naming the path that could not be created, read or written.
  public init(directory: URL, keepingRows: Int? = nil, metricNames: [String] = []) throws {
    self.directory = directory
    self.metricNames = metricNames
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
    csv = try start("metrics.csv", header: MetricsRow.csvHeader(metricNames: metricNames))
    jsonl = try start("metrics.jsonl", header: nil)
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
