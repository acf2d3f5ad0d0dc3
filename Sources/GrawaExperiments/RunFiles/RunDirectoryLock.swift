import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One writer per run directory: an advisory lock (`flock`) on `DIR/.grawa-lock`, held while the
/// value lives, with the holder's process id written in the file so a second writer is told who
/// holds it. The kernel releases the lock when the holder exits, however it exits, so a crashed
/// run never leaves a directory locked. Taking the lock removes the temporary files killed writes
/// left behind (``removedFiles``).
public final class RunDirectoryLock {
  /// The lock file's name inside the run directory.
  public static let fileName = ".grawa-lock"
  /// The run directory.
  public let directory: URL
  private let descriptor: Int32

  /// Creates `directory` if needed and takes its lock.
  /// - Throws: ``RunLogError`` naming the directory and the holder's pid when another process
  ///   holds the lock, or the file cannot be created.
  public init(directory: URL) throws {
    self.directory = directory
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
      throw RunLogError(path: directory.path, message: "cannot create the output directory (\(error.localizedDescription))")
    }
    let path = directory.appendingPathComponent(RunDirectoryLock.fileName).path
    let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw RunLogError(path: path, message: "cannot open the lock file (\(String(cString: strerror(errno))))")
    }
    guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
      let holder = RunDirectoryLock.readHolder(descriptor)
      close(descriptor)
      throw RunLogError(
        path: directory.path,
        message: "the run directory is in use by another process"
          + (holder.map { " (pid \($0))" } ?? "") + ": wait for it to finish or stop it, then try again")
    }
    self.descriptor = descriptor
    let pid = Array("\(getpid())\n".utf8)
    _ = ftruncate(descriptor, 0)
    _ = pid.withUnsafeBufferPointer { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    removedFiles = RunDirectoryLock.removeStaleTemporaries(in: directory)
  }

  /// The temporary files of killed writes removed when the lock was taken (their names).
  public private(set) var removedFiles: [String] = []

  /// Whether `name` is a temporary file a run's writes leave behind when the process dies
  /// mid-write: a checkpoint's `.<name>.partial-<UUID>`, or a run file's `<name>.tmp`
  /// (`metrics.csv.tmp`, `config.json.tmp`, ...).
  public static func isStaleTemporary(_ name: String) -> Bool {
    if name.hasPrefix("."), name.contains(".partial-") { return true }
    guard name.hasSuffix(".tmp") else { return false }
    let stem = name.dropLast(4)
    return [".csv", ".jsonl", ".json"].contains { stem.hasSuffix($0) }
  }

  /// Removes the stale temporaries (``isStaleTemporary(_:)``) in `directory`. Safe only under the
  /// lock: no other writer of the directory can be in the middle of a write.
  /// - Returns: the names removed.
  static func removeStaleTemporaries(in directory: URL) -> [String] {
    let manager = FileManager.default
    guard let names = try? manager.contentsOfDirectory(atPath: directory.path) else { return [] }
    var removed: [String] = []
    for name in names.sorted() where isStaleTemporary(name) {
      if (try? manager.removeItem(at: directory.appendingPathComponent(name))) != nil { removed.append(name) }
    }
    return removed
  }

  deinit {
    flock(descriptor, LOCK_UN)
    close(descriptor)
  }

  /// The process id written in the lock file, if it reads as one.
  private static func readHolder(_ descriptor: Int32) -> Int32? {
    var buffer = [UInt8](repeating: 0, count: 32)
    let count = buffer.withUnsafeMutableBufferPointer { pread(descriptor, $0.baseAddress, $0.count, 0) }
    guard count > 0 else { return nil }
    return Int32(String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
  }
}
