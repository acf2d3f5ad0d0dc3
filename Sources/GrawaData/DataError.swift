/// An error reading or preparing a dataset; the message names the file and the problem.
public struct DataError: Error, Equatable, CustomStringConvertible, Sendable {
  /// The file (or directory) involved, if any.
  public let path: String?
  /// What is wrong.
  public let message: String

  /// An error about `path` explaining `message`.
  public init(path: String?, _ message: String) {
    self.path = path
    self.message = message
  }

  /// `"<path>: <message>"`, or just the message when no file is involved.
  public var description: String {
    if let path { return "\(path): \(message)" }
    return message
  }
}
