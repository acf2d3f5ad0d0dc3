import GrawaNN
import GrawaTensor
import XCTest

/// Helpers shared by the model tests: counting, inputs, forward-shape and gradient checks.
public enum ModelTesting {
  /// Asserts the scalar count and the tensor count (both through ``Layer/parameterLayout()``,
  /// the layout checkpoints and LGRAWA use, and through ``Layer/parameterCount``).
  public static func assertCounts(
    _ model: any Layer, parameters: Int, tensors: Int, file: StaticString = #filePath,
    line: UInt = #line
  ) throws {
    XCTAssertEqual(model.parameterCount, parameters, "parameter count", file: file, line: line)
    let layout = try model.parameterLayout()
    XCTAssertEqual(layout.tensorCount, tensors, "parameter-tensor count", file: file, line: line)
    XCTAssertEqual(layout.totalCount, parameters, "layout size", file: file, line: line)
  }

  /// A deterministic batch of images in `[-1, 1)`.
  public static func images(batch: Int, channels: Int, size: Int, seed: UInt64 = 1) -> Tensor {
    var generator = RandomGenerator(seed: seed, stream: 99)
    return Tensor.randomUniform([batch, channels, size, size], low: -1, high: 1, using: &generator)
  }

  /// Runs a training-mode forward pass (batch statistics, dropout on) without recording
  /// gradients, checks the output is `[batch, classes]` and finite, and returns it.
  @discardableResult
  public static func assertForwardShape(
    _ model: any Layer, batch: Int = 2, channels: Int, size: Int, classes: Int,
    mode: ForwardContext.Mode = .training, file: StaticString = #filePath, line: UInt = #line
  ) throws -> Tensor {
    let input = images(batch: batch, channels: channels, size: size)
    let output = try GradientRecording.withoutGradients {
      try model(input, ForwardContext(mode: mode, random: RandomGenerator(seed: 5)))
    }
    XCTAssertEqual(
      output.shape, [batch, classes], "logits shape for \(channels)x\(size)x\(size)", file: file,
      line: line)
    XCTAssertTrue(output.scalars.allSatisfy(\.isFinite), "finite logits", file: file, line: line)
    return output
  }

  /// The mean and (population) standard deviation of `values`, in `Double`.
  public static func moments(_ values: [Float]) -> (mean: Double, standardDeviation: Double) {
    let n = Double(values.count)
    let mean = values.reduce(0.0) { $0 + Double($1) } / n
    let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
    return (mean, variance.squareRoot())
  }

  /// Asserts that every name is unique and that BN layers hold gamma 1, beta 0 (every parameter
  /// whose owner has a `running_mean` buffer).
  public static func assertNamesUniqueAndBatchNormFresh(
    _ model: any Layer, file: StaticString = #filePath, line: UInt = #line
  ) {
    let names = model.namedParameters.map(\.name)
    XCTAssertEqual(
      Set(names).count, names.count, "parameter names are unique", file: file, line: line)
    let bufferNames = model.namedBuffers.map(\.name)
    XCTAssertEqual(
      Set(bufferNames).count, bufferNames.count, "buffer names are unique", file: file, line: line)
    let normPrefixes = Set(
      bufferNames.filter { $0.hasSuffix(".running_mean") }.map {
        $0.dropLast(".running_mean".count)
      })
    XCTAssertEqual(
      bufferNames.count, 2 * normPrefixes.count, "two buffers per batch norm", file: file,
      line: line)
    var checked = 0
    for (name, parameter) in model.namedParameters {
      if name.hasSuffix(".weight"), normPrefixes.contains(name.dropLast(".weight".count)) {
        XCTAssertTrue(
          parameter.value.scalars.allSatisfy { $0 == 1 }, "\(name) starts at 1", file: file,
          line: line)
        checked += 1
      } else if name.hasSuffix(".bias"), normPrefixes.contains(name.dropLast(".bias".count)) {
        XCTAssertTrue(
          parameter.value.scalars.allSatisfy { $0 == 0 }, "\(name) starts at 0", file: file,
          line: line)
        checked += 1
      }
    }
    XCTAssertEqual(
      checked, 2 * normPrefixes.count, "every batch norm has weight and bias", file: file,
      line: line)
  }

  /// Asserts the two models have the same names and bit-identical parameters.
  public static func assertIdenticalParameters(
    _ a: any Layer, _ b: any Layer, file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertEqual(
      a.namedParameters.map(\.name), b.namedParameters.map(\.name), file: file, line: line)
    for (x, y) in zip(a.namedParameters, b.namedParameters)
    where x.parameter.value != y.parameter.value {
      XCTFail("\(x.name) differs", file: file, line: line)
      return
    }
  }

  /// Sets every parameter whose name `matches` to zero.
  public static func zero(_ model: any Layer, where matches: (String) -> Bool) throws {
    for (name, parameter) in model.namedParameters where matches(name) {
      try parameter.value.assign([Float](repeating: 0, count: parameter.count))
    }
  }
}
