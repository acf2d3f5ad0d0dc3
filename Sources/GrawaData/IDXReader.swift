/// The images of one IDX file (`idx3-ubyte`): `count` grey images of `height x width` bytes.
public struct IDXImages: Sendable, Equatable {
  /// The number of images.
  public let count: Int
  /// Rows per image.
  public let height: Int
  /// Columns per image.
  public let width: Int
  /// `count x height x width` bytes, row-major.
  public let pixels: [UInt8]
}

/// Reads MNIST-style IDX files (MNIST, Fashion-MNIST), gzip-compressed or plain.
///
/// The format (LeCun et al.): a big-endian header, magic number `0x0000TTRR` (TT the element
/// type, `0x08` = unsigned byte; RR the rank), then one 32-bit big-endian size per dimension,
/// then the elements. Images are rank 3 (magic `0x00000803`: count, rows, columns); labels rank 1
/// (magic `0x00000801`). Whether a file is gzip-compressed is decided by its first bytes, not its
/// name. Sizes are validated against what the file can hold before anything is allocated, so a
/// corrupt header claiming 10^12 images fails cleanly. Every error is a ``DataError`` naming the
/// file and the problem; nothing is returned half filled.
public enum IDXReader {
  /// The magic number of an unsigned-byte rank-3 (images) IDX file.
  public static let imagesMagic: UInt32 = 0x0000_0803
  /// The magic number of an unsigned-byte rank-1 (labels) IDX file.
  public static let labelsMagic: UInt32 = 0x0000_0801

  /// Reads an images file (`*-images-idx3-ubyte[.gz]`).
  /// - Throws: ``DataError`` for a missing, truncated or corrupt file, a wrong magic number or
  ///   element type, a rank other than 3 (a labels file passed as images is named as such),
  ///   zero-sized images, or data after the payload.
  public static func readImages(at path: String) throws -> IDXImages {
    let reader = try DataFileReader(path: path)
    let dimensions = try readHeader(reader, expectedRank: 3)
    let (count, height, width) = (dimensions[0], dimensions[1], dimensions[2])
    guard count > 0 else { throw DataError(path: path, "holds no images (count 0 in the header)") }
    guard height > 0, width > 0 else {
      throw DataError(path: path, "has zero-sized images (\(height)x\(width) in the header)")
    }
    let what = "\(count) images of \(height)x\(width)"
    let pixels = try readPayload(reader, dimensions: dimensions, describing: what)
    return IDXImages(count: count, height: height, width: width, pixels: pixels)
  }

  /// Reads a labels file (`*-labels-idx1-ubyte[.gz]`) and checks every label against
  /// `classCount`.
  /// - Throws: ``DataError`` as ``readImages(at:)`` (an images file passed as labels is named as
  ///   such), or naming the first label that is `>= classCount`.
  public static func readLabels(at path: String, classCount: Int) throws -> [Int] {
    let reader = try DataFileReader(path: path)
    let count = try readHeader(reader, expectedRank: 1)[0]
    guard count > 0 else { throw DataError(path: path, "holds no labels (count 0 in the header)") }
    let bytes = try readPayload(reader, dimensions: [count], describing: "\(count) labels")
    if let bad = bytes.firstIndex(where: { Int($0) >= classCount }) {
      throw DataError(
        path: path,
        "label \(bytes[bad]) at index \(bad) is out of range for \(classCount) classes (0...\(classCount - 1))"
      )
    }
    return bytes.map { Int($0) }
  }

  /// Reads a matching pair of images and labels files into a one-channel ``Dataset``.
  /// - Throws: ``DataError`` as the two readers, or when the files hold different counts.
  public static func loadDataset(
    name: String, imagesPath: String, labelsPath: String, classCount: Int
  ) throws -> Dataset {
    let images = try readImages(at: imagesPath)
    let labels = try readLabels(at: labelsPath, classCount: classCount)
    guard labels.count == images.count else {
      throw DataError(
        path: labelsPath,
        "holds \(labels.count) labels but \(imagesPath) holds \(images.count) images")
    }
    return try Dataset(
      name: name, imageShape: ImageShape(channels: 1, height: images.height, width: images.width),
      classCount: classCount, images: images.pixels, labels: labels)
  }

  /// Loads the train and test splits from a directory in the MNIST layout:
  /// `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
  /// `t10k-labels-idx1-ubyte`, each with or without `.gz` (the `.gz` name is tried first).
  /// - Parameters:
  ///   - directory: the directory holding the four files.
  ///   - name: the dataset name; the splits are named `"<name>/train"` and `"<name>/test"`.
  ///   - classCount: the number of classes (10 for MNIST and Fashion-MNIST).
  /// - Throws: ``DataError`` naming the first missing or invalid file.
  public static func loadTrainAndTest(
    directory: String, name: String, classCount: Int
  ) throws -> (train: Dataset, test: Dataset) {
    func load(_ prefix: String, _ split: String) throws -> Dataset {
      try loadDataset(
        name: "\(name)/\(split)",
        imagesPath: try locate("\(prefix)-images-idx3-ubyte", in: directory),
        labelsPath: try locate("\(prefix)-labels-idx1-ubyte", in: directory),
        classCount: classCount)
    }
    return (try load("train", "train"), try load("t10k", "test"))
  }

