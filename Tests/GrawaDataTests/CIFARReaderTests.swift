import XCTest
import _TestSupport

@testable import GrawaData

final class CIFARReaderTests: XCTestCase {
  private var directory: TemporaryDirectory!

  override func setUpWithError() throws {
    directory = try TemporaryDirectory()
  }

  override func tearDown() {
    directory.remove()
  }

  /// A hand-made 3x32x32 image: red plane 10, green 20, blue 30, except red (row 1, col 2) = 200,
  /// green (row 31, col 0) = 201 and blue (row 0, col 31) = 202. `shift` varies the planes.
  private func handMadePixels(shift: UInt8 = 0) -> [UInt8] {
    var red = [UInt8](repeating: 10 + shift, count: 1024)
    var green = [UInt8](repeating: 20 + shift, count: 1024)
    var blue = [UInt8](repeating: 30 + shift, count: 1024)
    red[1 * 32 + 2] = 200
    green[31 * 32 + 0] = 201
    blue[0 * 32 + 31] = 202
    return red + green + blue
  }

  private func cifar10Records(_ labels: [UInt8]) -> [UInt8] {
    labels.enumerated().flatMap { [$0.element] + handMadePixels(shift: UInt8($0.offset)) }
  }

  private func cifar100Records(_ labels: [(coarse: UInt8, fine: UInt8)]) -> [UInt8] {
    labels.enumerated().flatMap {
      [$0.element.coarse, $0.element.fine] + handMadePixels(shift: UInt8($0.offset))
    }
  }

  /// Writes a complete CIFAR-10 layout (two records per file) under `subdirectory`.
  private func writeCIFAR10(under subdirectory: String) throws {
    for (number, file) in CIFARReader.cifar10TrainFiles.enumerated() {
      try directory.write(cifar10Records([UInt8(number), 9]), to: subdirectory + file)
    }
    try directory.write(cifar10Records([3, 4]), to: subdirectory + CIFARReader.cifar10TestFile)
  }

  // MARK: - Round trips

  func testCIFAR10File_roundTripsLabelsAndPixelOrder() throws {
    let path = try directory.write(cifar10Records([7, 0]), to: "test_batch.bin")
    let records = try CIFARReader.readCIFAR10File(at: path)
    XCTAssertEqual(records.labels, [7, 0])
    XCTAssertNil(records.coarseLabels)
    XCTAssertEqual(records.images, handMadePixels() + handMadePixels(shift: 1))
    // C x H x W: channel c, row y, column x at c * 1024 + y * 32 + x.
    let dataset = try Dataset(
      name: "t", imageShape: CIFARReader.imageShape, classCount: 10, images: records.images,
      labels: records.labels)
    let image = Array(dataset.pixels(at: 0))
    XCTAssertEqual(image[0 * 1024 + 1 * 32 + 2], 200)
    XCTAssertEqual(image[1 * 1024 + 31 * 32 + 0], 201)
    XCTAssertEqual(image[2 * 1024 + 0 * 32 + 31], 202)
    XCTAssertEqual(image[0], 10)
    XCTAssertEqual(image[1024], 20)
    XCTAssertEqual(image[2048], 30)
    XCTAssertEqual(Array(dataset.pixels(at: 1))[0], 11)
  }

  func testLoadCIFAR10_concatenatesTheFiveBatchesInOrder() throws {
    try writeCIFAR10(under: "")
    let splits = try CIFARReader.loadCIFAR10(directory: directory.path)
    XCTAssertEqual(splits.train.labels, [0, 9, 1, 9, 2, 9, 3, 9, 4, 9])
    XCTAssertEqual(splits.test.labels, [3, 4])
    XCTAssertEqual(splits.train.count, 10)
    XCTAssertEqual(splits.train.classCount, 10)
    XCTAssertEqual(Array(splits.train.pixels(at: 2)), handMadePixels())
  }

  func testLoadCIFAR10_findsTheTarballSubdirectory() throws {
    try writeCIFAR10(under: "cifar-10-batches-bin/")
    let splits = try CIFARReader.loadCIFAR10(directory: directory.path)
    XCTAssertEqual(splits.test.labels, [3, 4])
  }

  func testCIFAR100File_keepsFineAsClassAndCoarseAside() throws {
    try directory.write(
      cifar100Records([(coarse: 19, fine: 99), (coarse: 0, fine: 5)]),
      to: "cifar-100-binary/train.bin")
    try directory.write(cifar100Records([(coarse: 3, fine: 42)]), to: "cifar-100-binary/test.bin")
    let splits = try CIFARReader.loadCIFAR100(directory: directory.path)
    XCTAssertEqual(splits.train.labels, [99, 5])
    XCTAssertEqual(splits.train.coarseLabels, CoarseLabels(labels: [19, 0], classCount: 20))
    XCTAssertEqual(splits.train.classCount, 100)
    XCTAssertEqual(splits.test.labels, [42])
    XCTAssertEqual(Array(splits.train.pixels(at: 1)), handMadePixels(shift: 1))
  }

