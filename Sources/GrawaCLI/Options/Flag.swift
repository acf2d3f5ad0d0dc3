import GrawaExperiments

/// A boolean command-line flag (`--quiet`): present or absent, declared once with its help.
///
/// Read it through the declaration: `let quiet = try parsed[TrainOptions.quiet]`.
public final class Flag: OptionDeclaration {
  /// The long flag without dashes.
  public let name: String
  /// One line of help.
  public let help: String
  /// Whether a resumed `train` run accepts the flag.
  public let resume: ResumePolicy?

  /// A flag `--name` with `help`.
  public init(_ name: String, help: String, resume: ResumePolicy? = nil) {
    precondition(!name.isEmpty && !name.hasPrefix("-"), "declare '\(name)' without dashes")
    self.name = name
    self.help = help
    self.resume = resume
  }

  /// Flags have no short alias.
  public var shortName: Character? { nil }
  /// `nil`: a flag takes no value.
  public var placeholder: String? { nil }
  /// `nil`: a flag's default is its absence.
  public var defaultText: String? { nil }
  /// `nil`: a flag has no values.
  public var choices: [String]? { nil }
  /// `nil`: a flag sets no library setting.
  public var setting: TrainingSetting? { nil }

  /// A flag takes no value.
  /// - Throws: always, ``InvalidOptionValue``.
  public func check(_ argument: String) throws {
    throw InvalidOptionValue("'\(flag)' takes no value")
  }
}
