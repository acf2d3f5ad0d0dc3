import CZlib

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads a data file front to back, gunzipping it on the fly when it starts with the gzip magic
/// bytes `1f 8b` (whatever its name), so `train-images-idx3-ubyte.gz` and an uncompressed copy
/// read the same way.
///
/// Decompression goes through the system zlib's `inflate` with a fixed input buffer, so memory
/// stays bounded by what the caller asks for. Concatenated gzip members are read as one stream
/// (like `gzip -d` and zlib's `gzread`); bytes after the last member that do not start another
/// member are ignored, as `gzread` does. Every failure is a ``DataError`` naming the file: a
/// missing file, a directory, a corrupt stream (with zlib's reason), or a stream that ends before
/// its end marker (a truncated download).
///
/// One reader belongs to one thread; it is not `Sendable`. It is `package`, not internal, so the
/// fuzz target `Fuzz/fuzz-gzip` can drive it directly.
package final class DataFileReader {
  /// The file being read, as given.
  package let path: String
  /// Whether the file is gzip-compressed (detected from its first two bytes).
  package let isCompressed: Bool
  /// The file's size on disk in bytes (compressed size for gzip files).
  package let fileSize: Int

  /// Deflate cannot expand data by more than 1032:1 (RFC 1951's longest match from one
  /// 258-byte-per-2-bit code); bounds what a compressed file can hold before allocating.
  package static let maximumInflationRatio = 1032

  /// The input buffer's size when none is given: 256 KiB.
  package static let defaultBufferSize = 1 << 18

  private let descriptor: Int32
  private let input: UnsafeMutableRawBufferPointer
  /// Valid buffered input bytes are `input[inputStart..<inputEnd]`.
  private var inputStart = 0
  private var inputEnd = 0
  private var fileAtEnd = false
  /// zlib keeps a pointer back to its stream, so the stream lives at a fixed heap address.
  private let stream: UnsafeMutablePointer<z_stream>?
  /// True once the (last) gzip member has ended, or a plain file is exhausted.
  private var contentEnded = false
  /// Decompressed (or plain) bytes handed out so far.
  package private(set) var bytesRead = 0
  /// How many content bytes the caller expects in all, once it knows (an IDX header tells), so
  /// that a truncated gzip stream is reported against it.
  package var expectedContentSize: Int?

  /// Opens `path` and sniffs its first bytes.
  /// - Parameters:
  ///   - path: the file.
  ///   - bufferSize: the input buffer's size in bytes, at least 2 (the gzip magic must fit);
  ///     smaller values are raised to 2. Only the fuzz target changes it, to move buffer refills
  ///     to every possible offset of a small file.
  /// - Throws: ``DataError`` when the file is missing, unreadable or a directory, or zlib cannot
  ///   start.
  package init(path: String, bufferSize: Int = DataFileReader.defaultBufferSize) throws {
    self.path = path
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else {
      let code = errno
      if code == ENOENT {
        throw DataError(path: path, "file not found")
      }
      throw DataError(path: path, "cannot open file (\(DataFileReader.systemMessage(code)))")
    }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      let code = errno
      close(fd)
      throw DataError(path: path, "cannot inspect file (\(DataFileReader.systemMessage(code)))")
    }
    guard (info.st_mode & S_IFMT) != S_IFDIR else {
      close(fd)
      throw DataError(path: path, "is a directory, expected a data file")
    }
    descriptor = fd
    fileSize = Int(info.st_size)
    input = UnsafeMutableRawBufferPointer.allocate(byteCount: max(2, bufferSize), alignment: 16)
    // Sniff: the first refill reads up to a buffer's worth; look at its first two bytes.
    var compressed = false
    var openedStream: UnsafeMutablePointer<z_stream>?
    do {
      try DataFileReader.refill(fd, input, &inputStart, &inputEnd, &fileAtEnd, path)
      compressed = inputEnd - inputStart >= 2 && input[0] == 0x1F && input[1] == 0x8B
      if compressed {
        openedStream = try DataFileReader.makeInflater(path: path)
      }
    } catch {
      input.deallocate()
      close(fd)
      throw error
    }
    isCompressed = compressed
    stream = openedStream
  }

  deinit {
    if let stream {
      inflateEnd(stream)
      stream.deinitialize(count: 1)
      stream.deallocate()
    }
    input.deallocate()
    close(descriptor)
  }

  /// The most content bytes this file can hold: its size if plain, the deflate bound if gzip.
  /// Lets readers reject a header that claims more data than the file could contain before
  /// allocating anything.
  package var maximumContentSize: Int {
    guard isCompressed else { return fileSize }
    let (bound, overflow) = fileSize.multipliedReportingOverflow(
      by: DataFileReader.maximumInflationRatio)
    return overflow ? Int.max : bound
  }

  /// Fills `destination` from the file; returns fewer bytes than its count only at the end of
  /// the content.
  /// - Throws: ``DataError`` on a read error, corrupt gzip data or a truncated gzip stream.
  package func read(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
    var produced = 0
    while produced < destination.count && !contentEnded {
      let rest = UnsafeMutableRawBufferPointer(rebasing: destination[produced...])
      let count = isCompressed ? try inflateSome(into: rest) : try readPlain(into: rest)
      produced += count
      // Counted as it comes, so an error later in this call reports what was really read.
      bytesRead += count
    }
    return produced
  }

  /// Reads up to `count` bytes (fewer only at the end of the content).
  /// - Throws: as ``read(into:)``.
  package func readBytes(_ count: Int) throws -> [UInt8] {
    var filled = 0
    var failure: Error?
    let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      do {
        filled = try read(into: UnsafeMutableRawBufferPointer(buffer))
      } catch {
        failure = error
      }
      // Bytes past `filled` are dropped uninitialised; UInt8 is trivial, so that is safe.
      initialized = failure == nil ? filled : 0
    }
    if let failure { throw failure }
    return bytes
  }

  /// Reads everything that is left.
  /// - Throws: as ``read(into:)``.
  package func readToEnd() throws -> [UInt8] {
    var result: [UInt8] = []
    if !isCompressed {
      result.reserveCapacity(max(0, fileSize - bytesRead))
    }
    let chunkSize = 1 << 20
    while true {
      let chunk = try readBytes(chunkSize)
      result.append(contentsOf: chunk)
      if chunk.count < chunkSize { return result }
    }
  }

  /// Whether any content remains (reads ahead one byte when needed; used to detect extra data).
  /// - Throws: as ``read(into:)``.
  package func hasMoreContent() throws -> Bool {
    var probe: UInt8 = 0
    let count = try withUnsafeMutableBytes(of: &probe) { try read(into: $0) }
    return count > 0
  }

  // MARK: - Plain files

  private func readPlain(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
    // Bytes sniffed into the input buffer first, then straight from the file.
    if inputStart < inputEnd {
      let count = min(destination.count, inputEnd - inputStart)
      destination.copyMemory(
        from: UnsafeRawBufferPointer(rebasing: input[inputStart..<(inputStart + count)]))
      inputStart += count
      return count
    }
    guard let base = destination.baseAddress, destination.count > 0 else { return 0 }
    while true {
      let result = systemRead(descriptor, base, destination.count)
      if result > 0 { return result }
      if result == 0 {
        contentEnded = true
        return 0
      }
      let code = errno
      if code != EINTR {
        throw DataError(path: path, "read error (\(DataFileReader.systemMessage(code)))")
      }
    }
  }

  // MARK: - Gzip files

  private static func makeInflater(path: String) throws -> UnsafeMutablePointer<z_stream> {
    let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    stream.initialize(to: z_stream())
    // windowBits 15 + 16: a gzip wrapper (header, CRC-32 and length checked by zlib).
    let status = inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    guard status == Z_OK else {
      stream.deinitialize(count: 1)
      stream.deallocate()
      throw DataError(path: path, "zlib cannot start decompression (status \(status))")
    }
    return stream
  }

  private func inflateSome(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
    guard let stream, let out = destination.baseAddress else { return 0 }
    if inputStart == inputEnd {
      try DataFileReader.refill(descriptor, input, &inputStart, &inputEnd, &fileAtEnd, path)
      if inputStart == inputEnd {
        throw truncatedStream()
      }
    }
    let available = inputEnd - inputStart
    let capacity = min(destination.count, Int(UInt32.max))
    stream.pointee.next_in = input.baseAddress?.advanced(by: inputStart).assumingMemoryBound(
      to: Bytef.self)
    stream.pointee.avail_in = uInt(available)
    stream.pointee.next_out = out.assumingMemoryBound(to: Bytef.self)
    stream.pointee.avail_out = uInt(capacity)
    let status = inflate(stream, Z_NO_FLUSH)
    let consumed = available - Int(stream.pointee.avail_in)
    inputStart += consumed
    let produced = capacity - Int(stream.pointee.avail_out)
    switch status {
    case Z_OK:
      return produced
    case Z_STREAM_END:
      try startNextMemberIfAny()
      return produced
    case Z_BUF_ERROR:
      // Input and output space were both available, so zlib could not use what it was given.
      if produced > 0 || consumed > 0 { return produced }
      throw DataError(
        path: path, "corrupt gzip data: zlib made no progress after \(bytesRead) decompressed bytes"
      )
    case Z_DATA_ERROR:
      throw DataError(
        path: path, "corrupt gzip data (zlib: \(zlibReason(stream, fallback: "invalid data")))")
    case Z_MEM_ERROR:
      throw DataError(path: path, "out of memory while decompressing (zlib)")
    default:
      throw DataError(
        path: path,
        "gzip decompression failed (zlib status \(status): \(zlibReason(stream, fallback: "no message")))"
      )
    }
  }

  /// The error for a gzip file that ends before its stream's end marker (a cut download): the
  /// compressed size, the bytes it decompressed to, and what was expected when known.
  private func truncatedStream() -> DataError {
    var text =
      "truncated gzip stream: the file's \(fileSize) compressed bytes end before the stream's end marker, "
      + "after \(bytesRead) decompressed bytes"
    if let expected = expectedContentSize, expected > bytesRead {
      text += " of the \(expected) expected"
    } else if let expected = expectedContentSize {
      text += " (all \(expected) expected bytes; the checksum and length trailer is missing)"
    }
    return DataError(path: path, text)
  }

  /// After a member's end: another member follows if the next two bytes are the gzip magic;
  /// anything else ends the content (trailing bytes are ignored, as zlib's `gzread` does).
  private func startNextMemberIfAny() throws {
    guard let stream else { return }
    if inputEnd - inputStart < 2 {
      try DataFileReader.refill(descriptor, input, &inputStart, &inputEnd, &fileAtEnd, path)
    }
    let start = inputStart
    if inputEnd - start >= 2 && input[start] == 0x1F && input[start + 1] == 0x8B {
      inflateReset(stream)
    } else {
      contentEnded = true
    }
  }

  private func zlibReason(_ stream: UnsafeMutablePointer<z_stream>, fallback: String) -> String {
    guard let message = stream.pointee.msg else { return fallback }
    return String(cString: message)
  }

  // MARK: - Shared

  /// Moves unread input to the front of the buffer and reads more from the file.
  private static func refill(
    _ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, _ start: inout Int, _ end: inout Int,
    _ atEnd: inout Bool, _ path: String
  ) throws {
    if start > 0 {
      let remaining = end - start
      if remaining > 0, let base = buffer.baseAddress {
        memmove(base, base.advanced(by: start), remaining)
      }
      start = 0
      end = remaining
    }
    guard let base = buffer.baseAddress else { return }
    while !atEnd && end < buffer.count {
      let result = systemRead(fd, base.advanced(by: end), buffer.count - end)
      if result > 0 {
        end += result
        return
      }
      if result == 0 {
        atEnd = true
        return
      }
      let code = errno
      if code != EINTR {
        throw DataError(path: path, "read error (\(systemMessage(code)))")
      }
    }
  }

  private static func systemMessage(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return String(cString: text)
  }
}

/// `read(2)` under another name: inside ``DataFileReader`` the method `read(into:)` would
/// shadow it.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
  read(fd, buffer, count)
}
