import Foundation

/// Whole-file writes that never leave a half-written file: the bytes go to a temporary file
/// beside the target (`.NAME.partial-UUID`), are flushed to disk, and are renamed over the target
/// only then; on any failure the temporary file is removed and the target is untouched. The same
/// mechanism as checkpoints (docs/checkpoint-format.md).
public enum AtomicFile {
  /// Replaces the file at `url` with `data`.
  /// - Throws: ``CheckpointError`` naming the file and the system's reason (a full disk, a
  ///   file-size limit, a missing directory or permission).
  public static func write(_ data: Data, to url: URL) throws {
    var file = try AtomicFileWriter(target: url)
    do {
      try data.withUnsafeBytes { try file.append($0) }
      try file.commit()
    } catch {
      file.discard()
      throw error
    }
  }
}
