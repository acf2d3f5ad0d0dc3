import Foundation
import XCTest
import _TestSupport

@testable import GrawaData

final class IDXReaderTests: XCTestCase {
  private var directory: TemporaryDirectory!

  override func setUpWithError() throws {
    directory = try TemporaryDirectory()
  }

  override func tearDown() {
    directory.remove()
  }

  /// Three 2x3 images with pixels 0...17.
  private let pixels: [UInt8] = Array(0..<18)
  private var imagesFile: [UInt8] {
    idxFile(magic: 0x0803, dimensions: [3, 2, 3], payload: pixels)
  }
  private var labelsFile: [UInt8] { idxFile(magic: 0x0801, dimensions: [3], payload: [2, 0, 1]) }

  // MARK: - Reading

  func testPlainAndGzipImages_readIdentically() throws {
    let plain = try directory.write(imagesFile, to: "images-idx3-ubyte")
    let gzip = try directory.write(gzipCompress(imagesFile), to: "images-idx3-ubyte.gz")
    let expected = IDXImages(count: 3, height: 2, width: 3, pixels: pixels)
    XCTAssertEqual(try IDXReader.readImages(at: plain), expected)
    XCTAssertEqual(try IDXReader.readImages(at: gzip), expected)
  }

  func testLoadDataset_pairsImagesWithLabels() throws {
    let images = try directory.write(gzipCompress(imagesFile), to: "i.gz")
    let labels = try directory.write(labelsFile, to: "l")
    let dataset = try IDXReader.loadDataset(
      name: "tiny", imagesPath: images, labelsPath: labels, classCount: 3)
    XCTAssertEqual(dataset.imageShape, ImageShape(channels: 1, height: 2, width: 3))
    XCTAssertEqual(dataset.labels, [2, 0, 1])
    XCTAssertEqual(Array(dataset.pixels(at: 1)), Array(pixels[6..<12]))
  }

  func testLoadTrainAndTest_takesGzipOrPlainFiles() throws {
    try directory.write(gzipCompress(imagesFile), to: "train-images-idx3-ubyte.gz")
    try directory.write(labelsFile, to: "train-labels-idx1-ubyte")
    try directory.write(imagesFile, to: "t10k-images-idx3-ubyte")
    try directory.write(gzipCompress(labelsFile), to: "t10k-labels-idx1-ubyte.gz")
    let splits = try IDXReader.loadTrainAndTest(
      directory: directory.path, name: "tiny", classCount: 3)
    XCTAssertEqual(splits.train.name, "tiny/train")
    XCTAssertEqual(splits.test.name, "tiny/test")
    XCTAssertEqual(splits.train.images, pixels)
    XCTAssertEqual(splits.test.labels, [2, 0, 1])
  }

  // MARK: - Bad input

  func testMissingImages_throwsNamingFile() throws {
    try directory.write(labelsFile, to: "train-labels-idx1-ubyte")
    assertDataError(
      path: directory.file("train-images-idx3-ubyte.gz"), contains: ["file not found"]
    ) {
      _ = try IDXReader.loadTrainAndTest(directory: directory.path, name: "tiny", classCount: 3)
    }
  }

  func testMissingFileGivenByPath_throwsNamingFile() {
    let path = directory.file("nothing-here")
    assertDataError(path: path, contains: ["file not found"]) {
      _ = try IDXReader.readImages(at: path)
    }
  }

  func testTruncatedHeader_throwsNamingFile() throws {
    let short = try directory.write([0, 0, 8], to: "short")
    assertDataError(path: short, contains: ["truncated header", "3 bytes"]) {
      _ = try IDXReader.readImages(at: short)
    }
    let partialSizes = try directory.write(Array(imagesFile[0..<10]), to: "partial")
    assertDataError(path: partialSizes, contains: ["truncated header", "needs 16"]) {
      _ = try IDXReader.readImages(at: partialSizes)
    }
  }

  func testTruncatedImages_throwsNamingFile() throws {
    let path = try directory.write(Array(imagesFile.dropLast(5)), to: "cut")
    assertDataError(path: path, contains: ["truncated", "3 images of 2x3", "18 bytes", "only 13"]) {
      _ = try IDXReader.readImages(at: path)
    }
  }

  func testTruncatedGzipImages_throwsNamingFile() throws {
    let big = idxFile(
      magic: 0x0803, dimensions: [100, 28, 28], payload: (0..<78_400).map { UInt8($0 % 251) })
    let compressed = gzipCompress(big)
    let path = try directory.write(Array(compressed.dropLast(compressed.count / 3)), to: "cut.gz")
    assertDataError(path: path, contains: ["truncated"]) { _ = try IDXReader.readImages(at: path) }
  }

