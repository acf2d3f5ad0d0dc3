import GrawaDistributed
import GrawaExperiments
import GrawaOptim

/// A type a command-line option's value can have: read from one argument, written back in help.
///
/// The built-in conformances are `Int`, `UInt64`, `Double` (finite values only), `String` and, via
/// ``ChoiceOptionValue``, string-backed enumerations, whose help and errors list every case.
/// Optional values and comma-separated lists are options of `Value?` and `[Value]` (see
/// ``Option``), so they need no conformance of their own.
public protocol OptionValue: Sendable {
  /// Reads the value from one command-line argument.
  /// - Throws: ``InvalidOptionValue`` when `argument` is not such a value; give it a reason when
  ///   ``expectation`` alone would not say what is wrong.
  init(argument: String) throws

  /// The value as a user would type it (help shows defaults this way).
  var argumentText: String { get }

  /// What a valid value looks like, as a noun phrase: "an integer", "a number".
  static var expectation: String { get }

  /// Every valid argument, for types with a few named values (listed in help and errors).
  static var choices: [String]? { get }
}

extension OptionValue {
  /// Most value types have no fixed list of choices.
  public static var choices: [String]? { nil }
}

/// Why an argument is not a valid value of an option. The parser quotes the argument and names
/// the flag; the reason says what was expected (the option's expectation when `nil`).
public struct InvalidOptionValue: Error, Equatable {
  /// What is wrong, or `nil` to let the option say what it expects.
  public let reason: String?

  /// An invalid value with `reason`, or with the option's own expectation when `nil`.
  public init(_ reason: String? = nil) { self.reason = reason }
}

// MARK: - Numbers and text

extension Int: OptionValue {
  /// Reads a decimal integer.
  /// - Throws: ``InvalidOptionValue`` when `argument` is not one.
  public init(argument: String) throws {
    guard let value = Int(argument) else { throw InvalidOptionValue() }
    self = value
  }
  /// The decimal digits.
  public var argumentText: String { String(self) }
  /// "an integer".
  public static var expectation: String { "an integer" }
}

extension UInt64: OptionValue {
  /// Reads a non-negative decimal integer.
  /// - Throws: ``InvalidOptionValue`` when `argument` is not one.
  public init(argument: String) throws {
    guard let value = UInt64(argument) else { throw InvalidOptionValue() }
    self = value
  }
  /// The decimal digits.
  public var argumentText: String { String(self) }
  /// "a non-negative integer".
  public static var expectation: String { "a non-negative integer" }
}

extension Double: OptionValue {
  /// Reads a finite number (`0.1`, `1e-4`); `nan` and `inf` are refused.
  /// - Throws: ``InvalidOptionValue`` when `argument` is not a finite number.
  public init(argument: String) throws {
    guard let value = Double(argument), value.isFinite else { throw InvalidOptionValue() }
    self = value
  }
  /// Whole numbers without a trailing ".0" (`1`, not `1.0`), others in Swift's shortest form.
  public var argumentText: String {
    self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : String(self)
  }
  /// "a number".
  public static var expectation: String { "a number" }
}

extension String: OptionValue {
  /// Any argument is valid text.
  public init(argument: String) throws { self = argument }
  /// The text itself.
  public var argumentText: String { self }
  /// "text".
  public static var expectation: String { "text" }
}

// MARK: - Choices

/// A string-backed enumeration whose cases are an option's valid values: parsing accepts exactly
/// the raw values, and help and errors list them all (the swift-argument-parser shape).
public protocol ChoiceOptionValue: OptionValue, CaseIterable, RawRepresentable<String> {}

extension ChoiceOptionValue {
  /// Reads one of the raw values.
  /// - Throws: ``InvalidOptionValue`` when `argument` is none of them.
  public init(argument: String) throws {
    guard let value = Self(rawValue: argument) else { throw InvalidOptionValue() }
    self = value
  }
  /// The raw value.
  public var argumentText: String { rawValue }
  /// "one of a, b, c".
  public static var expectation: String {
    "one of " + allCases.map(\.rawValue).joined(separator: ", ")
  }
  /// Every raw value, in declaration order.
  public static var choices: [String]? { allCases.map(\.rawValue) }
}

extension StrategyKind: ChoiceOptionValue {}
extension ModelKind: ChoiceOptionValue {}
extension DatasetKind: ChoiceOptionValue {}
extension AugmentationChoice: ChoiceOptionValue {}
extension BufferPolicy: ChoiceOptionValue {}
extension SyncMode: ChoiceOptionValue {}
extension ToySimulation.PreSyncTarget: ChoiceOptionValue {}

// MARK: - Schedules

extension LearningRateSchedule: OptionValue {
  /// Parses the schedule's text form (``LearningRateSchedule/syntaxSummary``).
  /// - Throws: ``InvalidOptionValue`` carrying the parser's message.
  public init(argument: String) throws {
    do {
      self = try LearningRateSchedule(parsing: argument)
    } catch {
      throw InvalidOptionValue("\(error)")
    }
  }
  /// The canonical text form.
  public var argumentText: String { description }
  /// The schedule grammar in one line.
  public static var expectation: String { "a schedule: " + syntaxSummary }
}
