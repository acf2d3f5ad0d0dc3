import GrawaExperiments

/// One command-line option that takes a value, declared once: its flag, value type, typed
/// default, valid range, help text and (for `train`) whether a resumed run accepts it.
///
/// A command declares its options as `static let`s and reads them through the declaration, so a
/// misspelt option does not compile and every default lives in one place:
///
/// ```swift
/// static let threads = Option<Int>(
///   "threads", "N", default: 0, in: .from(0, to: 256), help: "Compute threads (0: all cores).",
///   shownAs: "0, all cores")
/// let threads = try parsed[AnalyzeOptions.threads]   // an Int: the default when not given
/// ```
///
/// Help shows the default from the same typed value (or `shownAs`, when a word says it better:
/// "all cores"), lists the choices of an enumeration, and a bad value is refused naming the flag
/// and the range in words ("expected an integer >= 1").
public final class Option<Value: Sendable>: OptionDeclaration {
  /// The long flag without dashes.
  public let name: String
  /// A one-letter alias, if any.
  public let shortName: Character?
  /// The value placeholder shown in help.
  public let placeholderText: String
  /// One line of help.
  public let help: String
  /// The value when the option is not given.
  public let defaultValue: Value
  /// The default as help shows it.
  public let defaultDisplay: String
  /// Every valid value, for enumerations.
  public let choices: [String]?
  /// Whether a resumed `train` run accepts the option.
  public let resume: ResumePolicy?
  /// The library setting the option sets.
  public let setting: TrainingSetting?
  /// Reads one argument.
  private let parser: @Sendable (String) throws -> Value

  /// The most general declaration: any value type with its own parser.
  /// - Parameters:
  ///   - parser: reads one argument; throws ``InvalidOptionValue`` with the full reason.
  init(
    name: String, shortName: Character?, placeholder: String, help: String, defaultValue: Value,
    defaultDisplay: String, choices: [String]?, resume: ResumePolicy?, setting: TrainingSetting?,
    parser: @escaping @Sendable (String) throws -> Value
  ) {
    precondition(!name.isEmpty && !name.hasPrefix("-"), "declare '\(name)' without dashes")
    self.name = name
    self.shortName = shortName
    self.placeholderText = placeholder
    self.help = help
    self.defaultValue = defaultValue
    self.defaultDisplay = defaultDisplay
    self.choices = choices
    self.resume = resume
    self.setting = setting
    self.parser = parser
  }

  /// The placeholder (never `nil`: an option takes a value).
  public var placeholder: String? { placeholderText }
  /// The default as help shows it.
  public var defaultText: String? { defaultDisplay }

  /// Reads `argument` as the option's value.
  /// - Throws: ``InvalidOptionValue`` with the reason, naming the valid range or choices.
  public func parse(_ argument: String) throws -> Value {
    try parser(argument)
  }

  /// Checks `argument` as the option's value.
  /// - Throws: ``InvalidOptionValue`` with the reason.
  public func check(_ argument: String) throws {
    _ = try parser(argument)
  }

  /// The same option under another flag and help text, with the same type, default and range
  /// (for a command that passes the value on to another, such as `compare --hvp-step`).
  public func renamed(_ name: String, help: String) -> Option {
    Option(
      name: name, shortName: nil, placeholder: placeholderText, help: help,
      defaultValue: defaultValue,
      defaultDisplay: defaultDisplay, choices: choices, resume: resume, setting: setting,
      parser: parser)
  }
}

// MARK: - Declaring options by value type

extension Option where Value: OptionValue {
  /// An option with a single value of type `Value` (a number, text, a choice).
  /// - Parameters:
  ///   - name: the long flag without dashes.
  ///   - placeholder: the value's placeholder in help (`"N"`).
  ///   - defaultValue: the value when the option is not given.
  ///   - bounds: the valid range, if the type's values are not all valid.
  ///   - help: one line of help.
  ///   - shownAs: how help shows the default, when a word says more than the value ("all cores").
  ///   - short: a one-letter alias.
  ///   - resume: whether `train --resume` accepts it.
  ///   - setting: the library setting it sets.
  public convenience init(
    _ name: String, _ placeholder: String, default defaultValue: Value,
    in bounds: Bounds<Value>? = nil,
    help: String, shownAs: String? = nil, short: Character? = nil, resume: ResumePolicy? = nil,
    setting: TrainingSetting? = nil
  ) {
    self.init(
      name: name, shortName: short, placeholder: placeholder, help: help,
      defaultValue: defaultValue,
      defaultDisplay: shownAs ?? defaultValue.argumentText, choices: Value.choices, resume: resume,
      setting: setting, parser: { try readValue($0, bounds: bounds) })
  }
}

