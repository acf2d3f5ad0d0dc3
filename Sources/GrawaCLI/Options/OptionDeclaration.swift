import GrawaExperiments

/// What help, the parser and the resume check need from any declared option or flag, whatever
/// its value type: the type-erased face of ``Option`` and ``Flag``.
///
/// Declarations are classes so that a command can tell its own declaration from another one that
/// happens to share the flag's name: reading an option goes by identity, not by spelling.
public protocol OptionDeclaration: AnyObject, Sendable {
  /// The long flag without dashes: `"comm-period"` for `--comm-period`.
  var name: String { get }
  /// A one-letter alias (`o` for `-o`), if any.
  var shortName: Character? { get }
  /// The value placeholder shown in help (`"N"`), or `nil` for a flag that takes no value.
  var placeholder: String? { get }
  /// One line of help.
  var help: String { get }
  /// The default as help shows it, or `nil` for a flag.
  var defaultText: String? { get }
  /// Every valid value, when the value type has a fixed list.
  var choices: [String]? { get }
  /// Whether `train --resume` accepts the option; `nil` for options of other commands (and
  /// treated as ``ResumePolicy/newRunOnly`` by the resume check).
  var resume: ResumePolicy? { get }
  /// The library setting the option sets, so errors naming a ``TrainingSetting`` can be
  /// reported against the flag.
  var setting: TrainingSetting? { get }

  /// Checks `argument` as the option's value.
  /// - Throws: ``InvalidOptionValue`` with the reason it is not valid.
  func check(_ argument: String) throws
}

extension OptionDeclaration {
  /// The flag as typed: `"--comm-period"`.
  public var flag: String { "--" + name }

  /// The strategies the option does something for, when it sets a strategy-specific setting
  /// (``StrategyKind/strategies(using:)``); `nil` when it applies whatever the strategy.
  public var strategies: [StrategyKind]? { setting.flatMap(StrategyKind.strategies(using:)) }

  /// Whether the option does something for `strategy`.
  public func applies(to strategy: StrategyKind) -> Bool {
    strategies?.contains(strategy) ?? true
  }
}

/// Whether a resumed run (`train --resume DIR`) accepts an option.
public enum ResumePolicy: Sendable, Equatable {
  /// Only a new run takes it: a resumed run keeps its checkpoint's value.
  case newRunOnly
  /// A resumed run takes it too (budgets, cadences, threads), replacing the checkpoint's value.
  case allowed
}
