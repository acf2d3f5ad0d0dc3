/// Any JSON value, kept as read: how a checkpoint holds the description of its run (for
/// `grawa-train`, the ``TrainingConfiguration``) without the engine knowing its type.
///
/// Integers stay integers (signed or unsigned 64-bit), so seeds and counts survive a round trip
/// exactly; other numbers are `Double`s.
public enum JSONValue: Sendable, Equatable, Codable {
  /// `null`.
  case null
  /// `true` or `false`.
  case bool(Bool)
  /// An integer that fits `Int64`.
  case integer(Int64)
  /// A non-negative integer above `Int64.max`.
  case unsigned(UInt64)
  /// Any other number.
  case number(Double)
  /// A string.
  case string(String)
  /// An array.
  case array([JSONValue])
  /// An object (written with sorted keys by the package's encoders).
  case object([String: JSONValue])

  /// Decodes any JSON value.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let value = try? container.decode(Bool.self) {
      self = .bool(value)
    } else if let value = try? container.decode(Int64.self) {
      self = .integer(value)
    } else if let value = try? container.decode(UInt64.self) {
      self = .unsigned(value)
    } else if let value = try? container.decode(Double.self) {
      self = .number(value)
    } else if let value = try? container.decode(String.self) {
      self = .string(value)
    } else if let value = try? container.decode([JSONValue].self) {
      self = .array(value)
    } else {
      self = .object(try container.decode([String: JSONValue].self))
    }
  }

  /// Encodes the value as it is.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .null: try container.encodeNil()
    case .bool(let value): try container.encode(value)
    case .integer(let value): try container.encode(value)
    case .unsigned(let value): try container.encode(value)
    case .number(let value): try container.encode(value)
    case .string(let value): try container.encode(value)
    case .array(let value): try container.encode(value)
    case .object(let value): try container.encode(value)
    }
  }
}

extension JSONValue {
  /// `value` as JSON.
  /// - Throws: `EncodingError` (a non-finite number is written as a string, so it does not throw
  ///   but will not read back as a number).
  public init(encoding value: some Encodable) throws {
    let data = try RunJSON.encoder(pretty: false).encode(value)
    self = try RunJSON.decoder().decode(JSONValue.self, from: data)
  }

  /// The value decoded as `type`.
  /// - Throws: `DecodingError` when it does not fit.
  public func decode<T: Decodable>(_ type: T.Type) throws -> T {
    let data = try RunJSON.encoder(pretty: false).encode(self)
    return try RunJSON.decoder().decode(type, from: data)
  }
}
