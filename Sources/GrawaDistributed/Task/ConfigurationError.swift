/// An invalid setting of a run (``RunSettings``, a task, a strategy); the message names the
/// setting.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
  /// What is wrong, naming the setting.
  public let message: String

  /// An error explaining `message`.
  public init(_ message: String) { self.message = message }

  /// The message.
  public var description: String { message }
}
