import CZlib
import Foundation

/// What identifies a dataset's contents, cheaply: its image count, image shape and class count,
/// and a CRC-32 (zlib's) of its image bytes and of its labels.
///
/// A run records its training set's fingerprint so that a resumed run can tell whether the data it
/// reads (perhaps from another directory) is the data it was trained on: the same files moved
/// elsewhere give the same fingerprint, any change to an image or label gives another (barring a
/// 1-in-2^32 CRC collision of each). Computing it reads every byte once, a small fraction of the
/// time loading (decompressing) the files takes.
public struct DatasetFingerprint: Sendable, Codable, Equatable {
  /// Number of images.
  public var count: Int
  /// The images' shape, as `channels x height x width` ("1x28x28").
  public var imageShape: String
  /// Number of classes.
  public var classCount: Int
  /// CRC-32 of the image bytes, in dataset order, as 8 lowercase hex digits.
  public var imagesCRC32: String
  /// CRC-32 of the labels, each as a little-endian 64-bit integer, in order, as 8 hex digits.
  public var labelsCRC32: String

  /// The fingerprint of `dataset`.
  public init(of dataset: Dataset) {
    count = dataset.count
    imageShape = dataset.imageShape.description
    classCount = dataset.classCount
    imagesCRC32 = DatasetFingerprint.hex(dataset.images.withUnsafeBytes { DatasetFingerprint.crc32Checksum($0) })
    let labels = dataset.labels.map { Int64($0).littleEndian }
    labelsCRC32 = DatasetFingerprint.hex(labels.withUnsafeBytes { DatasetFingerprint.crc32Checksum($0) })
  }

  /// How `self` differs from `recorded`, one phrase per difference ("600 images, the run's 1000";
  /// "the same 1000 images, but the image bytes differ"); empty when they are equal.
  public func differences(from recorded: DatasetFingerprint) -> [String] {
    var result: [String] = []
    if count != recorded.count { result.append("\(count) images, the run's \(recorded.count)") }
    if imageShape != recorded.imageShape { result.append("images of \(imageShape), the run's \(recorded.imageShape)") }
    if classCount != recorded.classCount { result.append("\(classCount) classes, the run's \(recorded.classCount)") }
    if result.isEmpty {
      if imagesCRC32 != recorded.imagesCRC32 {
        result.append("the image bytes differ (CRC-32 \(imagesCRC32), the run's \(recorded.imagesCRC32))")
      }
      if labelsCRC32 != recorded.labelsCRC32 {
        result.append("the labels differ (CRC-32 \(labelsCRC32), the run's \(recorded.labelsCRC32))")
      }
    }
    return result
  }

  /// zlib's CRC-32 of `bytes`, fed in chunks that fit its 32-bit length.
  static func crc32Checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    var value = crc32(0, nil, 0)
    guard let base = bytes.baseAddress else { return UInt32(truncatingIfNeeded: value) }
    var start = 0
    while start < bytes.count {
      let length = min(1 << 30, bytes.count - start)
      value = crc32(value, (base + start).assumingMemoryBound(to: Bytef.self), uInt(length))
      start += length
    }
    return UInt32(truncatingIfNeeded: value)
  }

  static func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 8 - digits.count) + digits
  }
}
