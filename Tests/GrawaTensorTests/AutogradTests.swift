import Dispatch
import Foundation
import GrawaTensor
import XCTest
import _TestSupport

/// Results handed back from worker threads, guarded by a lock.
private final class ThreadResults: @unchecked Sendable {
  private let lock = NSLock()
  private var values: [Int: MLPRun] = [:]
  private var flags: [String: Bool] = [:]
  private var errors: [String] = []

  func store(_ run: MLPRun, at index: Int) {
    lock.lock()
    values[index] = run
    lock.unlock()
  }

  func run(at index: Int) -> MLPRun? {
    lock.lock()
    defer { lock.unlock() }
    return values[index]
  }

  func setFlag(_ name: String, _ value: Bool) {
    lock.lock()
    flags[name] = value
    lock.unlock()
  }

  func flag(_ name: String) -> Bool? {
    lock.lock()
    defer { lock.unlock() }
    return flags[name]
  }

  func record(_ error: Error) {
    lock.lock()
    errors.append("\(error)")
    lock.unlock()
  }

  var allErrors: [String] {
    lock.lock()
    defer { lock.unlock() }
    return errors
  }
}

/// The outcome of training a small MLP: final parameters and the loss of every step.
private struct MLPRun: Equatable, Sendable {
  var parameters: [[Float]]
  var losses: [Float]
}

final class AutogradTests: XCTestCase {
  // MARK: - Capturing XCTest failures (to show a gradient check can fail)

  /// When non-nil, failures are collected here instead of failing the test.
  private var capturedFailures: [String]?

  override func recordFailure(
    withDescription description: String, inFile filePath: String, atLine lineNumber: Int,
    expected: Bool
  ) {
    if capturedFailures != nil {
      capturedFailures?.append(description)
      return
    }
    super.recordFailure(
      withDescription: description, inFile: filePath, atLine: lineNumber, expected: expected)
  }

  /// Runs `body` and returns the XCTest failures it reported, without failing this test.
  private func failures(of body: () throws -> Void) rethrows -> [String] {
    capturedFailures = []
    defer { capturedFailures = nil }
    try body()
    return capturedFailures ?? []
  }

  // MARK: - A small MLP (matmul + add + relu + crossEntropy)

  /// Parameters W1 [hidden, in], b1 [hidden], W2 [classes, hidden], b2 [classes] and one batch.
  private static func makeProblem(
    seed: UInt64, batch: Int = 128, inputs: Int = 64, hidden: Int = 256, classes: Int = 10
  )
    -> (parameters: [Tensor], x: Tensor, labels: [Int])
  {
    var random = TestRandom(seed: seed)
    let parameters = [
      random.tensor([hidden, inputs], -0.2, 0.2),
      random.tensor([hidden], -0.1, 0.1),
      random.tensor([classes, hidden], -0.2, 0.2),
      random.tensor([classes], -0.1, 0.1),
    ]
    let x = random.tensor([batch, inputs])
    let labels = (0..<batch).map { _ in Int(random.next() % UInt64(classes)) }
    return (parameters, x, labels)
  }

  private static func mlpLoss(_ p: [Tensor], x: Tensor, labels: [Int]) throws -> Tensor {
    let hidden = try (Tensor.matmul(x, p[0], transposeB: true) + p[1]).relu()
    let logits = try Tensor.matmul(hidden, p[2], transposeB: true) + p[3]
    return try logits.crossEntropy(labels: labels)
  }

  /// Plain SGD, `x -= lr * grad`, for `steps` steps, updating the leaves in place.
  private static func trainMLP(seed: UInt64, steps: Int, learningRate: Float = 0.1) throws -> MLPRun
  {
    let problem = makeProblem(seed: seed)
    var parameters = problem.parameters.map { $0.requiringGradient() }
    var losses: [Float] = []
    for _ in 0..<steps {
      let loss = try mlpLoss(parameters, x: problem.x, labels: problem.labels)
      losses.append(loss.scalar)
      try loss.backward()
      for index in parameters.indices {
        guard let gradient = parameters[index].gradient else {
          throw TensorError("trainMLP", "parameter \(index) received no gradient")
        }
        parameters[index].withUnsafeMutableScalars { p in
          for j in p.indices { p[j] -= learningRate * gradient.scalars[j] }
        }
        parameters[index].zeroGradient()
      }
    }
    return MLPRun(parameters: parameters.map(\.scalars), losses: losses)
  }

  // MARK: - Graph structure

