import GrawaNN
import GrawaOptim
import GrawaTensor
import XCTest
import _TestSupport

/// SGD against hand-computed updates (docs/algorithms.md, "The local step", `torch.optim.SGD`).
///
/// Every test starts from x0 = [1, -2] and feeds the gradients
/// g1 = [1, 2], g2 = [0.5, -1], g3 = [-1, 0] (set exactly with the loss sum(c * x)).
final class SGDTests: XCTestCase {
  private let gradients: [[Float]] = [[1, 2], [0.5, -1], [-1, 0]]

  /// Runs three steps of `sgd` over `parameter` and returns x after each step.
  private func threeSteps(_ sgd: SGD, _ parameter: Parameter) throws -> [[Float]] {
    var trajectory: [[Float]] = []
    for g in gradients {
      try setGradient(parameter, g)
      try sgd.step()
      trajectory.append(parameter.value.scalars)
    }
    return trajectory
  }

  func testPlainStep_matchesHandComputedValues() throws {
    // x -= 0.1 * g:
    //   [1, -2]      - 0.1 * [1, 2]    = [0.9, -2.2]
    //   [0.9, -2.2]  - 0.1 * [0.5, -1] = [0.85, -2.1]
    //   [0.85, -2.1] - 0.1 * [-1, 0]   = [0.95, -2.1]
    let x = Parameter(Tensor([1, -2]))
    let sgd = try SGD(parameters: [x], learningRate: 0.1)
    let steps = try threeSteps(sgd, x)
    assertClose(steps[0], [0.9, -2.2])
    assertClose(steps[1], [0.85, -2.1])
    assertClose(steps[2], [0.95, -2.1])
    XCTAssertEqual(sgd.exportState().buffers, [nil], "no momentum, no buffer")
    XCTAssertEqual(sgd.stepCount, 3)
  }

  func testMomentumStep_matchesHandComputedValues() throws {
    // mu = 0.9, lr = 0.1; buf = g on the first step, then buf = 0.9 * buf + g; x -= 0.1 * buf.
    //   1: buf = [1, 2];                               x = [1 - 0.1, -2 - 0.2]       = [0.9, -2.2]
    //   2: buf = [0.9 + 0.5, 1.8 - 1]   = [1.4, 0.8];
    //      x = [0.9 - 0.14, -2.2 - 0.08] = [0.76, -2.28]
    //   3: buf = [1.26 - 1, 0.72 + 0]   = [0.26, 0.72]; x = [0.76 - 0.026, -2.28 - 0.072]
    //                                                     = [0.734, -2.352]
    let x = Parameter(Tensor([1, -2]))
    let sgd = try SGD(parameters: [x], learningRate: 0.1, momentum: 0.9)
    let steps = try threeSteps(sgd, x)
    assertClose(steps[0], [0.9, -2.2])
    assertClose(steps[1], [0.76, -2.28])
    assertClose(steps[2], [0.734, -2.352])
    assertClose(sgd.exportState().buffers[0] ?? [], [0.26, 0.72])
  }

  func testNesterovStep_matchesHandComputedValues() throws {
    // mu = 0.9, lr = 0.1; buffers as in the momentum test; the step uses g + 0.9 * buf.
    //   1: buf = [1, 2];      g = [1 + 0.9, 2 + 1.8]         = [1.9, 3.8]
    //      x = [1 - 0.19, -2 - 0.38]                          = [0.81, -2.38]
    //   2: buf = [1.4, 0.8];  g = [0.5 + 1.26, -1 + 0.72]    = [1.76, -0.28]
    //      x = [0.81 - 0.176, -2.38 + 0.028]                  = [0.634, -2.352]
    //   3: buf = [0.26, 0.72]; g = [-1 + 0.234, 0 + 0.648]   = [-0.766, 0.648]
    //      x = [0.634 + 0.0766, -2.352 - 0.0648]              = [0.7106, -2.4168]
    let x = Parameter(Tensor([1, -2]))
    let sgd = try SGD(parameters: [x], learningRate: 0.1, momentum: 0.9, nesterov: true)
    let steps = try threeSteps(sgd, x)
    assertClose(steps[0], [0.81, -2.38])
    assertClose(steps[1], [0.634, -2.352])
    assertClose(steps[2], [0.7106, -2.4168])
  }

