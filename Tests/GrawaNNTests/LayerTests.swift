import GrawaNN
import GrawaTensor
import XCTest
import _TestSupport

final class LayerTests: XCTestCase {
  func testSequential_namesParametersAndBuffersByPositionInOrder() {
    var random = RandomGenerator(seed: 1)
    let model = Sequential([
      Conv2D(inputChannels: 1, outputChannels: 4, kernelSize: 3, padding: 1, generator: &random),
      BatchNorm2D(channels: 4),
      ReLU(),
      GlobalAvgPool2D(),
      Linear(inputFeatures: 4, outputFeatures: 3, generator: &random),
    ])
    XCTAssertEqual(model.namedParameters.map(\.name), ["0.weight", "1.weight", "1.bias", "4.weight", "4.bias"])
    XCTAssertEqual(model.namedBuffers.map(\.name), ["1.running_mean", "1.running_var"])
    XCTAssertEqual(model.parameterCount, 36 + 4 + 4 + 12 + 3)
    let layout = try? model.parameterLayout()
    XCTAssertEqual(layout?.offsets, [0, 36, 40, 44, 56])
  }

  func testSequential_runsBatchNormThenReLUFused_withTheSameBits() throws {
    var random = RandomGenerator(seed: 5)
    let conv = Conv2D(
      inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: 1, generator: &random)
    let norm = BatchNorm2D(channels: 3)
    let model = Sequential([conv, norm, ReLU()])
    var values = TestRandom(seed: 6)
    let x = values.tensor([4, 2, 5, 5])
    let seed = values.tensor([4, 3, 5, 5])
    let context = ForwardContext(mode: .training)
    // The fused path: one batchNormReLU2d operation and no relu.
    OpProfiler.reset()
    let fused = try OpProfiler.profiling { () throws -> [[Float]] in
      let y = try model(x, context)
      try y.backward(seed: seed)
      let grads = model.namedParameters.map { $0.parameter.gradient?.scalars ?? [] }
      return [y.scalars] + grads
    }
    let operations = Set(OpProfiler.entries.map(\.operation))
    OpProfiler.reset()
    XCTAssertTrue(operations.contains("batchNormReLU2d"), "\(operations)")
    XCTAssertFalse(operations.contains("relu"), "\(operations)")
    XCTAssertFalse(operations.contains("batchNorm2d"), "\(operations)")
    let fusedStatistics = [norm.runningMean.value.scalars, norm.runningVariance.value.scalars]
    // The same layers called one by one, from the same running statistics.
    try norm.runningMean.value.assign([0, 0, 0])
    try norm.runningVariance.value.assign([1, 1, 1])
    for (_, parameter) in model.namedParameters { parameter.zeroGradient() }
    let y = try ReLU()(norm(conv(x, context), context), context)
    try y.backward(seed: seed)
    let separate =
      [y.scalars] + model.namedParameters.map { $0.parameter.gradient?.scalars ?? [] }
    XCTAssertEqual(fused.count, separate.count)
    for (index, (a, b)) in zip(fused, separate).enumerated() {
      XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "part \(index)")
    }
    XCTAssertEqual(
      fusedStatistics, [norm.runningMean.value.scalars, norm.runningVariance.value.scalars])
  }

  func testBatchNorm2D_addingAResidualThenReLU_isOneOperationWithTheBitsOfThree() throws {
    var values = TestRandom(seed: 16)
    let x = values.tensor([4, 3, 5, 5], -2, 2)
    let residual = values.tensor([4, 3, 5, 5]).requiringGradient()
    let seed = values.tensor([4, 3, 5, 5])
    let context = ForwardContext(mode: .training)
    var results: [[[Float]]] = []
    for fused in [true, false] {
      let norm = BatchNorm2D(channels: 3)
      let input = x.requiringGradient()
      residual.zeroGradient()
      OpProfiler.reset()
      let y = try OpProfiler.profiling { () throws -> Tensor in
        let y =
          fused
          ? try norm(input, context, adding: residual, relu: true)
          : try (norm(input, context) + residual).relu()
        try y.backward(seed: seed)
        return y
      }
      let operations = Set(OpProfiler.entries.map(\.operation))
      OpProfiler.reset()
      if fused {
        XCTAssertEqual(operations, ["batchNormAddReLU2d"])
      } else {
        XCTAssertEqual(operations, ["batchNorm2d", "add", "relu"])
      }
      results.append(
        [y.scalars, input.gradient?.scalars ?? [], residual.gradient?.scalars ?? []]
          + norm.namedParameters.map { $0.parameter.gradient?.scalars ?? [] }
          + norm.namedBuffers.map { $0.buffer.value.scalars })
    }
    XCTAssertEqual(results[0].count, 7)
    for (index, (a, b)) in zip(results[0], results[1]).enumerated() {
      XCTAssertFalse(a.isEmpty, "part \(index)")
      XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "part \(index)")
    }
    // A shortcut of another shape is refused, naming the operation.
    XCTAssertThrowsError(
      try BatchNorm2D(channels: 3)(x, context, adding: Tensor.zeros([4, 6, 5, 5]), relu: true)
    ) { XCTAssertTrue("\($0)".contains("residual must have the input's shape"), "\($0)") }
  }

  func testBatchNorm2D_updatesRunningStatisticsOnlyInTraining() throws {
    let layer = BatchNorm2D(channels: 1)
    // One channel, values 1, 2, 3, 4: batch mean 2.5, unbiased variance 5/3.
    let x = try Tensor(shape: [4, 1, 1, 1], scalars: [1, 2, 3, 4])
    _ = try layer(x, ForwardContext(mode: .trainingFrozenStatistics))
    XCTAssertEqual(layer.runningMean.value.scalars, [0])
    XCTAssertEqual(layer.runningVariance.value.scalars, [1])
    _ = try layer(x, ForwardContext(mode: .inference))
    XCTAssertEqual(layer.runningMean.value.scalars, [0])
    _ = try layer(x, ForwardContext(mode: .training))
    // running = 0.9 * old + 0.1 * batch: mean 0.25, variance 0.9 + 0.1 * 5/3 = 1.0666667.
    assertClose(layer.runningMean.value.scalars, [0.25], rtol: 1e-6)
    assertClose(layer.runningVariance.value.scalars, [0.9 + 0.1 * 5 / 3], rtol: 1e-6)
  }

  func testBatchNorm2D_inferenceUsesRunningStatistics() throws {
    let layer = BatchNorm2D(channels: 1)
    try layer.runningMean.value.assign([2])
    try layer.runningVariance.value.assign([4])
    let x = try Tensor(shape: [2, 1, 1, 1], scalars: [2, 6])
    let y = try layer(x, ForwardContext(mode: .inference))
    // (x - 2) / sqrt(4 + 1e-5): 0 and ~2.
    assertClose(y.scalars, [0, 4 / (4 + 1e-5 as Float).squareRoot()], rtol: 1e-6)
  }

  func testDropout_isIdentityInInferenceAndSeededInTraining() throws {
    let layer = Dropout(probability: 0.5)
    let x = Tensor.ones([64])
    XCTAssertEqual(try layer(x, ForwardContext(mode: .inference)).scalars, x.scalars)
    let a = try layer(x, ForwardContext(mode: .training, random: RandomGenerator(seed: 3)))
    let b = try layer(x, ForwardContext(mode: .training, random: RandomGenerator(seed: 3)))
    XCTAssertEqual(a.scalars, b.scalars)
    XCTAssertTrue(a.scalars.contains(0))
    XCTAssertTrue(a.scalars.contains(2))
  }

  func testConv2DAndLinear_defaultInitialisationBounds() {
    var random = RandomGenerator(seed: 5)
    let conv = Conv2D(inputChannels: 8, outputChannels: 16, kernelSize: 3, bias: true, generator: &random)
    let bound = 1 / Float(8 * 9).squareRoot()
    XCTAssertTrue(conv.weight.value.scalars.allSatisfy { abs($0) <= bound })
    XCTAssertTrue(conv.bias?.value.scalars.allSatisfy { abs($0) <= bound } ?? false)
    XCTAssertEqual(conv.namedParameters.map(\.name), ["weight", "bias"])
    let linear = Linear(inputFeatures: 100, outputFeatures: 10, generator: &random)
    XCTAssertTrue(linear.weight.value.scalars.allSatisfy { abs($0) <= 0.1 })
    XCTAssertGreaterThan(linear.weight.value.scalars.map(abs).max() ?? 0, 0.09)
  }

  func testLayerGradients_reachEveryParameterOfASmallNetwork() throws {
    var random = RandomGenerator(seed: 9)
    let model = Sequential([
      Conv2D(inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: 1, bias: true, generator: &random),
      BatchNorm2D(channels: 3),
      ReLU(),
      MaxPool2D(kernelSize: 2),
      Flatten(),
      Linear(inputFeatures: 3 * 2 * 2, outputFeatures: 4, generator: &random),
    ])
    let x = Tensor.randomNormal([3, 2, 4, 4], using: &random)
    let loss = try model(x, ForwardContext(mode: .training)).crossEntropy(labels: [0, 1, 3])
    try loss.backward()
    for (name, parameter) in model.namedParameters {
      XCTAssertNotNil(parameter.gradient, "\(name) got no gradient")
    }
  }
}
