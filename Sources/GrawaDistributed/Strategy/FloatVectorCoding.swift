import Foundation

// Float vectors of strategy states (a center, a proximity target: one float per model parameter)
// as one block of bytes in a checkpoint, instead of one property-list number per float.
//
// Strategy states go into snapshots and checkpoints as binary property lists (`StateCoding`).
// A `[Float]` there becomes one object per element, uniqued through a hash set: for ResNet-50's
// 23.5M parameters, one state took about 10 s and gigabytes of memory to encode, at every worker
// snapshot and checkpoint. A `Data` value is written as one block.

extension KeyedEncodingContainer {
  /// Encodes `values` as one block of little-endian IEEE 754 single-precision bytes (4 per
  /// value, every bit kept, NaN payloads included), which a binary property list stores in one
  /// piece. Read it back with ``KeyedDecodingContainer/decodeFloatVector(forKey:)``.
  public mutating func encodeFloatVector(_ values: [Float], forKey key: Key) throws {
    try encode(FloatVectorBytes.data(values), forKey: key)
  }

  /// ``encodeFloatVector(_:forKey:)`` when `values` is not `nil`; nothing otherwise.
  public mutating func encodeFloatVectorIfPresent(_ values: [Float]?, forKey key: Key) throws {
    if let values { try encodeFloatVector(values, forKey: key) }
  }
}

extension KeyedDecodingContainer {
  /// Decodes a float vector written by ``KeyedEncodingContainer/encodeFloatVector(_:forKey:)``,
  /// or, from a state written before it existed, as an array of numbers.
  /// - Throws: `DecodingError.dataCorrupted` when the bytes are not a whole number of floats;
  ///   the container's own errors when the key is missing or holds something else.
  public func decodeFloatVector(forKey key: Key) throws -> [Float] {
    if let data = try? decode(Data.self, forKey: key) {
      guard let values = FloatVectorBytes.floats(data) else {
        throw DecodingError.dataCorruptedError(
          forKey: key, in: self,
          debugDescription: "a float vector of \(data.count) bytes, not a multiple of 4")
      }
      return values
    }
    return try decode([Float].self, forKey: key)
  }

  /// ``decodeFloatVector(forKey:)`` when the key is present and not null; `nil` otherwise.
  public func decodeFloatVectorIfPresent(forKey key: Key) throws -> [Float]? {
    guard contains(key), try !decodeNil(forKey: key) else { return nil }
    return try decodeFloatVector(forKey: key)
  }
}

/// The byte form of ``KeyedEncodingContainer/encodeFloatVector(_:forKey:)``.
enum FloatVectorBytes {
  /// The little-endian bit patterns of `values`, 4 bytes each.
  static func data(_ values: [Float]) -> Data {
    var data = Data(count: values.count * 4)
    data.withUnsafeMutableBytes { raw in
      for (i, value) in values.enumerated() {
        raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
      }
    }
    return data
  }

  /// The floats of `data`, or `nil` when its length is not a multiple of 4.
  static func floats(_ data: Data) -> [Float]? {
    guard data.count % 4 == 0 else { return nil }
    let count = data.count / 4
    return data.withUnsafeBytes { raw in
      [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        for i in 0..<count {
          let bits = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
          buffer[i] = Float(bitPattern: bits)
        }
        initialized = count
      }
    }
  }
}