  func testWeightDecayWithNesterov_matchesHandComputedValues() throws {
    // wd = 0.1, mu = 0.5, lr = 0.1, Nesterov. g = grad + 0.1 * x; buf; step g + 0.5 * buf.
    //   1: g = [1 + 0.1, 2 - 0.2] = [1.1, 1.8]; buf = [1.1, 1.8]
    //      step = [1.1 + 0.55, 1.8 + 0.9] = [1.65, 2.7]
    //      x = [1 - 0.165, -2 - 0.27] = [0.835, -2.27]
    //   2: g = [0.5 + 0.0835, -1 - 0.227] = [0.5835, -1.227]
    //      buf = [0.55 + 0.5835, 0.9 - 1.227] = [1.1335, -0.327]
    //      step = [0.5835 + 0.56675, -1.227 - 0.1635] = [1.15025, -1.3905]
    //      x = [0.835 - 0.115025, -2.27 + 0.13905] = [0.719975, -2.13095]
    //   3: g = [-1 + 0.0719975, 0 - 0.213095] = [-0.9280025, -0.213095]
    //      buf = [0.56675 - 0.9280025, -0.1635 - 0.213095] = [-0.3612525, -0.376595]
    //      step = [-0.9280025 - 0.18062625, -0.213095 - 0.1882975] = [-1.10862875, -0.4013925]
    //      x = [0.719975 + 0.110862875, -2.13095 + 0.04013925] = [0.830837875, -2.09081075]
    let x = Parameter(Tensor([1, -2]))
    let sgd = try SGD(
      parameters: [x], learningRate: 0.1, momentum: 0.5, weightDecay: 0.1, nesterov: true)
    let steps = try threeSteps(sgd, x)
    assertClose(steps[0], [0.835, -2.27])
    assertClose(steps[1], [0.719975, -2.13095])
    assertClose(steps[2], [0.830837875, -2.09081075])
    assertClose(sgd.exportState().buffers[0] ?? [], [-0.3612525, -0.376595])
  }

  func testDampening_firstStepCopiesGradientUndamped() throws {
    // mu = 0.9, dampening = 0.5, lr = 0.1. PyTorch's first step sets buf = g (not 0.5 * g);
    // later steps buf = 0.9 * buf + 0.5 * g.
    //   1: buf = [1, 2];                                   x = [0.9, -2.2]
    //      (a damped first step, buf = [0.5, 1], would give x = [0.95, -2.1])
    //   2: buf = [0.9 + 0.25, 1.8 - 0.5] = [1.15, 1.3];
    //      x = [0.9 - 0.115, -2.2 - 0.13] = [0.785, -2.33]
    //   3: buf = [1.035 - 0.5, 1.17 + 0] = [0.535, 1.17];  x = [0.785 - 0.0535, -2.33 - 0.117]
    //                                                         = [0.7315, -2.447]
    let x = Parameter(Tensor([1, -2]))
    let sgd = try SGD(parameters: [x], learningRate: 0.1, momentum: 0.9, dampening: 0.5)
    let steps = try threeSteps(sgd, x)
    assertClose(steps[0], [0.9, -2.2])
    assertClose(steps[1], [0.785, -2.33])
    assertClose(steps[2], [0.7315, -2.447])
    assertClose(sgd.exportState().buffers[0] ?? [], [0.535, 1.17])
  }

  func testParameterWithoutGradient_isSkippedAndItsBufferStartsLater() throws {
    // y has no gradient on step 1: it keeps its value and gets no buffer. On step 2 it gets
    // g = [2]: its buffer starts as buf = g (first-step rule) although x's is already decaying.
    let x = Parameter(Tensor([1, -2]))
    let y = Parameter(Tensor([5]))
    let sgd = try SGD(parameters: [x, y], learningRate: 0.1, momentum: 0.9)
    try setGradient(x, [1, 2])
    try sgd.step()
    XCTAssertEqual(y.value.scalars, [5])
    XCTAssertEqual(sgd.exportState().buffers[1], nil)
    try setGradient(x, [0.5, -1])
    try setGradient(y, [2])
    try sgd.step()
    // y: buf = [2]; y = 5 - 0.1 * 2 = 4.8. x as in the momentum test: [0.76, -2.28].
    assertClose(y.value.scalars, [4.8])
    assertClose(sgd.exportState().buffers[1] ?? [], [2])
    assertClose(x.value.scalars, [0.76, -2.28])
  }

