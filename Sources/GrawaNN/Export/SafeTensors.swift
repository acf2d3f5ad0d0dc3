import Foundation

/// A set of named tensors in the `safetensors` format (Hugging Face's file format for model
/// weights, read by PyTorch through the `safetensors` Python package): an 8-byte little-endian
/// header length, a JSON header naming every tensor with its `dtype`, `shape` and
/// `data_offsets`, then the tensors' bytes, little-endian, row-major, back to back.
///
/// Written and read here without any dependency. ``encoded()`` writes `F32` tensors;
/// ``init(decoding:)`` reads `F32`, `F64`, `I64` and `I32` tensors (PyTorch's batch-norm counter
/// `num_batches_tracked` is `I64`) and refuses a header or layout that does not hold together.
public struct SafeTensors: Sendable, Equatable {
  /// One tensor: its shape and values.
  public struct Entry: Sendable, Equatable {
    /// The shape (`[]` for a scalar).
    public var shape: [Int]
    /// The values in row-major order, as `Float` (integers and doubles converted on reading).
    public var values: [Float]
    /// The element type in the file (`F32` for tensors made here).
    public var dtype: String

    /// A tensor of `shape` holding `values` (`F32` in the file).
    public init(shape: [Int], values: [Float], dtype: String = "F32") {
      self.shape = shape
      self.values = values
      self.dtype = dtype
    }
  }

  /// The tensors by name, in the order they are stored.
  public private(set) var names: [String] = []
  /// The tensors by name.
  public private(set) var entries: [String: Entry] = [:]
  /// The header's free-form `__metadata__` (string to string).
  public var metadata: [String: String] = [:]

  /// An empty set with `metadata`.
  public init(metadata: [String: String] = [:]) {
    self.metadata = metadata
  }

  /// The tensor named `name`, if any.
  public subscript(name: String) -> Entry? { entries[name] }

