import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Appends lines or records to open files whole or not at all: when a write fails part way (a
/// full disk, a file-size limit, `ulimit -f`), every file of the same append is cut back to its
/// length before it, so a reader never finds half a line, nor a row in one file that another lacks.
enum WholeAppend {
  /// Appends each `data` to the end of its `descriptor`'s file, in order.
  /// - Returns: `nil` on success; on a failure the index of the write that failed and its `errno`,
  ///   after every file was cut back to its length before this call.
  static func append(_ writes: [(descriptor: Int32, data: Data)]) -> (index: Int, code: Int32)? {
    let starts = writes.map { lseek($0.descriptor, 0, SEEK_END) }
    for (index, write) in writes.enumerated() {
      guard let code = writeAll(write.data, to: write.descriptor) else { continue }
      for (earlier, start) in zip(writes, starts) where start >= 0 {
        _ = ftruncate(earlier.descriptor, start)
        _ = lseek(earlier.descriptor, start, SEEK_SET)
      }
      return (index, code)
    }
    return nil
  }

  /// The system's text for `errno` value `code` ("File too large").
  static func describe(_ code: Int32) -> String {
    String(cString: strerror(code))
  }

  /// Writes all of `data` with `write(2)`, retrying after interruptions; the `errno` of a failure.
  private static func writeAll(_ data: Data, to descriptor: Int32) -> Int32? {
    data.withUnsafeBytes { buffer -> Int32? in
      guard let base = buffer.baseAddress else { return nil }
      var offset = 0
      while offset < buffer.count {
        let written = write(descriptor, base + offset, buffer.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          return errno
        }
        offset += written
      }
      return nil
    }
  }
}
