/// A setting of a training configuration that is out of its valid range.
///
/// It names the ``TrainingSetting`` (not a command-line flag), so a front end can point at its
/// own spelling of it; ``description`` reads "communication period must be at least 1, got 0".
public struct SettingError: Error, CustomStringConvertible, Equatable {
  /// The setting that is wrong.
  public let setting: TrainingSetting
  /// What is wrong with it, phrased to follow the setting's label: "must be at least 1, got 0".
  public let problem: String

  /// An error saying that `setting` `problem`.
  public init(_ setting: TrainingSetting, _ problem: String) {
    self.setting = setting
    self.problem = problem
  }

  /// The setting's label followed by the problem.
  public var description: String { "\(setting.label) \(problem)" }
}