  /// Adds (or replaces) the tensor `name`.
  /// - Throws: ``SafeTensorsError`` when `values` does not fill `shape`, or the name is empty or
  ///   reserved (`__metadata__`).
  public mutating func add(_ name: String, shape: [Int], values: [Float]) throws {
    guard !name.isEmpty, name != "__metadata__" else {
      throw SafeTensorsError("'\(name)' cannot name a tensor")
    }
    guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
      throw SafeTensorsError("tensor '\(name)': \(values.count) values do not fill shape \(shape)")
    }
    if entries[name] == nil { names.append(name) }
    entries[name] = Entry(shape: shape, values: values)
  }

  /// The file's bytes: header (JSON, keys sorted, padded with spaces to a multiple of 8 bytes so
  /// the data is aligned), then every tensor as `F32` in ``names`` order.
  public func encoded() throws -> Data {
    var header: [String: Any] = [:]
    var offset = 0
    for name in names {
      let entry = entries[name]!
      let size = entry.values.count * MemoryLayout<Float>.size
      header[name] = ["dtype": "F32", "shape": entry.shape, "data_offsets": [offset, offset + size]] as [String: Any]
      offset += size
    }
    if !metadata.isEmpty { header["__metadata__"] = metadata }
    var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    while (8 + json.count) % 8 != 0 { json.append(0x20) }
    var data = Data(capacity: 8 + json.count + offset)
    withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(json)
    for name in names {
      #if _endian(little)
        entries[name]!.values.withUnsafeBytes { data.append(contentsOf: $0) }
      #else
        for value in entries[name]!.values {
          withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
        }
      #endif
    }
    return data
  }

  /// The largest header read (the reference reader's limit is 100 MB too).
  static let maximumHeaderBytes = 100_000_000

  /// Reads the bytes of a `safetensors` file.
  /// - Throws: ``SafeTensorsError`` for a short file, a header that is not a JSON object of
  ///   well-formed entries, an unsupported dtype, or data offsets that overlap, leave gaps, do
  ///   not match the shape, or run past the end.
  public init(decoding data: Data) throws {
    let bytes = [UInt8](data)
    guard bytes.count >= 8 else {
      throw SafeTensorsError("\(bytes.count) bytes: shorter than the 8-byte header length")
    }
    let declared = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    guard declared <= UInt64(min(bytes.count - 8, Self.maximumHeaderBytes)) else {
      throw SafeTensorsError("header length \(declared) exceeds the \(bytes.count - 8) bytes after it")
    }
    let headerEnd = 8 + Int(declared)
    guard let object = try? JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])),
      let header = object as? [String: Any]
    else {
      throw SafeTensorsError("the header is not a JSON object")
    }
    let dataBytes = bytes.count - headerEnd
    var spans: [(begin: Int, end: Int, name: String)] = []
    var decodedEntries: [String: Entry] = [:]
    for (name, value) in header {
      if name == "__metadata__" {
        guard let pairs = value as? [String: Any], let strings = pairs as? [String: String] else {
          throw SafeTensorsError("__metadata__ is not an object of strings")
        }
        metadata = strings
        continue
      }
      guard let fields = value as? [String: Any], let dtype = fields["dtype"] as? String,
        let shape = (fields["shape"] as? [Any])?.compactMap(Self.integer), shape.count == (fields["shape"] as? [Any])?.count,
        let offsets = (fields["data_offsets"] as? [Any])?.compactMap(Self.integer), offsets.count == 2
      else {
        throw SafeTensorsError("tensor '\(name)': needs dtype, shape and data_offsets [begin, end]")
      }
      guard let width = Self.elementBytes[dtype] else {
        throw SafeTensorsError("tensor '\(name)': dtype \(dtype) is not supported (F32, F64, I64, I32 are)")
      }
      guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataBytes else {
        throw SafeTensorsError("tensor '\(name)': shape \(shape) or offsets \(offsets) out of range (\(dataBytes) data bytes)")
      }
      let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
      guard count != Int.max, count * width == offsets[1] - offsets[0] else {
        throw SafeTensorsError(
          "tensor '\(name)': offsets \(offsets) hold \(offsets[1] - offsets[0]) bytes, shape \(shape) of \(dtype) needs \(count * width)")
      }
      spans.append((offsets[0], offsets[1], name))
      let start = headerEnd + offsets[0]
      decodedEntries[name] = Entry(
        shape: shape, values: Self.values(bytes[start..<(headerEnd + offsets[1])], dtype: dtype), dtype: dtype)
    }
    spans.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
    var next = 0
    for span in spans {
      guard span.begin == next else {
        throw SafeTensorsError("tensor '\(span.name)' starts at byte \(span.begin), expected \(next): overlap or gap")
      }
      next = span.end
    }
    guard next == dataBytes else {
      throw SafeTensorsError("the tensors cover \(next) of the \(dataBytes) data bytes")
    }
    names = spans.map(\.name)
    entries = decodedEntries
  }

  /// Bytes per element of the dtypes read.
  private static let elementBytes = ["F32": 4, "F64": 8, "I64": 8, "I32": 4]

  /// A JSON number that is an integer.
  private static func integer(_ value: Any) -> Int? {
    guard let number = value as? NSNumber, let exact = Int(exactly: number.doubleValue) else { return nil }
    return exact
  }

  /// Little-endian `bytes` of `dtype` as floats.
  private static func values(_ bytes: ArraySlice<UInt8>, dtype: String) -> [Float] {
    let base = bytes.startIndex
    func word(_ index: Int, _ width: Int) -> UInt64 {
      (0..<width).reduce(UInt64(0)) { $0 | UInt64(bytes[base + index * width + $1]) << (8 * UInt64($1)) }
    }
    switch dtype {
    case "F32":
      #if _endian(little)
        return [Float](unsafeUninitializedCapacity: bytes.count / 4) { buffer, count in
          bytes.withUnsafeBytes { source in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: source[0..<(buffer.count * 4)]))
          }
          count = buffer.count
        }
      #else
        return (0..<(bytes.count / 4)).map { Float(bitPattern: UInt32(word($0, 4))) }
      #endif
    case "F64": return (0..<(bytes.count / 8)).map { Float(Double(bitPattern: word($0, 8))) }
    case "I64": return (0..<(bytes.count / 8)).map { Float(Int64(bitPattern: word($0, 8))) }
    default: return (0..<(bytes.count / 4)).map { Float(Int32(bitPattern: UInt32(word($0, 4)))) }
    }
  }
}

/// A `safetensors` file or tensor set that cannot be written, read or loaded.
public struct SafeTensorsError: Error, CustomStringConvertible, Equatable {
  /// What is wrong.
  public var message: String
  /// An error saying `message`.
  public init(_ message: String) { self.message = message }
  /// The message.
  public var description: String { message }
}
