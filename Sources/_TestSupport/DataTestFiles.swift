import CZlib
import Foundation
import XCTest

import GrawaData

/// A fresh directory under the system's temporary directory, removed with ``remove()``.
public struct TemporaryDirectory {
  public let path: String

  public init() throws {
    path = NSTemporaryDirectory() + "grawa-data-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  /// `path/name`.
  public func file(_ name: String) -> String { path + "/" + name }

  /// Writes `bytes` to `path/name` (creating subdirectories) and returns the full path.
  @discardableResult
  public func write(_ bytes: [UInt8], to name: String) throws -> String {
    let full = file(name)
    let directory = (full as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try Data(bytes).write(to: URL(fileURLWithPath: full))
    return full
  }

  public func remove() {
    try? FileManager.default.removeItem(atPath: path)
  }
}

/// `bytes` compressed as one gzip member by the system zlib (deflateInit2 with windowBits 31).
public func gzipCompress(_ bytes: [UInt8]) -> [UInt8] {
  var stream = z_stream()
  let status = deflateInit2_(
    &stream, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
    Int32(MemoryLayout<z_stream>.size))
  precondition(status == Z_OK, "deflateInit2 failed: \(status)")
  var input = bytes
  var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 64)
  var written = 0
  input.withUnsafeMutableBufferPointer { source in
    output.withUnsafeMutableBufferPointer { destination in
      stream.next_in = source.baseAddress
      stream.avail_in = uInt(source.count)
      stream.next_out = destination.baseAddress
      stream.avail_out = uInt(destination.count)
      let result = deflate(&stream, Z_FINISH)
      precondition(result == Z_STREAM_END, "deflate did not finish: \(result)")
      written = destination.count - Int(stream.avail_out)
    }
  }
  deflateEnd(&stream)
  return Array(output[0..<written])
}

/// A big-endian 32-bit word.
public func bigEndian(_ value: UInt32) -> [UInt8] {
  [
    UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF),
    UInt8(value & 0xFF),
  ]
}

/// An IDX file: `magic`, one big-endian word per dimension, then `payload`.
public func idxFile(magic: UInt32, dimensions: [UInt32], payload: [UInt8]) -> [UInt8] {
  bigEndian(magic) + dimensions.flatMap(bigEndian) + payload
}

/// Asserts that `body` throws a ``DataError`` whose path is `path` and whose message contains
/// every string of `fragments` (case-insensitive); returns the error for further checks.
@discardableResult
public func assertDataError(
  path: String?, contains fragments: [String], file: StaticString = #filePath, line: UInt = #line,
  _ body: () throws -> Void
) -> DataError? {
  do {
    try body()
    XCTFail(
      "expected a DataError containing \(fragments), nothing was thrown", file: file, line: line)
    return nil
  } catch let error as DataError {
    XCTAssertEqual(error.path, path, "error: \(error)", file: file, line: line)
    for fragment in fragments {
      XCTAssertTrue(
        error.message.lowercased().contains(fragment.lowercased()),
        "message \"\(error.message)\" lacks \"\(fragment)\"", file: file, line: line)
    }
    return error
  } catch {
    XCTFail("expected a DataError, got \(error)", file: file, line: line)
    return nil
  }
}
