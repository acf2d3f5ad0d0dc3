import Foundation
import GrawaNN
import GrawaTensor

/// Flat views of a model's parameters, buffers and gradients: the only form in which model state
/// crosses threads or goes into checkpoints.
extension Layer {
  /// All parameters concatenated in ``Layer/namedParameters`` order.
  public func flatParameters() -> [Float] {
    var flat: [Float] = []
    flat.reserveCapacity(parameterCount)
    for parameter in parameters { flat.append(contentsOf: parameter.value.scalars) }
    return flat
  }

  /// Overwrites every parameter from `flat` (same order and total size).
  public func setFlatParameters(_ flat: [Float]) throws {
    try scatter(
      flat, into: parameters.map { parameter in (parameter.count, { try parameter.value.assign($0) }) })
  }

  /// The number of buffer scalars.
  public var bufferCount: Int { namedBuffers.reduce(0) { $0 + $1.buffer.value.count } }

  /// All buffers concatenated in ``Layer/namedBuffers`` order.
  public func flatBuffers() -> [Float] {
    var flat: [Float] = []
    flat.reserveCapacity(bufferCount)
    for (_, buffer) in namedBuffers { flat.append(contentsOf: buffer.value.scalars) }
    return flat
  }

  /// Overwrites every buffer from `flat`.
  public func setFlatBuffers(_ flat: [Float]) throws {
    try scatter(flat, into: namedBuffers.map { entry in (entry.buffer.value.count, { try entry.buffer.value.assign($0) }) })
  }

  /// All parameters' gradients concatenated (zeros where a parameter has none).
  public func flatGradients() -> [Float] {
    var flat: [Float] = []
    flat.reserveCapacity(parameterCount)
    for parameter in parameters {
      if let gradient = parameter.gradient {
        flat.append(contentsOf: gradient.scalars)
      } else {
        flat.append(contentsOf: repeatElement(0, count: parameter.count))
      }
    }
    return flat
  }

  /// Replaces every parameter's gradient with its slice of `flat`.
  public func setFlatGradients(_ flat: [Float]) throws {
    try scatter(
      flat,
      into: parameters.map { parameter in
        (parameter.count, { try parameter.value.setGradient(Tensor(shape: parameter.shape, scalars: $0)) })
      })
  }

  /// The Frobenius norm of each parameter's gradient (0 where none), computed in `Double`.
  public func tensorGradientNorms() -> [Double] {
    parameters.map { parameter in
      guard let gradient = parameter.gradient else { return 0 }
      return gradient.withUnsafeScalars {
        ElementwiseKernels.sumOfSquares($0.start, count: $0.count).squareRoot()
      }
    }
  }

  private func scatter(_ flat: [Float], into targets: [(count: Int, assign: ([Float]) throws -> Void)]) throws {
    let total = targets.reduce(0) { $0 + $1.count }
    guard flat.count == total else {
      throw DistributedError.lengthMismatch(expected: total, got: flat.count, worker: -1)
    }
    var offset = 0
    for target in targets {
      try target.assign(Array(flat[offset..<(offset + target.count)]))
      offset += target.count
    }
  }
}

/// Encodes and decodes strategy states for snapshots and checkpoints (binary property lists).
package enum StateCoding {
  package static func encode<T: Codable>(_ value: T) throws -> [UInt8] {
    let encoder = PropertyListEncoder()
    encoder.outputFormat = .binary
    return [UInt8](try encoder.encode(StateBox(value: value)))
  }

  package static func decode<T: Codable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
    try PropertyListDecoder().decode(StateBox<T>.self, from: Data(bytes)).value
  }

  /// Property lists need a dictionary or array at the top level.
  private struct StateBox<Value: Codable>: Codable {
    var value: Value
  }
}
