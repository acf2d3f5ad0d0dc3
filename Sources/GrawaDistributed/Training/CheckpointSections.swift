import Foundation
import GrawaOptim

// MARK: - The header

/// The header JSON: the configuration, every scalar of the state and the section table.
struct Header: Codable {
  var configuration: JSONValue
  var boundary: Int
  var centerSyncs: Int
  var evaluations: Int
  var trainingSecondsBits: DoubleBits
  var wallSecondsBits: DoubleBits
  var workers: [WorkerHeader]
  var sections: [SectionEntry]
}

/// Just the section table of a header, decodable while the rest may not be.
struct SectionTable: Codable {
  var sections: [SectionEntry]
}

/// One worker's scalars; its arrays are sections.
struct WorkerHeader: Codable {
  var worker: Int
  var epoch: Int
  var batchInEpoch: Int
  var steps: Int
  var syncs: Int
  var windowLossSumBits: DoubleBits
  var windowWrong: Int
  var windowCount: Int
  var localSecondsBits: DoubleBits
  var distributedSecondsBits: DoubleBits
  var waitSecondsBits: DoubleBits
  var optimizerStepCount: Int
  /// One entry per optimizer buffer: `true` where it exists (and has a section), `false` for
  /// `nil`. An array rather than a count, so its length is bounded by the header's size.
  var optimizerBufferExists: [Bool]
}

/// One row of the section table.
struct SectionEntry: Codable {
  var name: String
  /// An ``ElementType`` raw value (kept a string so an unknown one gets a clear message).
  var type: String
  var count: UInt64
}

/// A `Double` as its IEEE 754 bit pattern, 16 hex digits, so NaN payloads, infinities and -0.0
/// survive JSON.
struct DoubleBits: Codable {
  var value: Double

  init(_ value: Double) { self.value = value }

  init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let text = try container.decode(String.self)
    guard text.count == 16, text.allSatisfy(\.isHexDigit), let bits = UInt64(text, radix: 16) else {
      throw DecodingError.dataCorruptedError(
        in: container,
        debugDescription: "expected the 16 hex digits of a Double's bit pattern, got \"\(text)\"")
    }
    value = Double(bitPattern: bits)
  }

  func encode(to encoder: any Encoder) throws {
    let digits = String(value.bitPattern, radix: 16)
    var container = encoder.singleValueContainer()
    try container.encode(String(repeating: "0", count: 16 - digits.count) + digits)
  }
}

// MARK: - Sections

/// A section's element type: its name in the table and its size in bytes.
enum ElementType: String {
  case float32
  case uint64
  case uint8

  var size: Int {
    switch self {
    case .float32: 4
    case .uint64: 8
    case .uint8: 1
    }
  }
}

/// A section to write.
struct Section {
  var name: String
  var payload: Payload
}

/// The elements of a section to write.
enum Payload {
  case float32([Float])
  case uint64([UInt64])
  case uint8([UInt8])

  var type: ElementType {
    switch self {
    case .float32: .float32
    case .uint64: .uint64
    case .uint8: .uint8
    }
  }

  var count: Int {
    switch self {
    case .float32(let values): values.count
    case .uint64(let values): values.count
    case .uint8(let values): values.count
    }
  }
}

/// Where a section lies in the file.
struct Placement {
  var offset: Int
  var count: Int
  var byteCount: Int
}

/// Hands out the sections in table order, each checked to be the one asked for.
struct SectionReader {
  let bytes: UnsafeRawBufferPointer
  let table: [SectionEntry]
  let placements: [Placement]
  /// The checkpoint's path, for messages.
  let path: String
  /// The next section.
  private(set) var index = 0

  private func failure(_ message: String) -> CheckpointError {
    CheckpointError(path: path, message: message)
  }

  mutating func floats(_ name: String) throws -> [Float] {
    let values = try next(name, .float32, as: Float.self)
    #if _endian(big)
      return values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
    #else
      return values
    #endif
  }

  mutating func words(_ name: String) throws -> [UInt64] {
    try next(name, .uint64, as: UInt64.self).map { UInt64(littleEndian: $0) }
  }

  mutating func bytes(_ name: String) throws -> [UInt8] {
    try next(name, .uint8, as: UInt8.self)
  }

  private mutating func next<Element: BitwiseCopyable>(
    _ name: String, _ type: ElementType, as _: Element.Type
  ) throws -> [Element] {
    guard index < table.count, index < placements.count else {
      throw failure(
        "section table does not match the header: it has \(table.count) sections, the header "
          + "also needs '\(name)' (\(type.rawValue))")
    }
    let entry = table[index]
    guard entry.name == name, entry.type == type.rawValue else {
      throw failure(
        "section table does not match the header: section \(index) is '\(entry.name)' "
          + "(\(entry.type)), the header needs '\(name)' (\(type.rawValue)) there")
    }
    let placement = placements[index]
    index += 1
    let source = UnsafeRawBufferPointer(
      rebasing: bytes[placement.offset..<(placement.offset + placement.byteCount)])
    return [Element](unsafeUninitializedCapacity: placement.count) { buffer, initialized in
      UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source)
      initialized = placement.count
    }
  }
}