  func testCompleteGzipStreamWithShortPayload_throwsTruncated() throws {
    let path = try directory.write(
      gzipCompress(Array(imagesFile.dropLast(1))), to: "short-payload.gz")
    assertDataError(path: path, contains: ["truncated", "only 17 bytes"]) {
      _ = try IDXReader.readImages(at: path)
    }
  }

  func testWrongMagic_throwsNamingFileAndMagic() throws {
    let path = try directory.write(
      idxFile(magic: 0x1234_5678, dimensions: [3, 2, 3], payload: pixels), to: "x")
    assertDataError(path: path, contains: ["not an IDX file", "0x12345678", "0x00000803"]) {
      _ = try IDXReader.readImages(at: path)
    }
  }

  func testWrongElementType_throwsNamingType() throws {
    let path = try directory.write(
      idxFile(magic: 0x0D03, dimensions: [3, 2, 3], payload: pixels), to: "floats")
    assertDataError(
      path: path, contains: ["wrong magic number", "0x00000D03", "not unsigned byte"]
    ) {
      _ = try IDXReader.readImages(at: path)
    }
  }

  func testWrongRank_throwsWrongDimensions() throws {
    let path = try directory.write(
      idxFile(magic: 0x0804, dimensions: [3, 1, 2, 3], payload: pixels), to: "rank4")
    assertDataError(path: path, contains: ["wrong dimensions", "rank 4", "expected rank 3"]) {
      _ = try IDXReader.readImages(at: path)
    }
  }

  func testLabelsFilePassedAsImages_saysSwapped() throws {
    let path = try directory.write(labelsFile, to: "labels")
    assertDataError(path: path, contains: ["is an IDX labels file", "expected images", "swapped"]) {
      _ = try IDXReader.readImages(at: path)
    }
  }

  func testImagesFilePassedAsLabels_saysSwapped() throws {
    let path = try directory.write(imagesFile, to: "images")
    assertDataError(path: path, contains: ["is an IDX images file", "expected labels", "swapped"]) {
      _ = try IDXReader.readLabels(at: path, classCount: 10)
    }
  }

  func testCountMismatch_throwsNamingBothFiles() throws {
    let images = try directory.write(imagesFile, to: "images")
    let labels = try directory.write(
      idxFile(magic: 0x0801, dimensions: [2], payload: [0, 1]), to: "labels")
    assertDataError(path: labels, contains: ["2 labels", images, "3 images"]) {
      _ = try IDXReader.loadDataset(
        name: "t", imagesPath: images, labelsPath: labels, classCount: 3)
    }
  }

  func testLabelOutOfRange_throwsNamingFileLabelAndIndex() throws {
    let path = try directory.write(
      idxFile(magic: 0x0801, dimensions: [3], payload: [1, 10, 2]), to: "labels")
    assertDataError(path: path, contains: ["label 10 at index 1", "out of range for 10 classes"]) {
      _ = try IDXReader.readLabels(at: path, classCount: 10)
    }
  }

  func testHugeHeader_failsBeforeAllocating() throws {
    // 10^9 images of 1000x1000 = 10^15 bytes claimed by a 16-byte header.
    let plain = try directory.write(
      idxFile(magic: 0x0803, dimensions: [1_000_000_000, 1000, 1000], payload: []), to: "huge")
    assertDataError(path: plain, contains: ["truncated", "1000000000 images", "only 0 bytes"]) {
      _ = try IDXReader.readImages(at: plain)
    }
    let gzip = try directory.write(
      gzipCompress(Array(try Data(contentsOf: URL(fileURLWithPath: plain)))), to: "huge.gz")
    assertDataError(path: gzip, contains: ["truncated", "can hold at most"]) {
      _ = try IDXReader.readImages(at: gzip)
    }
    // Sizes whose product overflows Int.
    let overflow = try directory.write(
      idxFile(magic: 0x0803, dimensions: [UInt32.max, UInt32.max, UInt32.max], payload: []),
      to: "overflow")
    assertDataError(path: overflow, contains: ["truncated", "more than"]) {
      _ = try IDXReader.readImages(at: overflow)
    }
  }

  func testZeroSizedImages_throw() throws {
    let path = try directory.write(
      idxFile(magic: 0x0803, dimensions: [3, 0, 3], payload: []), to: "zero")
    assertDataError(path: path, contains: ["zero-sized images"]) {
      _ = try IDXReader.readImages(at: path)
    }
  }

