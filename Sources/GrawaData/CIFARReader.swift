/// The records of one CIFAR binary file.
public struct CIFARRecords: Sendable, Equatable {
  /// `count x 3 x 32 x 32` bytes: each image's red plane, then green, then blue, rows top down.
  public let images: [UInt8]
  /// The class of each image (CIFAR-10's label, CIFAR-100's fine label).
  public let labels: [Int]
  /// CIFAR-100's coarse (superclass) labels; `nil` for CIFAR-10.
  public let coarseLabels: [Int]?

  /// The number of records.
  public var count: Int { labels.count }
}

/// Reads the CIFAR-10 and CIFAR-100 "binary version" files (Krizhevsky 2009,
/// https://www.cs.toronto.edu/~kriz/cifar.html).
///
/// - CIFAR-10: `data_batch_1.bin` ... `data_batch_5.bin` (train) and `test_batch.bin`; records of
///   1 label byte (0...9) + 3072 pixel bytes.
/// - CIFAR-100: `train.bin` and `test.bin`; records of 1 coarse label byte (0...19) + 1 fine label
///   byte (0...99) + 3072 pixel bytes. The fine label is the class; the coarse one is kept in
///   ``Dataset/coarseLabels``.
///
/// The 3072 pixel bytes are the 1024 red values, then green, then blue, each plane 32x32
/// row-major: already the `C x H x W` layout of ``Dataset``, copied as is. Files are looked for in
/// the given directory and, failing that, in its `cifar-10-batches-bin` / `cifar-100-binary`
/// subdirectory (the layout of the extracted tarballs). Gzip-compressed copies are read too.
/// Every error is a ``DataError`` naming the file.
public enum CIFARReader {
  /// The shape of every CIFAR image.
  public static let imageShape = ImageShape(channels: 3, height: 32, width: 32)
  /// CIFAR-10's training files, in the order their records are concatenated.
  public static let cifar10TrainFiles = (1...5).map { "data_batch_\($0).bin" }
  /// CIFAR-10's test file.
  public static let cifar10TestFile = "test_batch.bin"
  /// The directory the CIFAR-10 binary tarball extracts to.
  public static let cifar10Subdirectory = "cifar-10-batches-bin"
  /// CIFAR-100's training file.
  public static let cifar100TrainFile = "train.bin"
  /// CIFAR-100's test file.
  public static let cifar100TestFile = "test.bin"
  /// The directory the CIFAR-100 binary tarball extracts to.
  public static let cifar100Subdirectory = "cifar-100-binary"

  /// Reads one CIFAR-10 file (`data_batch_N.bin` or `test_batch.bin`).
  /// - Throws: ``DataError`` when the file is missing, empty, not a whole number of 3073-byte
  ///   records (truncated), or holds a label `>= 10`.
  public static func readCIFAR10File(at path: String) throws -> CIFARRecords {
    try readRecords(at: path, dataset: "CIFAR-10", labelBytes: 1)
  }

  /// Reads one CIFAR-100 file (`train.bin` or `test.bin`).
  /// - Throws: ``DataError`` when the file is missing, empty, not a whole number of 3074-byte
  ///   records, or holds a fine label `>= 100` or a coarse label `>= 20`.
  public static func readCIFAR100File(at path: String) throws -> CIFARRecords {
    try readRecords(at: path, dataset: "CIFAR-100", labelBytes: 2)
  }

  /// Loads CIFAR-10's 50,000 training and 10,000 test images from `directory` (or its
  /// `cifar-10-batches-bin` subdirectory).
  /// - Throws: ``DataError`` naming the first missing or invalid file.
  public static func loadCIFAR10(directory: String) throws -> (train: Dataset, test: Dataset) {
    let root = try resolve(
      directory, subdirectory: cifar10Subdirectory, firstFile: cifar10TrainFiles[0],
      dataset: "CIFAR-10")
    var images: [UInt8] = []
    var labels: [Int] = []
    for file in cifar10TrainFiles {
      let records = try readCIFAR10File(at: joinPath(root, file))
      images.append(contentsOf: records.images)
      labels.append(contentsOf: records.labels)
    }
    let test = try readCIFAR10File(at: joinPath(root, cifar10TestFile))
    return (
      try Dataset(
        name: "cifar10/train", imageShape: imageShape, classCount: 10, images: images,
        labels: labels),
      try Dataset(
        name: "cifar10/test", imageShape: imageShape, classCount: 10, images: test.images,
        labels: test.labels)
    )
  }

