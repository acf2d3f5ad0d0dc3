import GrawaNN
import GrawaOptim
import GrawaTensor
import XCTest
import _TestSupport

/// SAM (Foret et al. 2021) on the quadratic f(x) = 0.5 * sum_i a_i x_i^2, whose gradient is a * x.
///
/// Two parameters, p = [1, 2] with a = [2, 1] and q = [1] with a = [1]:
///   g = ([2, 2], [1]), ||g|| = sqrt(4 + 4 + 1) = 3.
///   rho = 0.3: scale = 0.3 / 3 = 0.1, e = ([0.2, 0.2], [0.1]), x + e = ([1.2, 2.2], [1.1]).
///   Gradient at x + e: ([2 * 1.2, 1 * 2.2], [1.1]) = ([2.4, 2.2], [1.1]);
///   f(x + e) = 0.5 * (2 * 1.44 + 4.84 + 1.21) = 0.5 * 8.93 = 4.465.
///   Plain SGD with lr 0.5 at x: p = [1 - 1.2, 2 - 1.1] = [-0.2, 0.9], q = [1 - 0.55] = [0.45].
final class SAMTests: XCTestCase {
  private let curvatures: [[Float]] = [[2, 1], [1]]

  private func makeParameters() -> [Parameter] {
    [Parameter(Tensor([1, 2])), Parameter(Tensor([1]))]
  }

  func testAscend_movesByRhoTimesNormalisedGradientAndClearsGradients() throws {
    let parameters = makeParameters()
    let sam = try SAM(base: SGD(parameters: parameters, learningRate: 0.5), rho: 0.3)
    _ = try quadraticLoss(parameters, curvatures: curvatures)
    let perturbation = try sam.ascend()
    XCTAssertEqual(perturbation.gradientNorm, 3, accuracy: 1e-12)
    XCTAssertEqual(perturbation.scale, 0.1, accuracy: 1e-7)
    XCTAssertTrue(sam.isAscentPending)
    assertClose(parameters[0].value.scalars, [1.2, 2.2])
    assertClose(parameters[1].value.scalars, [1.1])
    XCTAssertNil(parameters[0].gradient)
    XCTAssertNil(parameters[1].gradient)
    XCTAssertTrue(parameters[0].value.requiresGradient, "still a gradient leaf")
  }

  func testStep_evaluatesAtPerturbedPointAndStepsFromOriginal() throws {
    let parameters = makeParameters()
    let sam = try SAM(base: SGD(parameters: parameters, learningRate: 0.5), rho: 0.3)
    _ = try quadraticLoss(parameters, curvatures: curvatures)
    var seenInside: [[Float]] = []
    let loss = try sam.step {
      XCTAssertNil(parameters[0].gradient, "gradients are cleared before the closure")
      seenInside = parameters.map(\.value.scalars)
      return try quadraticLoss(parameters, curvatures: curvatures)
    }
    assertClose(seenInside[0], [1.2, 2.2])
    assertClose(seenInside[1], [1.1])
    XCTAssertEqual(loss, 4.465, accuracy: 1e-5)
    assertClose(parameters[0].value.scalars, [-0.2, 0.9])
    assertClose(parameters[1].value.scalars, [0.45])
    XCTAssertEqual(sam.stepCount, 1)
  }

  func testStep_equalsBaseStepWithGradientFromPerturbedPoint_bitForBit() throws {
    // Two SAM steps with a Nesterov base against the same SGD fed the x + e gradients by hand
    // (computed by the test from the perturbed values SAM exposed inside the closure).
    let parameters = makeParameters()
    let reference = copies(of: parameters)
    let base = try SGD(
      parameters: parameters, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true)
    let sam = try SAM(base: base, rho: 0.05)
    let referenceSGD = try SGD(
      parameters: reference, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true)
    for _ in 0..<2 {
      _ = try quadraticLoss(parameters, curvatures: curvatures)
      var gradientsAtPerturbed: [[Float]] = []
      _ = try sam.step {
        let loss = try quadraticLoss(parameters, curvatures: curvatures)
        gradientsAtPerturbed = parameters.map { $0.gradient?.scalars ?? [] }
        return loss
      }
      for (index, parameter) in reference.enumerated() {
        try setGradient(parameter, gradientsAtPerturbed[index])
      }
      try referenceSGD.step()
      XCTAssertEqual(parameters.map(\.value.scalars), reference.map(\.value.scalars))
    }
  }