  func testStep_keepsTheParameterAGradientLeaf() throws {
    let x = Parameter(Tensor([1, -2]))
    let sgd = try SGD(parameters: [x], learningRate: 0.1, momentum: 0.9)
    try setGradient(x, [1, 2])
    try sgd.step()
    // The updated value still accumulates gradients: sum(3 * x) gives [3, 3].
    try setGradient(x, [3, 3])
    XCTAssertEqual(x.gradient?.scalars, [3, 3])
  }

  func testPaperConfiguration_isNesterovWithWeightDecay() throws {
    let paper = SGD.Configuration.paper
    XCTAssertEqual(paper.learningRate, 0.1)
    XCTAssertEqual(paper.momentum, 0.9)
    XCTAssertEqual(paper.weightDecay, 1e-4)
    XCTAssertTrue(paper.nesterov)
    XCTAssertEqual(paper.dampening, 0)
    let sgd = try SGD(parameters: [Parameter(Tensor([1]))], configuration: paper)
    XCTAssertEqual(sgd.configuration, paper)
  }

  // MARK: - Validation

  private func assertInvalid(
    _ message: String, file: StaticString = #filePath, line: UInt = #line,
    _ make: () throws -> SGD
  ) {
    XCTAssertThrowsError(try make(), file: file, line: line) { error in
      XCTAssertEqual((error as? OptimizerError)?.description, message, file: file, line: line)
    }
  }

  func testInvalidHyperparameters_throwClearErrors() {
    let p = [Parameter(Tensor([1, 2]))]
    assertInvalid("SGD: invalid learning rate -0.1: must be >= 0") {
      try SGD(parameters: p, learningRate: -0.1)
    }
    assertInvalid("SGD: invalid momentum 1.0: must be in [0, 1)") {
      try SGD(parameters: p, learningRate: 0.1, momentum: 1)
    }
    assertInvalid("SGD: invalid momentum -0.5: must be in [0, 1)") {
      try SGD(parameters: p, learningRate: 0.1, momentum: -0.5)
    }
    assertInvalid("SGD: invalid weight decay -0.0001: must be >= 0") {
      try SGD(parameters: p, learningRate: 0.1, weightDecay: -1e-4)
    }
    assertInvalid("SGD: invalid dampening 1.5: must be in [0, 1]") {
      try SGD(parameters: p, learningRate: 0.1, momentum: 0.9, dampening: 1.5)
    }
    assertInvalid(
      "SGD: Nesterov momentum requires a momentum > 0 and zero dampening "
        + "(got momentum 0.0, dampening 0.0)"
    ) {
      try SGD(parameters: p, learningRate: 0.1, nesterov: true)
    }
    assertInvalid(
      "SGD: Nesterov momentum requires a momentum > 0 and zero dampening "
        + "(got momentum 0.9, dampening 0.1)"
    ) {
      try SGD(parameters: p, learningRate: 0.1, momentum: 0.9, nesterov: true, dampening: 0.1)
    }
    assertInvalid("SGD: parameter 1 appears more than once in the list") {
      try SGD(parameters: [p[0], p[0]], learningRate: 0.1)
    }
  }

  func testStepWithInvalidLearningRate_throwsAndChangesNothing() throws {
    let x = Parameter(Tensor([1, -2]))
    let sgd = try SGD(parameters: [x], learningRate: 0.1, momentum: 0.9)
    try setGradient(x, [1, 2])
    sgd.learningRate = .nan
    XCTAssertThrowsError(try sgd.step()) { error in
      XCTAssertEqual(
        (error as? OptimizerError)?.description, "SGD: invalid learning rate nan: must be >= 0")
    }
    XCTAssertEqual(x.value.scalars, [1, -2])
    XCTAssertEqual(sgd.stepCount, 0)
    XCTAssertEqual(sgd.exportState().buffers, [nil])
  }
}