  /// Loads CIFAR-100's 50,000 training and 10,000 test images (fine labels as classes, coarse
  /// labels kept) from `directory` (or its `cifar-100-binary` subdirectory).
  /// - Throws: ``DataError`` naming the first missing or invalid file.
  public static func loadCIFAR100(directory: String) throws -> (train: Dataset, test: Dataset) {
    let root = try resolve(
      directory, subdirectory: cifar100Subdirectory, firstFile: cifar100TrainFile,
      dataset: "CIFAR-100")
    func load(_ file: String, _ split: String) throws -> Dataset {
      let records = try readCIFAR100File(at: joinPath(root, file))
      return try Dataset(
        name: "cifar100/\(split)", imageShape: imageShape, classCount: 100, images: records.images,
        labels: records.labels,
        coarseLabels: CoarseLabels(labels: records.coarseLabels ?? [], classCount: 20))
    }
    return (try load(cifar100TrainFile, "train"), try load(cifar100TestFile, "test"))
  }

  // MARK: - Internals

  /// `directory` if it holds `firstFile`, else `directory/subdirectory` if that does.
  static func resolve(_ directory: String, subdirectory: String, firstFile: String, dataset: String)
    throws -> String
  {
    let nested = joinPath(directory, subdirectory)
    let candidates = [(directory, joinPath(directory, firstFile)), (nested, joinPath(nested, firstFile))]
    let kinds = candidates.map { pathKind($0.1) }
    if let found = kinds.firstIndex(of: .file) { return candidates[found].0 }
    if let found = kinds.firstIndex(of: .directory) {
      throw directoryInsteadOfFile(candidates[found].1, expected: "the \(dataset) binary file \(firstFile)")
    }
    if !directory.isEmpty, pathKind(directory) != .directory {
      throw DataError(
        path: directory,
        (pathKind(directory) == .missing ? "data directory not found" : "is a file, expected the data directory")
          + " (looking for the \(dataset) file \(firstFile))")
    }
    throw DataError(
      path: joinPath(directory, firstFile),
      "\(dataset) file not found (nor in \(nested)/); download the binary version from "
        + "https://www.cs.toronto.edu/~kriz/cifar.html and extract it there"
    )
  }

  private static func readRecords(at path: String, dataset: String, labelBytes: Int) throws
    -> CIFARRecords
  {
    let pixelBytes = imageShape.elementCount
    let recordSize = labelBytes + pixelBytes
    let layout = labelBytes == 1 ? "1 label byte" : "1 coarse + 1 fine label byte"
    let reader = try DataFileReader(path: path)
    // A plain file's size is checked before its contents are read.
    if !reader.isCompressed {
      try checkSize(
        reader.fileSize, path: path, dataset: dataset, recordSize: recordSize, layout: layout)
    }
    let bytes = reader.isCompressed ? try reader.readToEnd() : try reader.readBytes(reader.fileSize)
    try checkSize(bytes.count, path: path, dataset: dataset, recordSize: recordSize, layout: layout)
    let count = bytes.count / recordSize
    var labels = [Int](repeating: 0, count: count)
    var coarse = [Int](repeating: 0, count: labelBytes == 2 ? count : 0)
    let fineLimit = labelBytes == 1 ? 10 : 100
    for record in 0..<count {
      let offset = record * recordSize
      let fine = Int(bytes[offset + labelBytes - 1])
      guard fine < fineLimit else {
        let kind = labelBytes == 1 ? "label" : "fine label"
        throw DataError(
          path: path,
          "\(kind) \(fine) in record \(record) is out of range for \(dataset)'s \(fineLimit) classes (0...\(fineLimit - 1))"
        )
      }
      labels[record] = fine
      if labelBytes == 2 {
        let superclass = Int(bytes[offset])
        guard superclass < 20 else {
          throw DataError(
            path: path,
            "coarse label \(superclass) in record \(record) is out of range for CIFAR-100's 20 superclasses (0...19)"
          )
        }
        coarse[record] = superclass
      }
    }
    let images = [UInt8](unsafeUninitializedCapacity: count * pixelBytes) { buffer, initialized in
      bytes.withUnsafeBufferPointer { source in
        for record in 0..<count {
          let from = source.baseAddress.map { $0 + record * recordSize + labelBytes }
          let to = buffer.baseAddress.map { $0 + record * pixelBytes }
          if let from, let to {
            to.initialize(from: from, count: pixelBytes)
          }
        }
      }
      initialized = count * pixelBytes
    }
    return CIFARRecords(
      images: images, labels: labels, coarseLabels: labelBytes == 2 ? coarse : nil)
  }

  private static func checkSize(
    _ size: Int, path: String, dataset: String, recordSize: Int, layout: String
  ) throws {
    guard size > 0 else {
      throw DataError(path: path, "is empty, expected \(dataset) records of \(recordSize) bytes")
    }
    guard size % recordSize == 0 else {
      throw DataError(
        path: path,
        "truncated or not a \(dataset) binary file: size \(size) bytes is not a multiple of the "
          + "\(recordSize)-byte record (\(layout) + 3072 pixel bytes); "
          + "\(size % recordSize) bytes left over"
      )
    }
  }
}
