/// One named figure a strategy publishes into the run's metrics rows (a column of `metrics.csv`, a
/// key of `metrics.jsonl`): for example the GRAWA family's averaging weights or LSGD's leader.
public struct StrategyMetric: Sendable, Equatable, Codable {
  /// A metric's value.
  public enum Value: Sendable, Equatable, Codable {
    /// One number.
    case scalar(Double)
    /// A list of numbers (written `;`-separated in CSV, as an array in JSON).
    case vector([Double])

    /// Encodes as a bare number or an array.
    public func encode(to encoder: any Encoder) throws {
      var container = encoder.singleValueContainer()
      switch self {
      case .scalar(let value): try container.encode(value)
      case .vector(let values): try container.encode(values)
      }
    }

    /// Decodes a bare number or an array.
    public init(from decoder: any Decoder) throws {
      let container = try decoder.singleValueContainer()
      if let value = try? container.decode(Double.self) {
        self = .scalar(value)
      } else {
        self = .vector(try container.decode([Double].self))
      }
    }

    /// The numbers, one for a scalar.
    public var values: [Double] {
      switch self {
      case .scalar(let value): [value]
      case .vector(let values): values
      }
    }
  }

  /// The column name (snake_case; must not clash with the engine's own columns).
  public var name: String
  /// The value.
  public var value: Value

  /// A metric from its parts.
  public init(_ name: String, _ value: Value) {
    self.name = name
    self.value = value
  }
}
