import Foundation
import GrawaNN
import GrawaOptim
import GrawaTensor
import XCTest
import _TestSupport

/// Exporting and importing optimizer state: resuming continues bit for bit, and state that does
/// not fit is rejected with a clear message.
final class OptimizerStateTests: XCTestCase {
  /// A loss with x-dependent gradients: 0.5 * sum(a * x^2) + sum(c_t * x), different c_t per step.
  /// The third parameter joins the loss only from step 4 on, so at step 3 its buffer is "not yet
  /// created" and must start with buf = g after a resume.
  private func backward(_ parameters: [Parameter], step: Int) throws {
    for parameter in parameters { parameter.zeroGradient() }
    var random = TestRandom(seed: UInt64(100 + step))
    let used = step >= 4 ? parameters : Array(parameters.prefix(2))
    var loss = Tensor(0)
    for parameter in used {
      let a = try Tensor(shape: parameter.shape, scalars: random.uniforms(parameter.count, 0.5, 2))
      let c = try Tensor(shape: parameter.shape, scalars: random.uniforms(parameter.count))
      let quadratic = try (a * parameter.value * parameter.value).sum().scaled(by: 0.5)
      loss = try loss + quadratic + (c * parameter.value).sum()
    }
    try loss.backward()
  }

  private func makeParameters() -> [Parameter] {
    var random = TestRandom(seed: 42)
    return [
      Parameter(random.tensor([3, 7])), Parameter(random.tensor([19])),
      Parameter(random.tensor([5])),
    ]
  }

  func testResume_continuesBitForBit() throws {
    // Nesterov (the paper's form) and damped momentum: with dampening, a buffer that is "not yet
    // created" (first step: buf = g) differs from a zero buffer (buf = 0.7 * g), so the resume
    // must carry `nil` through.
    try checkResume(
      SGD.Configuration(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4, nesterov: true))
    try checkResume(SGD.Configuration(learningRate: 0.05, momentum: 0.9, dampening: 0.3))
  }

  private func checkResume(
    _ configuration: SGD.Configuration, file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let k = 3
    let total = 7

    // Uninterrupted run of `total` steps.
    let uninterrupted = makeParameters()
    let sgd = try SGD(parameters: uninterrupted, configuration: configuration)
    for step in 0..<total {
      try backward(uninterrupted, step: step)
      try sgd.step()
    }

    // k steps, export (through JSON, as a checkpoint would), then a fresh optimizer over copies.
    let first = makeParameters()
    let firstSGD = try SGD(parameters: first, configuration: configuration)
    for step in 0..<k {
      try backward(first, step: step)
      try firstSGD.step()
    }
    let exported = firstSGD.exportState()
    XCTAssertEqual(exported.stepCount, k)
    XCTAssertNotNil(exported.buffers[0])
    XCTAssertNil(exported.buffers[2], "the third parameter has had no gradient yet")
    let json = try JSONEncoder().encode(exported)
    let state = try JSONDecoder().decode(OptimizerState.self, from: json)
    XCTAssertEqual(state, exported)

    let resumed = copies(of: first)
    let resumedSGD = try SGD(parameters: resumed, configuration: configuration)
    try resumedSGD.importState(state)
    for step in k..<total {
      try backward(resumed, step: step)
      try resumedSGD.step()
    }
    XCTAssertEqual(
      resumed.map(\.value.scalars), uninterrupted.map(\.value.scalars), file: file, line: line)
    XCTAssertEqual(resumedSGD.exportState(), sgd.exportState(), file: file, line: line)

    // Without the import the fresh optimizer restarts its buffers and drifts away.
    let restarted = copies(of: first)
    let restartedSGD = try SGD(parameters: restarted, configuration: configuration)
    for step in k..<total {
      try backward(restarted, step: step)
      try restartedSGD.step()
    }
    XCTAssertNotEqual(
      restarted.map(\.value.scalars), uninterrupted.map(\.value.scalars), file: file, line: line)
  }

  func testExport_beforeAnyStep_hasNoBuffers() throws {
    let sgd = try SGD(parameters: makeParameters(), configuration: .paper)
    XCTAssertEqual(sgd.exportState(), OptimizerState(stepCount: 0, buffers: [nil, nil, nil]))
  }

  func testImport_rejectsStateThatDoesNotFit_andKeepsItsOwn() throws {
    let parameters = makeParameters()
    let sgd = try SGD(parameters: parameters, learningRate: 0.1, momentum: 0.9)
    try backward(parameters, step: 0)
    try sgd.step()
    let before = sgd.exportState()
    let cases: [(OptimizerState, String)] = [
      (
        OptimizerState(stepCount: 1, buffers: [nil, nil]),
        "SGD: cannot import state: it has 2 buffer entries but the optimizer has 3 parameters"
      ),
      (
        OptimizerState(stepCount: 1, buffers: [nil, [Float](repeating: 0, count: 18), nil]),
        "SGD: cannot import state: buffer 1 has 18 elements but parameter 1 (shape [19]) has 19"
      ),
      (
        OptimizerState(stepCount: -1, buffers: [nil, nil, nil]),
        "SGD: cannot import state: negative step count -1"
      ),
    ]
    for (state, message) in cases {
      XCTAssertThrowsError(try sgd.importState(state)) { error in
        XCTAssertEqual((error as? OptimizerError)?.description, message)
      }
      XCTAssertEqual(sgd.exportState(), before, "a rejected import changes nothing")
    }
  }

  func testImport_buffersIntoOptimizerWithoutMomentum_isRejected() throws {
    let parameters = [Parameter(Tensor([1, 2]))]
    let sgd = try SGD(parameters: parameters, learningRate: 0.1)
    XCTAssertThrowsError(try sgd.importState(OptimizerState(stepCount: 2, buffers: [[0.5, 0.5]]))) {
      XCTAssertEqual(
        ($0 as? OptimizerError)?.description,
        "SGD: cannot import state: it has a momentum buffer for parameter 0 but momentum is 0")
    }
    XCTAssertNoThrow(try sgd.importState(OptimizerState(stepCount: 2, buffers: [nil])))
    XCTAssertEqual(sgd.stepCount, 2)
  }

  func testSAMState_roundTripsThroughItsBase() throws {
    let parameters = makeParameters()
    let sam = try SAM(base: SGD(parameters: parameters, configuration: .paper))
    try backward(parameters, step: 0)
    _ = try sam.step {
      try backward(parameters, step: 0)
      return 0
    }
    let state = sam.exportState()
    let fresh = try SAM(base: SGD(parameters: copies(of: parameters), configuration: .paper))
    try fresh.importState(state)
    XCTAssertEqual(fresh.exportState(), state)
    XCTAssertEqual(fresh.stepCount, 1)
  }
}