  func testDescend_restoresOriginalValuesExactly() throws {
    // With lr = 0 the base step changes nothing, so x must come back bit for bit (restored from a
    // copy, not by subtracting e). Random values make x + e - e != x likely for some element.
    var random = TestRandom(seed: 9)
    let parameters = [Parameter(random.tensor([33])), Parameter(random.tensor([4, 5]))]
    let original = parameters.map(\.value.scalars)
    let sam = try SAM(base: SGD(parameters: parameters, learningRate: 0), rho: 0.7)
    let gradients = [random.uniforms(33), random.uniforms(20)]
    try setGradient(parameters[0], gradients[0])
    try setGradient(parameters[1], gradients[1])
    let perturbation = try sam.ascend()
    let moved = parameters.map(\.value.scalars)
    XCTAssertNotEqual(moved, original)
    // Subtracting e again would not give x back: the restore has to copy.
    let subtracted = zip(moved, gradients).map { x, g in
      zip(x, g).map { $0 - $1 * perturbation.scale }
    }
    XCTAssertNotEqual(subtracted, original)
    try setGradient(parameters[0], random.uniforms(33))
    try setGradient(parameters[1], random.uniforms(20))
    try sam.descend(from: perturbation)
    XCTAssertEqual(parameters.map(\.value.scalars), original)
  }

  func testParameterWithoutGradient_isNotMovedAndNotCounted() throws {
    // Only p has a gradient: g = [3, 4], ||g|| = 5, rho = 1: e = [0.6, 0.8]; q stays.
    let parameters = makeParameters()
    let sam = try SAM(base: SGD(parameters: parameters, learningRate: 0.1), rho: 1)
    try setGradient(parameters[0], [3, 4])
    let perturbation = try sam.ascend()
    XCTAssertEqual(perturbation.gradientNorm, 5, accuracy: 1e-12)
    assertClose(parameters[0].value.scalars, [1.6, 2.8])
    XCTAssertEqual(parameters[1].value.scalars, [1])
    try sam.descend(from: perturbation)
    XCTAssertEqual(
      parameters[0].value.scalars, [1, 2], "no gradient after ascend: base step skips")
  }

  func testThrowingClosure_restoresParametersAndRethrows() throws {
    struct Failure: Error {}
    let parameters = makeParameters()
    let sam = try SAM(base: SGD(parameters: parameters, learningRate: 0.5), rho: 0.3)
    _ = try quadraticLoss(parameters, curvatures: curvatures)
    XCTAssertThrowsError(try sam.step { throw Failure() }) { error in
      XCTAssertTrue(error is Failure)
    }
    XCTAssertEqual(parameters.map(\.value.scalars), [[1, 2], [1]])
    XCTAssertEqual(sam.stepCount, 0)
  }

  func testErrors_haveClearMessages() throws {
    let parameters = makeParameters()
    let sgd = try SGD(parameters: parameters, learningRate: 0.1)
    XCTAssertThrowsError(try SAM(base: sgd, rho: -0.05)) {
      XCTAssertEqual(($0 as? OptimizerError)?.description, "SAM: invalid rho -0.05: must be >= 0")
    }
    let sam = try SAM(base: sgd)
    XCTAssertEqual(sam.rho, 0.05, "the paper's default")
    XCTAssertThrowsError(try sam.ascend()) {
      XCTAssertEqual(
        ($0 as? OptimizerError)?.description,
        "SAM: no parameter has a gradient: run a backward pass before ascend()")
    }
    try setGradient(parameters[0], [.nan, 1])
    XCTAssertThrowsError(try sam.ascend()) {
      XCTAssertEqual(
        ($0 as? OptimizerError)?.description,
        "SAM: the gradient norm is not finite (nan): the run diverged")
    }
    XCTAssertEqual(parameters[0].value.scalars, [1, 2], "nothing moved")
  }

