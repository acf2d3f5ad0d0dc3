import GrawaNN
import GrawaOptim
import GrawaTensor
import XCTest

/// The `Optimizer` protocol's shared behaviour and the module's error type.
final class OptimizerTests: XCTestCase {
  /// Trains through the protocol only, as a strategy holding `any Optimizer` would.
  private func descend(_ optimizer: any Optimizer, gradients: [[Float]]) throws {
    for (parameter, g) in zip(optimizer.parameters, gradients) {
      try setGradient(parameter, g)
    }
    try optimizer.step()
    optimizer.zeroGradients()
  }

  func testProtocol_stepsAndClearsGradients() throws {
    // Plain SGD, lr 0.5: [1, 2] - 0.5 * [2, -2] = [0, 3]; [4] - 0.5 * [1] = [3.5].
    let parameters = [Parameter(Tensor([1, 2])), Parameter(Tensor([4]))]
    let optimizer: any Optimizer = try SGD(parameters: parameters, learningRate: 0.5)
    try descend(optimizer, gradients: [[2, -2], [1]])
    XCTAssertEqual(parameters[0].value.scalars, [0, 3])
    XCTAssertEqual(parameters[1].value.scalars, [3.5])
    XCTAssertNil(parameters[0].gradient)
    XCTAssertNil(parameters[1].gradient)
    XCTAssertEqual(optimizer.stepCount, 1)
    optimizer.learningRate = 0.25
    XCTAssertEqual(optimizer.learningRate, 0.25)
  }

  func testOptimizerError_describesOperationAndMessage() {
    let error = OptimizerError("SGD", "invalid momentum 2.0: must be in [0, 1)")
    XCTAssertEqual(error.description, "SGD: invalid momentum 2.0: must be in [0, 1)")
    XCTAssertEqual(error, OptimizerError("SGD", "invalid momentum 2.0: must be in [0, 1)"))
  }
}
