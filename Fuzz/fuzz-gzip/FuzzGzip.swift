// libFuzzer target: the gzip path of GrawaData (DataFileReader over the system zlib) on
// arbitrary bytes, read twice: with the default 256 KiB input buffer in one call, and with a
// tiny buffer in small reads, so buffer refills and member boundaries land at every offset. Both
// reads must agree (same bytes, or both an error) and stay within the deflate bound; a trap, a
// sanitizer report or a disagreement is a bug. See Fuzz/README.md.
import GrawaData
import _FuzzSupport

/// The per-input harness of `fuzz-gzip`.
enum GzipHarness {
  static let scratch = ScratchFile(target: "fuzz-gzip")

  /// `input[0]` picks the small buffer's size (2...65 bytes), `input[1]` the size of the small
  /// reads (1...256 bytes); the rest is the file.
  static func run(_ input: UnsafeRawBufferPointer) {
    guard input.count >= 2 else { return }
    let bufferSize = 2 + Int(input[0]) % 64
    let readSize = 1 + Int(input[1])
    scratch.write(UnsafeRawBufferPointer(rebasing: input[2...]))

    let whole: [UInt8]?
    do {
      let reader = try DataFileReader(path: scratch.path)
      let content = try reader.readToEnd()
      precondition(content.count <= reader.maximumContentSize, "more than the deflate bound")
      precondition(reader.bytesRead == content.count)
      let more = try reader.hasMoreContent()
      precondition(!more, "content after the end")
      whole = content
    } catch {
      precondition(error is DataError, "not a DataError: \(error)")
      whole = nil
    }

    let pieces: [UInt8]?
    do {
      let reader = try DataFileReader(path: scratch.path, bufferSize: bufferSize)
      var content: [UInt8] = []
      while true {
        let chunk = try reader.readBytes(readSize)
        content += chunk
        if chunk.count < readSize { break }
      }
      pieces = content
    } catch {
      precondition(error is DataError, "not a DataError: \(error)")
      pieces = nil
    }
    precondition(
      whole == pieces,
      "the buffer size changed the result: \(whole?.count ?? -1) vs \(pieces?.count ?? -1) bytes")
  }
}

/// The program: libFuzzer on ``GzipHarness/run(_:)`` with `GRAWA_FUZZ`, else a replay of the
/// files named on the command line.
@main
enum FuzzGzip {
  static func main() {
    #if GRAWA_FUZZ
      FuzzDriver.run { data, size in
        GzipHarness.run(UnsafeRawBufferPointer(start: data, count: size))
        return 0
      }
    #else
      FuzzReplay.main(
        arguments: CommandLine.arguments, scratch: GzipHarness.scratch, harness: GzipHarness.run)
    #endif
  }
}