  func testMismatchedHalves_areRejected() throws {
    let parameters = makeParameters()
    let sam = try SAM(base: SGD(parameters: parameters, learningRate: 0.5), rho: 0.3)
    _ = try quadraticLoss(parameters, curvatures: curvatures)
    let first = try sam.ascend()
    _ = try quadraticLoss(parameters, curvatures: curvatures)
    XCTAssertThrowsError(try sam.ascend()) {
      XCTAssertEqual(
        ($0 as? OptimizerError)?.description,
        "SAM: ascend() called again before descend(from:) or cancelAscent() of the last one")
    }
    sam.cancelAscent()
    XCTAssertFalse(sam.isAscentPending)
    XCTAssertEqual(parameters.map(\.value.scalars), [[1, 2], [1]], "cancel restores x")
    _ = try quadraticLoss(parameters, curvatures: curvatures)
    let second = try sam.ascend()
    XCTAssertGreaterThan(second.ascent, first.ascent)
    XCTAssertThrowsError(try sam.descend(from: first)) {
      XCTAssertEqual(
        ($0 as? OptimizerError)?.description,
        "SAM: descend(from:) got ascent \(first.ascent), but the pending ascent is "
          + "\(second.ascent)")
    }
    try sam.descend(from: second)
    XCTAssertEqual(sam.stepCount, 1)
    XCTAssertThrowsError(try sam.descend(from: second)) {
      XCTAssertEqual(
        ($0 as? OptimizerError)?.description, "SAM: descend(from:) without a pending ascend()")
    }
  }

  func testLearningRateAndState_forwardToBase() throws {
    let parameters = makeParameters()
    let base = try SGD(parameters: parameters, learningRate: 0.1, momentum: 0.9)
    let sam = try SAM(base: base, rho: 0.05)
    sam.learningRate = 0.01
    XCTAssertEqual(base.learningRate, 0.01)
    _ = try quadraticLoss(parameters, curvatures: curvatures)
    _ = try sam.step { try quadraticLoss(parameters, curvatures: curvatures) }
    XCTAssertEqual(sam.exportState(), base.exportState())
    XCTAssertEqual(sam.exportState().stepCount, 1)
  }
}

/// SAM as an ``Optimizer``: it needs a gradient computation, and declares only the second
/// gradients final.
final class SAMOptimizerTests: XCTestCase {
  /// f(x) = 0.5 * ||x||^2, gradient x; counts computations and which ones were declared final.
  private final class Quadratic: GradientComputation {
    let parameter: Parameter
    var computations = 0
    var finalAfter: [Int] = []
    init(_ parameter: Parameter) { self.parameter = parameter }
    func computeGradients() throws -> Float {
      computations += 1
      let loss = try (parameter.value * parameter.value).sum() * Float(0.5)
      try loss.backward()
      return loss.scalar
    }
    func gradientsAreFinal() throws { finalAfter.append(computations) }
  }

  func testStepWithoutAComputation_isRefusedAndChangesNothing() throws {
    let x = Parameter(Tensor([3, 4]))
    let sam = try SAM(base: try SGD(parameters: [x], learningRate: 0.1), rho: 0.5)
    try (x.value * x.value).sum().backward()
    XCTAssertThrowsError(try sam.step()) { error in
      XCTAssertTrue("\(error)".contains("step(computing:)"), "\(error)")
    }
    XCTAssertEqual(x.value.scalars, [3, 4])
  }

  func testStepComputing_ascendsThenDescendsWithTheSecondGradient() throws {
    // x = [3, 4], g = x, ||g|| = 5, rho 0.5: e = 0.1 * [3, 4] = [0.3, 0.4]; gradient at x + e is
    // [3.3, 4.4]; plain SGD lr 0.1 at x: [3 - 0.33, 4 - 0.44] = [2.67, 3.56]. The loss returned is
    // the one at x: 0.5 * 25 = 12.5.
    let x = Parameter(Tensor([3, 4]))
    let sam = try SAM(base: try SGD(parameters: [x], learningRate: 0.1), rho: 0.5)
    let computation = Quadratic(x)
    XCTAssertEqual(try sam.step(computing: computation), 12.5)
    XCTAssertEqual(computation.computations, 2)
    XCTAssertEqual(computation.finalAfter, [2], "only the ascent point's gradients are final")
    XCTAssertEqual(x.value.scalars[0], 2.67, accuracy: 1e-6)
    XCTAssertEqual(x.value.scalars[1], 3.56, accuracy: 1e-6)
  }

  func testSGDStepComputing_computesOnceAndDeclaresFinal() throws {
    // x = [3, 4], g = x; lr 0.1: [2.7, 3.6].
    let x = Parameter(Tensor([3, 4]))
    let sgd = try SGD(parameters: [x], learningRate: 0.1)
    let computation = Quadratic(x)
    XCTAssertEqual(try sgd.step(computing: computation), 12.5)
    XCTAssertEqual(computation.finalAfter, [1])
    XCTAssertEqual(x.value.scalars[0], 2.7, accuracy: 1e-6)
    XCTAssertEqual(x.value.scalars[1], 3.6, accuracy: 1e-6)
  }
}
