import XCTest
import _TestSupport

@testable import GrawaData

final class DataFileReaderTests: XCTestCase {
  private var directory: TemporaryDirectory!

  override func setUpWithError() throws {
    directory = try TemporaryDirectory()
  }

  override func tearDown() {
    directory.remove()
  }

  /// 300 KB of varied bytes: more than the reader's 256 KB input buffer.
  private let content: [UInt8] = (0..<300_000).map {
    UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13)
  }

  func testPlainFile_readsBytesAsIs() throws {
    let path = try directory.write(content, to: "plain.bin")
    let reader = try DataFileReader(path: path)
    XCTAssertFalse(reader.isCompressed)
    XCTAssertEqual(reader.fileSize, content.count)
    XCTAssertEqual(reader.maximumContentSize, content.count)
    XCTAssertEqual(try reader.readBytes(10), Array(content[0..<10]))
    XCTAssertEqual(try reader.readToEnd(), Array(content[10...]))
    XCTAssertFalse(try reader.hasMoreContent())
  }

  func testGzipFile_isDetectedByMagicWhateverItsName() throws {
    let path = try directory.write(gzipCompress(content), to: "no-gz-suffix.bin")
    let reader = try DataFileReader(path: path)
    XCTAssertTrue(reader.isCompressed)
    XCTAssertEqual(try reader.readBytes(5), Array(content[0..<5]))
    XCTAssertEqual(try reader.readToEnd(), Array(content[5...]))
    XCTAssertEqual(reader.bytesRead, content.count)
  }

  func testConcatenatedGzipMembers_readAsOneStream() throws {
    let first = Array(content[0..<1000])
    let second = Array(content[1000..<5000])
    let path = try directory.write(gzipCompress(first) + gzipCompress(second), to: "two-members.gz")
    XCTAssertEqual(try DataFileReader(path: path).readToEnd(), first + second)
  }

  func testTrailingZerosAfterGzipMember_areIgnoredLikeGzread() throws {
    let path = try directory.write(
      gzipCompress(Array(content[0..<100])) + [0, 0, 0, 0], to: "padded.gz")
    XCTAssertEqual(try DataFileReader(path: path).readToEnd(), Array(content[0..<100]))
  }

  func testMissingFile_throwsFileNotFound() {
    let path = directory.file("absent.gz")
    assertDataError(path: path, contains: ["file not found"]) { _ = try DataFileReader(path: path) }
  }

  func testDirectory_throwsIsADirectory() {
    assertDataError(path: directory.path, contains: ["is a directory"]) {
      _ = try DataFileReader(path: directory.path)
    }
  }

  func testTruncatedGzip_throwsNamingFile() throws {
    let compressed = gzipCompress(content)
    let path = try directory.write(Array(compressed[0..<(compressed.count / 2)]), to: "cut.gz")
    assertDataError(path: path, contains: ["truncated gzip"]) {
      _ = try DataFileReader(path: path).readToEnd()
    }
  }

  func testCorruptDeflateBlock_throwsWithZlibsReason() throws {
    var compressed = gzipCompress(content)
    // The first deflate byte follows the 10-byte gzip header; 0b111 = final block of the
    // reserved type 3, which zlib reports as "invalid block type".
    compressed[10] = 0x07
    let path = try directory.write(compressed, to: "corrupt.gz")
    assertDataError(path: path, contains: ["corrupt gzip", "invalid block type"]) {
      _ = try DataFileReader(path: path).readToEnd()
    }
  }

  func testWrongChecksum_throwsWithZlibsReason() throws {
    var compressed = gzipCompress(Array(content[0..<1000]))
    // The trailer is CRC-32 then length, 4 bytes each.
    compressed[compressed.count - 8] ^= 0xFF
    let path = try directory.write(compressed, to: "bad-crc.gz")
    assertDataError(path: path, contains: ["corrupt gzip", "incorrect data check"]) {
      _ = try DataFileReader(path: path).readToEnd()
    }
  }

  func testMaximumContentSize_ofGzipIsTheDeflateBound() throws {
    let compressed = gzipCompress(content)
    let path = try directory.write(compressed, to: "bound.gz")
    let reader = try DataFileReader(path: path)
    XCTAssertEqual(reader.maximumContentSize, compressed.count * 1032)
    XCTAssertGreaterThanOrEqual(reader.maximumContentSize, content.count)
  }

  func testEmptyFile_readsNothing() throws {
    let path = try directory.write([], to: "empty")
    let reader = try DataFileReader(path: path)
    XCTAssertFalse(reader.isCompressed)
    XCTAssertEqual(try reader.readToEnd(), [])
  }
}
