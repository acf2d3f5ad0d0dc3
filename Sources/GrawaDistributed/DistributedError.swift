/// An error that stops a distributed run.
public enum DistributedError: Error, Equatable, CustomStringConvertible, Sendable {
  /// A worker's gradient-norm score is NaN, infinite or negative: the worker diverged.
  case nonFiniteScore(worker: Int, value: Double)
  /// Flat parameter buffers of different lengths met in one average.
  case lengthMismatch(expected: Int, got: Int, worker: Int)
  /// Weights and contributions differ in number.
  case countMismatch(String)

  /// A message naming the worker and the problem.
  public var description: String {
    switch self {
    case .nonFiniteScore(let worker, let value):
      "worker \(worker): gradient-norm score is \(value) (the worker diverged)"
    case .lengthMismatch(let expected, let got, let worker):
      "worker \(worker): flat parameter buffer has \(got) elements, expected \(expected)"
    case .countMismatch(let message):
      message
    }
  }
}
