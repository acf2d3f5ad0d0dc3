/// Command-line arguments parsed against a command's declared options.
///
/// Accepts `--name value`, `--name=value`, a one-letter alias (`-o value`) and boolean flags.
/// Every value is checked as it is parsed, so a bad value is refused before anything runs, even
/// for an option the command would read only later. Values are then read through their
/// declarations (`try parsed[TrainOptions.steps]`): the type comes from the declaration, and
/// reading an option the command did not declare is an internal error, never a silent default.
public struct ParsedArguments: Sendable {
  /// The options the arguments were parsed against, in declaration order.
  public let declarations: [any OptionDeclaration]
  /// The raw text of each option given, by name.
  private var values: [String: String] = [:]
  /// The flags given, by name.
  private var flags: Set<String> = []
  /// Arguments that are not options, in order.
  public private(set) var positional: [String] = []

  /// Parses `arguments` (without the program and sub-command names) against `options`.
  /// - Throws: ``CLIError/usage(_:)`` for an unknown flag (suggesting a near one), a missing or
  ///   invalid value (naming the flag and what it expects), or an option given twice.
  public init(_ arguments: [String], options: [any OptionDeclaration]) throws {
    declarations = options
    var byName: [String: any OptionDeclaration] = [:]
    var byShortName: [Character: any OptionDeclaration] = [:]
    for option in options {
      precondition(byName[option.name] == nil, "option '\(option.flag)' is declared twice")
      byName[option.name] = option
      if let short = option.shortName { byShortName[short] = option }
    }
    var index = 0
    while index < arguments.count {
      let argument = arguments[index]
      index += 1
      let option: any OptionDeclaration
      var inlineValue: String?
      if argument.hasPrefix("--"), argument.count > 2 {
        var name = String(argument.dropFirst(2))
        if let equals = name.firstIndex(of: "=") {
          inlineValue = String(name[name.index(after: equals)...])
          name = String(name[..<equals])
        }
        guard let declared = byName[name] else {
          throw CLIError.usage(Self.unknownOptionMessage("--" + name, options: options))
        }
        option = declared
      } else if argument.hasPrefix("-"), argument != "-" {
        guard argument.count == 2, let short = argument.last, let declared = byShortName[short]
        else {
          throw CLIError.usage(Self.unknownOptionMessage(argument, options: options))
        }
        option = declared
      } else {
        positional.append(argument)
        continue
      }
      guard values[option.name] == nil, !flags.contains(option.name) else {
        throw CLIError.usage("option '\(option.flag)' given more than once")
      }
      guard let placeholder = option.placeholder else {
        guard inlineValue == nil else {
          throw CLIError.usage("option '\(option.flag)' takes no value")
        }
        flags.insert(option.name)
        continue
      }
      let value: String
      if let inlineValue {
        value = inlineValue
      } else {
        guard index < arguments.count else {
          throw CLIError.usage("option '\(option.flag)' needs a value (\(placeholder))")
        }
        value = arguments[index]
        index += 1
      }
      do {
        try option.check(value)
      } catch let error as InvalidOptionValue {
        throw CLIError.usage(
          "invalid value '\(value)' for '\(option.flag)': \(error.reason ?? "not valid")")
      }
      values[option.name] = value
    }
  }

  /// The value of `option`: the argument given, or the declared default.
  /// - Throws: ``CLIError/failure(_:)`` when the command reads an option it did not declare
  ///   (a bug, reported loudly rather than read as a default).
  public subscript<Value>(_ option: Option<Value>) -> Value {
    get throws {
      try requireDeclared(option)
      guard let raw = values[option.name] else { return option.defaultValue }
      return try option.parse(raw)
    }
  }

  /// Whether `flag` was given.
  /// - Throws: ``CLIError/failure(_:)`` when the command reads a flag it did not declare.
  public subscript(_ flag: Flag) -> Bool {
    get throws {
      try requireDeclared(flag)
      return flags.contains(flag.name)
    }
  }

  /// The value of `option` if it was given, `nil` when absent (a resumed run keeps its own then).
  /// - Throws: ``CLIError/failure(_:)`` for an undeclared option.
  public func valueIfGiven<Value>(_ option: Option<Value>) throws -> Value? {
    try requireDeclared(option)
    return try values[option.name].map { try option.parse($0) }
  }

  /// Whether `option` (or flag) was given.
  public func isGiven(_ option: any OptionDeclaration) -> Bool {
    values[option.name] != nil || flags.contains(option.name)
  }

  /// The argument given for `option` exactly as typed, if it was given.
  public func argument(of option: any OptionDeclaration) -> String? {
    values[option.name]
  }

  /// The declared options and flags that were given, in declaration order.
  public var given: [any OptionDeclaration] {
    declarations.filter { isGiven($0) }
  }

  /// The given options as arguments again (`["--steps", "8", "--quiet"]`), to pass on to
  /// another command.
  public func arguments(for options: [any OptionDeclaration]) -> [String] {
    options.flatMap { option -> [String] in
      if let value = values[option.name] { return [option.flag, value] }
      return flags.contains(option.name) ? [option.flag] : []
    }
  }

  /// A usage error saying the value of `option` is invalid for `reason`, quoting the argument
  /// when it was given ("invalid value '5' for '--proximity': ...") and naming just the flag
  /// when its default is at fault. For rules that involve more than one option.
  public func invalidValue(_ option: any OptionDeclaration, _ reason: String) -> CLIError {
    guard let value = values[option.name] else { return .usage("'\(option.flag)': \(reason)") }
    return .usage("invalid value '\(value)' for '\(option.flag)': \(reason)")
  }

  private func requireDeclared(_ option: any OptionDeclaration) throws {
    guard declarations.contains(where: { $0 === option }) else {
      throw CLIError.failure(
        "internal error: option '\(option.flag)' is read but this command does not declare it")
    }
  }

  /// "unknown option '--stepz' (did you mean '--steps'?)".
  static func unknownOptionMessage(_ typed: String, options: [any OptionDeclaration]) -> String {
    let names = options.map(\.flag) + ["--help"]
    guard let suggestion = nearestSpelling(of: typed, among: names) else {
      return "unknown option '\(typed)'"
    }
    return "unknown option '\(typed)' (did you mean '\(suggestion)'?)"
  }
}