  func testDiamondGraph_accumulatesBothPaths() throws {
    // y = sum(x * x + 3 x): x reaches y through the product (twice) and through the scale,
    // so dy/dx = 2 x + 3 = [5, 7, 9] at x = [1, 2, 3].
    let x = Tensor([1, 2, 3]).requiringGradient()
    let y = try (x * x + x.scaled(by: 3)).sum()
    try y.backward()
    XCTAssertEqual(x.gradient?.scalars, [5, 7, 9])
  }

  func testDiamondGraph_sharedIntermediateFeedsTwoBranches() throws {
    // h = 2 x; y = sum(relu(h) + h * h). dy/dx = 2 (1[h > 0] + 2 h) = 2 (1 + 4 x) for x > 0,
    // and 2 (4 x) = 8 x for x < 0. At x = [1, -1]: [10, -8].
    let x = Tensor([1, -1]).requiringGradient()
    let h = x.scaled(by: 2)
    let y = try (h.relu() + h * h).sum()
    try y.backward()
    XCTAssertEqual(x.gradient?.scalars, [10, -8])
    var random = TestRandom(seed: 61)
    try checkGradient(
      of: { inputs in
        let h = inputs[0].scaled(by: 2)
        return try h.relu() + h * h + inputs[0]
      }, at: [Tensor(random.uniforms(20).map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 })])
  }

  func testSameTensorAsBothOperands_accumulatesTwice() throws {
    // d/dx sum(x + x) = 2; d/dA sum(A A) = 1 Aᵀ + Aᵀ 1 (both operand slots).
    let x = Tensor([1, 2, 3]).requiringGradient()
    try (x + x).sum().backward()
    XCTAssertEqual(x.gradient?.scalars, [2, 2, 2])
    var random = TestRandom(seed: 66)
    try checkGradient(
      of: { try Tensor.matmul($0[0], $0[0], transposeB: true) }, at: [random.tensor([3, 3])])
    try checkGradient(
      of: { try Tensor.concatenate([$0[0], $0[0]], axis: 1) }, at: [random.tensor([2, 3])])
  }

  func testLeafAsRoot_receivesTheSeed() throws {
    let x = Tensor([1, 2]).requiringGradient()
    try x.backward(seed: Tensor([3, 4]))
    XCTAssertEqual(x.gradient?.scalars, [3, 4])
  }

  func testInputsWithoutGradient_areSkipped() throws {
    let x = Tensor([1, 2]).requiringGradient()
    let constant = Tensor([5, 6])
    try (x * constant).sum().backward()
    XCTAssertEqual(x.gradient?.scalars, [5, 6])
    XCTAssertNil(constant.gradient)
    XCTAssertFalse(try (constant * constant).requiresGradient)
  }

  func testSecondBackwardThroughAConsumedSharedSubgraph_throws() throws {
    // Regression: z1 and z2 share the intermediate h = 2x. z1.backward() releases h's node; the
    // second pass used to find no closure there and silently drop z2's gradient (x.gradient stayed
    // [2, 2]). It must refuse, before touching any gradient.
    let x = Tensor([1, 2]).requiringGradient()
    let h = x.scaled(by: 2)
    let z1 = h.sum()
    let z2 = h.scaled(by: 1.5).sum()
    try z1.backward()
    XCTAssertEqual(x.gradient?.scalars, [2, 2])
    XCTAssertThrowsError(try z2.backward()) { error in
      XCTAssertEqual("\(error)", "backward: the graph through 'scale' was already consumed by an earlier backward pass")
    }
    XCTAssertEqual(x.gradient?.scalars, [2, 2])
  }

  // MARK: - Errors

  func testBackward_seedOfWrongShape_throws() {
    let x = Tensor([1, 2]).requiringGradient()
    let y = x.scaled(by: 2)
    XCTAssertThrowsError(try y.backward(seed: Tensor([1, 1, 1]))) { error in
      XCTAssertEqual("\(error)", "backward: seed shape [3] differs from tensor shape [2]")
    }
    XCTAssertThrowsError(try y.backward(seed: try Tensor(shape: [1, 2], scalars: [1, 1])))
    XCTAssertNil(x.gradient, "nothing accumulated by a rejected pass")
  }

  func testBackward_onTensorNotRequiringGradient_throws() {
    let y = Tensor([1, 2]).scaled(by: 2)
    XCTAssertThrowsError(try y.backward(seed: Tensor([1, 1]))) { error in
      XCTAssertEqual(
        "\(error)", "backward: tensor does not require gradients (no input was requiringGradient())"
      )
    }
    XCTAssertThrowsError(try Tensor(3).backward())
  }

  func testBackward_withoutSeedNeedsOneElement() throws {
    let x = Tensor([1, 2]).requiringGradient()
    XCTAssertThrowsError(try x.scaled(by: 2).backward()) { error in
      XCTAssertEqual(
        "\(error)",
        "backward: needs a one-element tensor (a loss), got shape [2]; use backward(seed:)")
    }
    // A one-element tensor of any rank is fine.
    let y = try x.sum().reshaped(to: [1, 1])
    try y.backward()
    XCTAssertEqual(x.gradient?.scalars, [1, 1])
  }

  // MARK: - Determinism

  func testSameComputationTwice_givesBitIdenticalGradients() throws {
    func gradients() throws -> [[Float]] {
      let problem = Self.makeProblem(seed: 62)
      let leaves = problem.parameters.map { $0.requiringGradient() }
      try Self.mlpLoss(leaves, x: problem.x, labels: problem.labels).backward()
      return leaves.map { $0.gradient?.scalars ?? [] }
    }
    let first = try gradients()
    let second = try gradients()
    XCTAssertEqual(first.map { $0.map(\.bitPattern) }, second.map { $0.map(\.bitPattern) })
    XCTAssertTrue(first.allSatisfy { !$0.isEmpty })
  }

  func testMLPGradient_matchesFiniteDifferences() throws {
    let problem = Self.makeProblem(seed: 63, batch: 6, inputs: 5, hidden: 7, classes: 4)
    let p = problem.parameters
    // Finite differences must not straddle a ReLU kink: a step of epsilon in one element of W1,
    // b1 or x (|x| < 1, |W1| < 0.2) moves a pre-activation by at most epsilon.
    let epsilon: Float = 1e-3
    let preActivations = try Tensor.matmul(problem.x, p[0], transposeB: true) + p[1]
    XCTAssertGreaterThan(preActivations.scalars.map { abs($0) }.min() ?? 0, 2 * epsilon)
    // Inputs 0-3 are the parameters; x is input 4 (its gradient is checked too).
    try checkGradient(
      of: { q in try Self.mlpLoss(Array(q[0..<4]), x: q[4], labels: problem.labels) },
      at: p + [problem.x], epsilon: epsilon)
  }

  func testTrainingOnTwoThreadsAtOnce_matchesSequentialBitForBit() throws {
    let steps = 20
    let sequential = [
      try Self.trainMLP(seed: 101, steps: steps), try Self.trainMLP(seed: 202, steps: steps),
    ]
    XCTAssertLessThan(
      sequential[0].losses.last ?? .nan, sequential[0].losses.first ?? .nan,
      "training makes progress")

    let results = ThreadResults()
    let ready = DispatchSemaphore(value: 0)
    let go = DispatchSemaphore(value: 0)
    let done = DispatchSemaphore(value: 0)
    for (index, seed) in [UInt64(101), 202].enumerated() {
      let thread = Thread {
        ready.signal()
        go.wait()  // start both at once so their graphs and recording switches overlap
        do {
          results.store(try Self.trainMLP(seed: seed, steps: steps), at: index)
        } catch {
          results.record(error)
        }
        done.signal()
      }
      thread.start()
    }
    ready.wait()
    ready.wait()
    go.signal()
    go.signal()
    done.wait()
    done.wait()

    XCTAssertEqual(results.allErrors, [])
    for index in 0..<2 {
      guard let threaded = results.run(at: index) else {
        XCTFail("thread \(index) produced no result")
        continue
      }
      XCTAssertEqual(
        threaded.losses.map(\.bitPattern), sequential[index].losses.map(\.bitPattern),
        "thread \(index)")
      XCTAssertEqual(
        threaded.parameters.map { $0.map(\.bitPattern) },
        sequential[index].parameters.map { $0.map(\.bitPattern) },
        "thread \(index)")
    }
  }

  // MARK: - Per-thread recording switch

  func testWithoutGradientsOnOneThread_doesNotDisableAnother() {
    let results = ThreadResults()
    let inside = DispatchSemaphore(value: 0)
    let checked = DispatchSemaphore(value: 0)
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
      GradientRecording.withoutGradients {
        results.setFlag("enabledInside", GradientRecording.isEnabled)
        inside.signal()
        checked.wait()  // stay inside while the other thread records
        let x = Tensor([1, 2]).requiringGradient()
        results.setFlag("recordedInside", x.scaled(by: 2).requiresGradient)
      }
      results.setFlag("enabledAfter", GradientRecording.isEnabled)
      done.signal()
    }
    thread.start()
    inside.wait()
    // The other thread is inside withoutGradients right now; this one still records.
    XCTAssertTrue(GradientRecording.isEnabled)
    let x = Tensor([1, 2]).requiringGradient()
    XCTAssertTrue(x.scaled(by: 2).requiresGradient)
    checked.signal()
    done.wait()
    XCTAssertEqual(results.flag("enabledInside"), false)
    XCTAssertEqual(results.flag("recordedInside"), false)
    XCTAssertEqual(results.flag("enabledAfter"), true)
  }

  func testWithoutGradients_nestsAndRestoresAfterThrow() {
    XCTAssertTrue(GradientRecording.isEnabled)
    GradientRecording.withoutGradients {
      GradientRecording.withoutGradients {
        XCTAssertFalse(GradientRecording.isEnabled)
      }
      XCTAssertFalse(GradientRecording.isEnabled, "still off in the outer scope")
    }
    XCTAssertTrue(GradientRecording.isEnabled)
    XCTAssertThrowsError(
      try GradientRecording.withoutGradients { throw TensorError("test", "escape") })
    XCTAssertTrue(GradientRecording.isEnabled, "restored after a throw")
  }

  // MARK: - The gradient check can fail

  func testGradientCheck_flagsAWrongBackward() throws {
    var random = TestRandom(seed: 64)
    let x = random.tensor([6])
    // checkGradient takes the analytic gradient from a recorded call and the numeric one from
    // calls with recording off. A function that computes 3.15 x when recording and 3 x otherwise
    // is exactly an op whose backward rule is 5% too large.
    let scaleFailures = try failures {
      try checkGradient(
        of: { $0[0].scaled(by: GradientRecording.isEnabled ? 3.15 : 3) }, at: [x])
    }
    XCTAssertFalse(scaleFailures.isEmpty, "a 5% error in a backward rule must be flagged")

    // A matmul whose transposeA gradient comes back untransposed: when recording, use A itself
    // instead of Aᵀ (square A, so shapes still fit), which transposes the analytic dA.
    let a = random.tensor([4, 4])
    let b = random.tensor([4, 3])
    let matmulFailures = try failures {
      try checkGradient(
        of: { try Tensor.matmul($0[0], $0[1], transposeA: !GradientRecording.isEnabled) },
        at: [a, b], checked: [0])
    }
    XCTAssertFalse(matmulFailures.isEmpty, "a transposed dA must be flagged")

    // Control: the same checks with a correct backward report nothing.
    let controlFailures = try failures {
      try checkGradient(of: { $0[0].scaled(by: 3) }, at: [x])
      try checkGradient(of: { try Tensor.matmul($0[0], $0[1], transposeA: true) }, at: [a, b])
    }
    XCTAssertEqual(controlFailures, [])
  }

  func testGradientComparison_flagsAFivePercentPerturbation() throws {
    // The same idea without the checker: the analytic gradient of sum(A B) w.r.t. A, scaled by
    // 1.05, disagrees with central differences beyond checkGradient's default tolerance
    // (atol 2e-3 + rtol 2e-2).
    var random = TestRandom(seed: 65)
    let a = random.tensor([3, 4])
    let b = random.tensor([4, 2])
    let leaf = a.requiringGradient()
    try Tensor.matmul(leaf, b).sum().backward()
    let analytic = leaf.gradient?.scalars ?? []
    let epsilon: Float = 1e-2
    var numeric: [Double] = []
    for i in 0..<a.count {
      var up = a
      var down = a
      up.withUnsafeMutableScalars { $0[i] += epsilon }
      down.withUnsafeMutableScalars { $0[i] -= epsilon }
      let plus = try Tensor.matmul(up, b).sum().scalar
      let minus = try Tensor.matmul(down, b).sum().scalar
      numeric.append((Double(plus) - Double(minus)) / (2 * Double(epsilon)))
    }
    func mismatches(_ gradient: [Float]) -> Int {
      zip(gradient, numeric).filter { abs(Double($0) - $1) > 2e-3 + 2e-2 * abs($1) }.count
    }
    XCTAssertEqual(mismatches(analytic), 0)
    // dL/dA_ip = sum_j B_pj; rows of B are sums of two uniforms in [-1, 1], so most elements are
    // well above the 2e-3 / 0.03 = 0.067 where a 5% error starts to exceed the tolerance.
    XCTAssertGreaterThan(mismatches(analytic.map { $0 * 1.05 }), 0)
  }
}
