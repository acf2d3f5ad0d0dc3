import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes to standard output and standard error with `write(2)`, so that a stream that cannot be
/// written (a closed pipe, a full disk, `> /dev/full`) is an error the command reports, not a trap
/// in Foundation.
///
/// The first failed write to standard output is remembered and output stops there; training goes
/// on (so `grawa-train train ... | head -1` does not lose the run) and ``GrawaCLI/run(_:)`` exits
/// with code 1 at the end, naming the failure on standard error.
enum StandardStreams {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var outputFailure: String?

  /// Why standard output could not be written, if it could not.
  static var standardOutputFailure: String? {
    lock.lock()
    defer { lock.unlock() }
    return outputFailure
  }

  /// Writes `text` to standard output unless an earlier write failed.
  static func writeOutput(_ text: String) {
    lock.lock()
    defer { lock.unlock() }
    guard outputFailure == nil else { return }
    if let error = writeAll(Array(text.utf8), to: STDOUT_FILENO) {
      outputFailure = error
    }
  }

  /// Writes `text` to standard error (a failure there has nowhere to be reported, so it is
  /// dropped).
  static func writeError(_ text: String) {
    _ = writeAll(Array(text.utf8), to: STDERR_FILENO)
  }

  /// Turns off the signals that would kill the process on an output error: SIGPIPE (a closed
  /// pipe) and SIGXFSZ (a file-size limit, `ulimit -f`), so the write fails with EPIPE or EFBIG
  /// and the error is reported.
  static func ignoreOutputSignals() {
    signal(SIGPIPE, SIG_IGN)
    signal(SIGXFSZ, SIG_IGN)
  }

  /// Writes every byte, retrying after interruptions; the error's description on failure.
  private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> String? {
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeBufferPointer { buffer in
        write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
      }
      if written < 0 {
        if errno == EINTR { continue }
        return String(cString: strerror(errno))
      }
      offset += written
    }
    return nil
  }
}
