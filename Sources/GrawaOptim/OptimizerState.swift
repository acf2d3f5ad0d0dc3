import GrawaNN

/// An optimizer's resumable state as a plain value, for checkpoints.
///
/// `buffers` is aligned with the optimizer's parameter list: entry `i` is parameter `i`'s
/// per-parameter buffer (SGD's momentum buffer), or `nil` while it does not exist yet — SGD
/// creates a buffer lazily on the first step that parameter has a gradient, and that first step
/// copies the gradient instead of decaying a buffer (docs/algorithms.md, "The local step"), so "not yet created"
/// must survive a round trip. Importing the state into a fresh optimizer over parameters with the
/// same values continues training bit for bit as if it had never stopped.
public struct OptimizerState: Sendable, Codable, Equatable {
  /// The number of completed steps.
  public var stepCount: Int
  /// One buffer per parameter, `nil` where none has been created.
  public var buffers: [[Float]?]

  /// A state with `stepCount` completed steps and the given buffers.
  public init(stepCount: Int, buffers: [[Float]?]) {
    self.stepCount = stepCount
    self.buffers = buffers
  }

  /// Checks that this state fits `parameters`: one buffer entry per parameter, each existing
  /// buffer with exactly as many elements as its parameter, a non-negative step count.
  /// - Parameters:
  ///   - parameters: the optimizer's parameter list, in order.
  ///   - operation: the importing optimizer's name, for the error message.
  /// - Throws: ``OptimizerError`` naming the first mismatch.
  public func validate(for parameters: [Parameter], operation: String) throws {
    guard stepCount >= 0 else {
      throw OptimizerError(operation, "cannot import state: negative step count \(stepCount)")
    }
    guard buffers.count == parameters.count else {
      throw OptimizerError(
        operation,
        "cannot import state: it has \(buffers.count) buffer entries but the optimizer has "
          + "\(parameters.count) parameters")
    }
    for (index, entry) in buffers.enumerated() {
      guard let buffer = entry else { continue }
      let expected = parameters[index].count
      guard buffer.count == expected else {
        throw OptimizerError(
          operation,
          "cannot import state: buffer \(index) has \(buffer.count) elements but parameter "
            + "\(index) (shape \(parameters[index].shape)) has \(expected)")
      }
    }
  }
}
