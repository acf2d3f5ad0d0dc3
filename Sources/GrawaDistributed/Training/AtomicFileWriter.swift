import CZlib
import Foundation
import GrawaOptim

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

extension AtomicFileWriter {
  /// Appends a section's elements as little-endian bit patterns.
  mutating func append(_ payload: Payload) throws {
    switch payload {
    case .float32(let values):
      #if _endian(big)
        try values.map { $0.bitPattern.littleEndian }.withUnsafeBytes { try append($0) }
      #else
        try values.withUnsafeBytes { try append($0) }
      #endif
    case .uint64(let values):
      #if _endian(big)
        try values.map { $0.littleEndian }.withUnsafeBytes { try append($0) }
      #else
        try values.withUnsafeBytes { try append($0) }
      #endif
    case .uint8(let values):
      try values.withUnsafeBytes { try append($0) }
    }
  }
}

// MARK: - Atomic writing

/// Writes a file under a temporary name in its target's directory, and renames it over the
/// target only once every byte is on disk; a failed write, flush or rename removes the temporary
/// file itself, and ``discard()`` removes it when the caller gives up.
struct AtomicFileWriter {
  /// The file to replace.
  let target: String
  /// The file being written.
  let temporary: String
  private let directory: String
  private var descriptor: Int32
  /// The CRC-32 of everything appended so far.
  private(set) var checksum: UInt32 = 0

  init(target url: URL) throws {
    target = url.path
    let directoryURL = url.deletingLastPathComponent()
    directory = directoryURL.path
    temporary =
      directoryURL.appendingPathComponent(
        ".\(url.lastPathComponent).partial-\(UUID().uuidString)"
      ).path
    descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      let code = errno
      throw CheckpointError(
        path: target,
        message: "cannot create the temporary file \(temporary) (\(Self.describe(code)))")
    }
  }

  mutating func append(_ bytes: UnsafeRawBufferPointer) throws {
    guard let base = bytes.baseAddress else { return }
    checksum = CheckpointFile.checksum(bytes, continuing: checksum)
    var written = 0
    while written < bytes.count {
      let length = min(bytes.count - written, 1 << 30)
      let result = write(descriptor, base + written, length)
      if result < 0 {
        let code = errno
        if code == EINTR { continue }
        throw abandon(code, "cannot write")
      }
      written += result
    }
  }

  /// Flushes and closes the temporary file and renames it over the target.
  mutating func commit() throws {
    guard fsync(descriptor) == 0 else { throw abandon(errno, "cannot flush") }
    let closed = close(descriptor)
    descriptor = -1
    guard closed == 0 else { throw abandon(errno, "cannot close") }
    guard rename(temporary, target) == 0 else {
      throw abandon(errno, "cannot rename the temporary file over it")
    }
    // Best effort: make the rename itself durable.
    let directoryDescriptor = open(directory, O_RDONLY)
    if directoryDescriptor >= 0 {
      _ = fsync(directoryDescriptor)
      _ = close(directoryDescriptor)
    }
  }

  /// Closes (if still open) and removes the temporary file.
  mutating func discard() {
    if descriptor >= 0 {
      _ = close(descriptor)
      descriptor = -1
    }
    _ = unlink(temporary)
  }

  /// Removes the temporary file after a failure (a full disk, a file-size limit, an I/O error)
  /// and returns the error naming the target, what failed and why (`code`, an `errno` value).
  private mutating func abandon(_ code: Int32, _ what: String) -> CheckpointError {
    discard()
    return CheckpointError(
      path: target,
      message: "\(what) (\(Self.describe(code))); the temporary file was removed, an existing file is untouched")
  }

  private static func describe(_ code: Int32) -> String {
    String(cString: strerror(code))
  }
}
