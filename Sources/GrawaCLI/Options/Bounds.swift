/// The valid range of an option's value, and how that range reads in help and errors.
///
/// Ranges read as a person would say them: "an integer >= 1", "a number from 0 to 1", "a number
/// >= 0 and < 1"; never "integer in 1...9223372036854775807". An option with no upper limit
/// says so by having none (``atLeast(_:)``) rather than a huge one.
public struct Bounds<Value: Sendable>: Sendable {
  /// Whether `value` is inside the range.
  public let contains: @Sendable (Value) -> Bool
  /// The range after the value's noun: ">= 1", "from 0 to 1".
  public let phrase: String

  /// A range described by `phrase` holding the values `contains` accepts.
  public init(phrase: String, contains: @escaping @Sendable (Value) -> Bool) {
    self.phrase = phrase
    self.contains = contains
  }
}

extension Bounds where Value: Comparable & OptionValue {
  /// `lower` or more.
  public static func atLeast(_ lower: Value) -> Bounds {
    Bounds(phrase: ">= \(lower.argumentText)") { $0 >= lower }
  }

  /// More than `lower`.
  public static func greaterThan(_ lower: Value) -> Bounds {
    Bounds(phrase: "> \(lower.argumentText)") { $0 > lower }
  }

  /// From `lower` to `upper`, both included.
  public static func from(_ lower: Value, to upper: Value) -> Bounds {
    Bounds(phrase: "from \(lower.argumentText) to \(upper.argumentText)") {
      $0 >= lower && $0 <= upper
    }
  }

  /// From `lower` (included) up to `upper` (excluded).
  public static func from(_ lower: Value, below upper: Value) -> Bounds {
    Bounds(phrase: ">= \(lower.argumentText) and < \(upper.argumentText)") {
      $0 >= lower && $0 < upper
    }
  }
}