  func testExtraDataAfterPayload_throws() throws {
    let path = try directory.write(gzipCompress(imagesFile + [7]), to: "extra.gz")
    assertDataError(path: path, contains: ["unexpected data after the 3 images"]) {
      _ = try IDXReader.readImages(at: path)
    }
  }

  func testCorruptGzip_throwsWithZlibReason() throws {
    var compressed = gzipCompress(imagesFile)
    compressed[10] = 0x07
    let path = try directory.write(compressed, to: "corrupt.gz")
    assertDataError(path: path, contains: ["corrupt gzip", "zlib"]) {
      _ = try IDXReader.readImages(at: path)
    }
  }

  // MARK: - The real Fashion-MNIST

  func testFashionMNIST_hasTheExpectedCountsShapesAndStatistics() throws {
    let splits = try FashionMNISTFixture.load()
    XCTAssertEqual(splits.train.count, 60_000)
    XCTAssertEqual(splits.test.count, 10_000)
    XCTAssertEqual(splits.train.imageShape, ImageShape(channels: 1, height: 28, width: 28))
    XCTAssertEqual(splits.train.classCounts(), [Int](repeating: 6000, count: 10))
    XCTAssertEqual(splits.test.classCounts(), [Int](repeating: 1000, count: 10))
    let statistics = splits.train.channelStatistics()
    print("Fashion-MNIST training set: \(statistics)")
    XCTAssertEqual(statistics.mean[0], 0.286, accuracy: 0.002)
    XCTAssertEqual(statistics.std[0], 0.353, accuracy: 0.002)
  }

  // MARK: - Weak points of issue 16

  func testDirectoryWhereTheImagesFileShouldBe_isReportedAsADirectoryNamingIt() throws {
    for name in ["train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"] {
      let root = try TemporaryDirectory()
      defer { root.remove() }
      try root.write(labelsFile, to: "train-labels-idx1-ubyte")
      try FileManager.default.createDirectory(atPath: root.file(name), withIntermediateDirectories: false)
      assertDataError(path: root.file(name), contains: ["is a directory", "train-images-idx3-ubyte"]) {
        _ = try IDXReader.loadTrainAndTest(directory: root.path, name: "tiny", classCount: 3)
      }
    }
  }

  func testMissingDataDirectory_isNamedAsSuch() {
    let missing = directory.file("not-there")
    assertDataError(path: missing, contains: ["data directory not found", "train-images-idx3-ubyte"]) {
      _ = try IDXReader.loadTrainAndTest(directory: missing, name: "tiny", classCount: 3)
    }
  }

  func testTruncatedGzipImages_reportTheCompressedSizeAndHowFarTheStreamGot() throws {
    // 40,000 pseudo-random pixels: compresses little, so half the file decompresses to well
    // past the header.
    var state: UInt32 = 12_345
    let payload = (0..<40_000).map { _ -> UInt8 in
      state = state &* 1_664_525 &+ 1_013_904_223
      return UInt8(truncatingIfNeeded: state >> 24)
    }
    let compressed = gzipCompress(idxFile(magic: 0x0803, dimensions: [50, 40, 20], payload: payload))
    let cut = Array(compressed.prefix(compressed.count / 2))
    let path = try directory.write(cut, to: "cut.gz")
    let error = assertDataError(
      path: path, contains: ["truncated gzip stream", "\(cut.count) compressed bytes", "of the 40016 expected"]
    ) { _ = try IDXReader.readImages(at: path) }
    // The count decompressed before the cut: more than the 16 header bytes (what the message
    // used to claim), less than the whole file.
    let message = try XCTUnwrap(error?.message)
    let words = message.split(separator: " ")
    let decompressed = try XCTUnwrap(
      words.firstIndex(of: "decompressed").flatMap { Int(words[$0 - 1]) }, message)
    XCTAssertGreaterThan(decompressed, 10_000, message)
    XCTAssertLessThan(decompressed, 40_016, message)
  }

  func testGzipCutInItsTrailer_saysTheTrailerIsMissing() throws {
    let compressed = gzipCompress(imagesFile)
    let path = try directory.write(Array(compressed.dropLast(8)), to: "no-trailer.gz")
    assertDataError(
      path: path, contains: ["truncated gzip stream", "\(compressed.count - 8) compressed bytes", "trailer is missing"]
    ) { _ = try IDXReader.readImages(at: path) }
  }
}
