/// The declaration of one command-line option: its flag, value placeholder, help text, default.
public struct OptionSpec: Sendable {
  /// The long flag without dashes, e.g. `"threads"` for `--threads`.
  public let name: String
  /// The value placeholder shown in help (e.g. `"N"`), or `nil` for a boolean flag.
  public let valueName: String?
  /// One line of help.
  public let help: String
  /// The default shown in help, if any.
  public let defaultValue: String?

  /// A flag that takes a value.
  public static func option(_ name: String, _ valueName: String, help: String, default defaultValue: String? = nil) -> OptionSpec {
    OptionSpec(name: name, valueName: valueName, help: help, defaultValue: defaultValue)
  }

  /// A boolean flag (present or absent).
  public static func flag(_ name: String, help: String) -> OptionSpec {
    OptionSpec(name: name, valueName: nil, help: help, defaultValue: nil)
  }
}

/// Command-line arguments parsed against a list of ``OptionSpec``s.
///
/// Accepts `--name value`, `--name=value` and boolean `--name`. Unknown flags, missing values and
/// repeated options are usage errors. Typed accessors validate values and name the flag in the
/// error, so no free-form string survives past parsing.
public struct ParsedArguments {
  private var values: [String: String] = [:]
  private var flags: Set<String> = []
  /// Arguments that are not options, in order.
  public private(set) var positional: [String] = []

  /// Parses `arguments` (without the program and sub-command names).
  /// - Throws: ``CLIError/usage(_:)`` for an unknown flag, a missing value or a repeated option.
  public init(_ arguments: [String], specs: [OptionSpec]) throws {
    let byName = Dictionary(specs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    var index = 0
    while index < arguments.count {
      let argument = arguments[index]
      index += 1
      guard argument.hasPrefix("--"), argument.count > 2 else {
        if argument.hasPrefix("-"), argument != "-" {
          throw CLIError.usage("unknown option '\(argument)'")
        }
        positional.append(argument)
        continue
      }
      var name = String(argument.dropFirst(2))
      var inlineValue: String?
      if let equals = name.firstIndex(of: "=") {
        inlineValue = String(name[name.index(after: equals)...])
        name = String(name[..<equals])
      }
      guard let spec = byName[name] else {
        throw CLIError.usage("unknown option '--\(name)'")
      }
      if spec.valueName == nil {
        guard inlineValue == nil else { throw CLIError.usage("option '--\(name)' takes no value") }
        flags.insert(name)
        continue
      }
      let value: String
      if let inlineValue {
        value = inlineValue
      } else {
        guard index < arguments.count else {
          throw CLIError.usage("option '--\(name)' needs a value (\(spec.valueName ?? "VALUE"))")
        }
        value = arguments[index]
        index += 1
      }
      guard values[name] == nil else { throw CLIError.usage("option '--\(name)' given more than once") }
      values[name] = value
    }
  }

  /// Whether boolean flag `name` was given.
  public func flag(_ name: String) -> Bool { flags.contains(name) }

  /// The raw value of option `name`, if given.
  public func string(_ name: String) -> String? { values[name] }

  /// Option `name` as an integer within `range`, or `defaultValue` when absent.
  /// - Throws: ``CLIError/usage(_:)`` when the value is not an integer in `range`.
  public func int(_ name: String, default defaultValue: Int, in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
    guard let raw = values[name] else { return defaultValue }
    guard let value = Int(raw), range.contains(value) else {
      throw CLIError.usage("invalid value '\(raw)' for '--\(name)': expected an integer in \(range.lowerBound)...\(range.upperBound)")
    }
    return value
  }

  /// Option `name` as a finite number within `range`, or `defaultValue` when absent.
  /// - Throws: ``CLIError/usage(_:)`` when the value is not a number in `range`.
  public func double(_ name: String, default defaultValue: Double?, in range: ClosedRange<Double>) throws -> Double? {
    guard let raw = values[name] else { return defaultValue }
    guard let value = Double(raw), value.isFinite, range.contains(value) else {
      throw CLIError.usage(
        "invalid value '\(raw)' for '--\(name)': expected a number in \(range.lowerBound)...\(range.upperBound)")
    }
    return value
  }

  /// Option `name` as an unsigned 64-bit integer (a seed), or `defaultValue` when absent.
  /// - Throws: ``CLIError/usage(_:)`` when the value is not a non-negative integer.
  public func unsigned(_ name: String, default defaultValue: UInt64) throws -> UInt64 {
    guard let raw = values[name] else { return defaultValue }
    guard let value = UInt64(raw) else {
      throw CLIError.usage("invalid value '\(raw)' for '--\(name)': expected a non-negative integer")
    }
    return value
  }

  /// Option `name` as a comma-separated list of integers within `range`, or `defaultValue`.
  /// - Throws: ``CLIError/usage(_:)`` when an item is not an integer in `range`.
  public func intList(_ name: String, default defaultValue: [Int], in range: ClosedRange<Int>) throws -> [Int] {
    guard let raw = values[name] else { return defaultValue }
    let items = raw.split(separator: ",", omittingEmptySubsequences: false)
    var result: [Int] = []
    for item in items {
      guard let value = Int(item), range.contains(value) else {
        throw CLIError.usage(
          "invalid value '\(raw)' for '--\(name)': expected comma-separated integers in \(range.lowerBound)...\(range.upperBound)")
      }
      result.append(value)
    }
    return result
  }

  /// Option `name` as one of an enumeration's cases, or `defaultValue` when absent.
  /// - Throws: ``CLIError/usage(_:)`` listing the valid choices.
  public func choice<E: RawRepresentable & CaseIterable>(_ name: String, default defaultValue: E) throws -> E
  where E.RawValue == String {
    guard let raw = values[name] else { return defaultValue }
    guard let value = E(rawValue: raw) else {
      let valid = E.allCases.map(\.rawValue).joined(separator: ", ")
      throw CLIError.usage("invalid value '\(raw)' for '--\(name)': choose one of \(valid)")
    }
    return value
  }
}

/// Formats the help text of a command from its options.
func helpText(usage: String, abstract: String, specs: [OptionSpec], footer: String = "") -> String {
  var lines = [abstract, "", "USAGE: \(usage)", "", "OPTIONS:"]
  let labels = specs.map { spec in
    spec.valueName.map { "--\(spec.name) <\($0)>" } ?? "--\(spec.name)"
  }
  let width = (labels.map(\.count).max() ?? 0) + 2
  for (spec, label) in zip(specs, labels) {
    var line = "  " + label.padding(toLength: width, withPad: " ", startingAt: 0) + spec.help
    if let defaultValue = spec.defaultValue { line += " (default: \(defaultValue))" }
    lines.append(line)
  }
  lines.append("  " + "--help".padding(toLength: width, withPad: " ", startingAt: 0) + "Show this help.")
  if !footer.isEmpty { lines += ["", footer] }
  return lines.joined(separator: "\n")
}