  // MARK: - Internals

  /// `<directory>/<base>.gz` if it is a file, else `<directory>/<base>`.
  /// - Throws: ``DataError`` naming the directory when it is missing or not a directory, naming
  ///   `<base>[.gz]` when it is a directory, or "file not found" when neither exists.
  static func locate(_ base: String, in directory: String) throws -> String {
    let compressed = joinPath(directory, base + ".gz")
    let plain = joinPath(directory, base)
    let kinds = [(compressed, pathKind(compressed)), (plain, pathKind(plain))]
    if let (path, _) = kinds.first(where: { $0.1 == .file }) { return path }
    if let (path, _) = kinds.first(where: { $0.1 == .directory }) {
      throw directoryInsteadOfFile(path, expected: "the IDX file \(base) (plain or .gz)")
    }
    if !directory.isEmpty {
      switch pathKind(directory) {
      case .missing: throw DataError(path: directory, "data directory not found (looking for \(base)[.gz])")
      case .file: throw DataError(path: directory, "is a file, expected the data directory holding \(base)[.gz]")
      case .directory: break
      }
    }
    throw DataError(path: compressed, "file not found (nor \(base) without .gz)")
  }

  /// Reads and checks the magic number and the dimensions.
  private static func readHeader(_ reader: DataFileReader, expectedRank: Int) throws -> [Int] {
    let path = reader.path
    reader.expectedContentSize = 4
    let magicBytes = try reader.readBytes(4)
    guard magicBytes.count == 4 else {
      throw DataError(
        path: path,
        "truncated header: the file holds \(magicBytes.count) bytes, an IDX header needs at least 4"
      )
    }
    let magic = magicBytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    let expectedMagic = expectedRank == 3 ? imagesMagic : labelsMagic
    let role = expectedRank == 3 ? "images" : "labels"
    guard magicBytes[0] == 0, magicBytes[1] == 0 else {
      throw DataError(
        path: path,
        "not an IDX file: wrong magic number \(hex(magic)) (expected \(hex(expectedMagic)) for \(role))"
      )
    }
    guard magicBytes[2] == 0x08 else {
      throw DataError(
        path: path,
        "wrong magic number \(hex(magic)): element type "
          + "0x\(String(magicBytes[2], radix: 16, uppercase: true)) is not unsigned byte (0x08)"
      )
    }
    let rank = Int(magicBytes[3])
    guard rank == expectedRank else {
      if expectedRank == 3 && rank == 1 {
        throw DataError(
          path: path,
          "is an IDX labels file (magic \(hex(magic))), expected images (magic "
            + "\(hex(imagesMagic))); were the images and labels files swapped?"
        )
      }
      if expectedRank == 1 && rank == 3 {
        throw DataError(
          path: path,
          "is an IDX images file (magic \(hex(magic))), expected labels (magic "
            + "\(hex(labelsMagic))); were the images and labels files swapped?"
        )
      }
      let layout = expectedRank == 3 ? "count x rows x columns" : "count"
      throw DataError(
        path: path,
        "wrong dimensions: rank \(rank) (magic \(hex(magic))), expected rank \(expectedRank) \(role) (\(layout))"
      )
    }
    reader.expectedContentSize = 4 + 4 * rank
    let sizeBytes = try reader.readBytes(4 * rank)
    guard sizeBytes.count == 4 * rank else {
      throw DataError(
        path: path,
        "truncated header: \(4 + sizeBytes.count) bytes, a rank-\(rank) IDX header needs \(4 + 4 * rank)"
      )
    }
    return (0..<rank).map { dimension in
      sizeBytes[(4 * dimension)..<(4 * dimension + 4)].reduce(0) { $0 << 8 | Int($1) }
    }
  }

  /// Reads the product of `dimensions` bytes, checking the size before allocating and rejecting
  /// short files and extra data.
  private static func readPayload(
    _ reader: DataFileReader, dimensions: [Int], describing what: String
  ) throws -> [UInt8] {
    let path = reader.path
    var payload = 1
    var overflow = false
    for dimension in dimensions where !overflow {
      (payload, overflow) = payload.multipliedReportingOverflow(by: dimension)
    }
    let available = reader.maximumContentSize - reader.bytesRead
    guard !overflow, payload <= available else {
      let size = overflow ? "more than \(Int.max)" : "\(payload)"
      let capacity =
        reader.isCompressed
        ? "the compressed file (\(reader.fileSize) bytes) can hold at most \(available) more"
        : "only \(available) bytes follow the header"
      throw DataError(
        path: path, "truncated file: the header describes \(what) (\(size) bytes) but \(capacity)")
    }
    reader.expectedContentSize = reader.bytesRead + payload
    let bytes = try reader.readBytes(payload)
    guard bytes.count == payload else {
      throw DataError(
        path: path,
        "truncated file: the header describes \(what) (\(payload) bytes) but only \(bytes.count) bytes follow the header"
      )
    }
    if try reader.hasMoreContent() {
      throw DataError(path: path, "unexpected data after the \(what) the header describes")
    }
    return bytes
  }

  private static func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
  }
}
