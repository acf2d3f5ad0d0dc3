import Foundation

extension CheckpointFile {
  /// The name of the section that holds the metrics rows (format version 2 on).
  static let rowsSectionName = "metrics.rows"

  /// The rows as the `metrics.rows` section holds them: one JSON object per row, each followed
  /// by a newline, exactly the lines of `metrics.jsonl` (``RunJSON`` coding, keys sorted).
  /// - Throws: ``CheckpointError`` naming `path` when a row cannot be encoded.
  static func encodeRows(_ rows: [MetricsRow], path: String) throws -> [UInt8] {
    let encoder = RunJSON.encoder(pretty: false)
    var bytes: [UInt8] = []
    do {
      for row in rows {
        bytes.append(contentsOf: try encoder.encode(row))
        bytes.append(0x0A)
      }
    } catch {
      throw CheckpointError(path: path, message: "cannot encode the metrics rows (\(describe(error)))")
    }
    return bytes
  }

  /// The rows of a `metrics.rows` section (the last newline may be missing), checked to be at
  /// most `evaluations` (the header's count: a run resumed from a format-1 checkpoint carries
  /// fewer).
  /// - Throws: ``CheckpointError`` naming `path` and the first line that does not decode, or an
  ///   implausible count.
  static func decodeRows(_ bytes: [UInt8], evaluations: Int, path: String) throws -> [MetricsRow] {
    let decoder = RunJSON.decoder()
    var rows: [MetricsRow] = []
    var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
    if lines.last?.isEmpty ?? false { lines.removeLast() }
    for (number, line) in lines.enumerated() {
      guard rows.count < evaluations else {
        throw CheckpointError(
          path: path,
          message: "implausible metrics rows: more than the header's \(evaluations) evaluations")
      }
      do {
        rows.append(try decoder.decode(MetricsRow.self, from: Data(line)))
      } catch {
        throw CheckpointError(
          path: path, message: "malformed metrics rows: row \(number + 1): \(describe(error))")
      }
    }
    return rows
  }
}