  func testGzippedCIFARFile_readsTheSame() throws {
    let path = try directory.write(gzipCompress(cifar10Records([1, 2])), to: "test_batch.bin")
    XCTAssertEqual(try CIFARReader.readCIFAR10File(at: path).labels, [1, 2])
  }

  // MARK: - Bad input

  func testMissingDirectory_throwsNamingFileAndSubdirectory() {
    assertDataError(
      path: directory.file("data_batch_1.bin"),
      contains: ["CIFAR-10 file not found", "cifar-10-batches-bin"]
    ) {
      _ = try CIFARReader.loadCIFAR10(directory: directory.path)
    }
  }

  func testMissingBatchFile_throwsNamingIt() throws {
    try writeCIFAR10(under: "")
    try FileManager.default.removeItem(atPath: directory.file("data_batch_3.bin"))
    assertDataError(path: directory.file("data_batch_3.bin"), contains: ["file not found"]) {
      _ = try CIFARReader.loadCIFAR10(directory: directory.path)
    }
  }

  func testTruncatedCIFAR10_throwsNamingFile() throws {
    let path = try directory.write(
      Array(cifar10Records([1, 2]).dropLast(100)), to: "data_batch_1.bin")
    assertDataError(
      path: path, contains: ["truncated", "6046 bytes", "3073-byte record", "2973 bytes left over"]
    ) {
      _ = try CIFARReader.readCIFAR10File(at: path)
    }
  }

  func testCIFAR10RecordsInACIFAR100File_throwNotAMultiple() throws {
    let path = try directory.write(cifar10Records([1, 2]), to: "train.bin")
    assertDataError(path: path, contains: ["not a CIFAR-100 binary file", "3074-byte record"]) {
      _ = try CIFARReader.readCIFAR100File(at: path)
    }
  }

  func testEmptyFile_throwsIsEmpty() throws {
    let path = try directory.write([], to: "test_batch.bin")
    assertDataError(path: path, contains: ["is empty"]) {
      _ = try CIFARReader.readCIFAR10File(at: path)
    }
  }

  func testCIFAR10LabelOutOfRange_throwsNamingFileAndRecord() throws {
    let path = try directory.write(cifar10Records([1, 10]), to: "data_batch_2.bin")
    assertDataError(path: path, contains: ["label 10 in record 1", "out of range", "10 classes"]) {
      _ = try CIFARReader.readCIFAR10File(at: path)
    }
  }

  func testCIFAR100FineLabelOutOfRange_throws() throws {
    let path = try directory.write(cifar100Records([(coarse: 1, fine: 100)]), to: "train.bin")
    assertDataError(path: path, contains: ["fine label 100 in record 0", "100 classes"]) {
      _ = try CIFARReader.readCIFAR100File(at: path)
    }
  }

  func testCIFAR100CoarseLabelOutOfRange_throws() throws {
    let path = try directory.write(
      cifar100Records([(coarse: 2, fine: 3), (coarse: 20, fine: 3)]), to: "test.bin")
    assertDataError(path: path, contains: ["coarse label 20 in record 1", "20 superclasses"]) {
      _ = try CIFARReader.readCIFAR100File(at: path)
    }
  }

  // MARK: - Weak points of issue 16

  func testDirectoryWhereTheFirstBatchFileShouldBe_isReportedAsADirectoryNamingIt() throws {
    for place in ["", CIFARReader.cifar10Subdirectory + "/"] {
      let root = try TemporaryDirectory()
      defer { root.remove() }
      let path = root.file(place + "data_batch_1.bin")
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
      assertDataError(path: path, contains: ["is a directory", "data_batch_1.bin"]) {
        _ = try CIFARReader.loadCIFAR10(directory: root.path)
      }
    }
  }

  func testDirectoryWhereALaterFileShouldBe_isReportedAsADirectoryNamingIt() throws {
    try writeCIFAR10(under: "")
    let path = directory.file("data_batch_3.bin")
    try FileManager.default.removeItem(atPath: path)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    assertDataError(path: path, contains: ["is a directory"]) {
      _ = try CIFARReader.loadCIFAR10(directory: directory.path)
    }
  }

  func testMissingDataDirectory_isNamedAsSuch() {
    let missing = directory.file("not-there")
    assertDataError(path: missing, contains: ["data directory not found", "data_batch_1.bin"]) {
      _ = try CIFARReader.loadCIFAR10(directory: missing)
    }
  }
}