extension Option {
  /// An option whose value may be absent: `nil` unless given (a budget, a limit, a directory).
  /// - Parameters:
  ///   - shownAs: how help shows the absent default ("none", "all").
  ///   - Others: as for a single value.
  public convenience init<Wrapped: OptionValue>(
    _ name: String, _ placeholder: String, in bounds: Bounds<Wrapped>? = nil, help: String,
    shownAs: String = "none", short: Character? = nil, resume: ResumePolicy? = nil,
    setting: TrainingSetting? = nil
  ) where Value == Wrapped? {
    self.init(
      name: name, shortName: short, placeholder: placeholder, help: help, defaultValue: nil,
      defaultDisplay: shownAs, choices: Wrapped.choices, resume: resume, setting: setting,
      parser: { .some(try readValue($0, bounds: bounds)) })
  }

  /// An option holding a comma-separated list (`--sizes 256,512`).
  /// - Parameters:
  ///   - bounds: the valid range of each element.
  ///   - unique: whether an element may be listed only once.
  ///   - Others: as for a single value.
  public convenience init<Element: OptionValue & Equatable>(
    _ name: String, _ placeholder: String, default defaultValue: [Element],
    in bounds: Bounds<Element>? = nil,
    unique: Bool = false, help: String, resume: ResumePolicy? = nil, setting: TrainingSetting? = nil
  ) where Value == [Element] {
    self.init(
      name: name, shortName: nil, placeholder: placeholder, help: help, defaultValue: defaultValue,
      defaultDisplay: defaultValue.map(\.argumentText).joined(separator: ","),
      choices: Element.choices,
      resume: resume, setting: setting,
      parser: { try readList($0, bounds: bounds, unique: unique) })
  }
}

// MARK: - Reading values

/// What an option of type `Value` within `bounds` expects, as a noun phrase ("an integer >= 1").
func expectationPhrase<Value: OptionValue>(_ type: Value.Type, bounds: Bounds<Value>?) -> String {
  bounds.map { "\(Value.expectation) \($0.phrase)" } ?? Value.expectation
}

/// The reason an argument is refused: "choose one of ..." for choices, "expected ..." otherwise.
func requirement<Value: OptionValue>(_ type: Value.Type, bounds: Bounds<Value>?) -> String {
  Value.choices == nil
    ? "expected " + expectationPhrase(type, bounds: bounds) : "choose " + Value.expectation
}

/// Reads one value within `bounds`.
/// - Throws: ``InvalidOptionValue`` with the full reason.
func readValue<Value: OptionValue>(_ argument: String, bounds: Bounds<Value>?) throws -> Value {
  let value: Value
  do {
    value = try Value(argument: argument)
  } catch let error as InvalidOptionValue {
    throw InvalidOptionValue(error.reason ?? requirement(Value.self, bounds: bounds))
  } catch {
    throw InvalidOptionValue("\(error)")
  }
  if let bounds, !bounds.contains(value) {
    throw InvalidOptionValue(requirement(Value.self, bounds: bounds))
  }
  return value
}

/// Reads a comma-separated list, each element within `bounds`.
/// - Throws: ``InvalidOptionValue`` naming the element that is wrong.
func readList<Element: OptionValue & Equatable>(
  _ argument: String, bounds: Bounds<Element>?, unique: Bool
) throws -> [Element] {
  var list: [Element] = []
  for item in argument.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
    let element: Element
    do {
      element = try readValue(item, bounds: bounds)
    } catch {
      throw InvalidOptionValue(
        "'\(item)' is not \(expectationPhrase(Element.self, bounds: bounds))")
    }
    if unique, list.contains(element) {
      throw InvalidOptionValue("'\(item)' is listed twice")
    }
    list.append(element)
  }
  return list
}
