/// An error thrown by a tensor operation whose inputs do not fit together.
///
/// Every shape check happens before any memory is touched, so a thrown error never leaves a
/// half-written result behind.
public struct TensorError: Error, Equatable, CustomStringConvertible, Sendable {
  /// The operation that rejected its inputs, e.g. `"conv2d"`.
  public let operation: String
  /// What is wrong, with the offending shapes.
  public let message: String

  /// Creates an error for `operation` explaining `message`.
  public init(_ operation: String, _ message: String) {
    self.operation = operation
    self.message = message
  }

  /// `"<operation>: <message>"`.
  public var description: String { "\(operation): \(message)" }
}

/// Formats a shape the way error messages print it, e.g. `[128, 16, 32, 32]`.
func describe(_ shape: [Int]) -> String {
  "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
