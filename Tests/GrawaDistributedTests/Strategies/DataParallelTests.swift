import Foundation
import GrawaDistributed
import GrawaNN
import GrawaOptim
import GrawaTensor
import XCTest
import _TestSupport

/// Data parallelism (docs/algorithms.md, "DP+SGD"): every step the center averages the workers' final
/// gradients in worker order, and every worker's optimizer applies that same mean, so the replicas
/// stay identical. With SGD that is DP+SGD; with SAM (Foret et al. 2021) it is DP+SAM, where each
/// worker ascends with its own gradient and only the ascent-point gradients are averaged.
final class DataParallelTests: XCTestCase {
  func testDescription_everyStepGradientExchange() throws {
    let dp = DataParallel()
    XCTAssertEqual(dp.name, "dp-sgd")
    XCTAssertEqual(DataParallel(name: "dp-sam").name, "dp-sam")
    XCTAssertEqual(dp.schedule, .everyStep)
    XCTAssertEqual(dp.schedule.period, 1)
    XCTAssertEqual(dp.metricNames, [])
    // The driver syncs when the gradients are final, never after the update.
    var run = StrategyHarness(dp, initial: [0, 0, 0], layout: try twoTensorLayout(), workerCount: 1)
    XCTAssertTrue(try run.driver.gradientsAreFinal(run.contexts[0], state: &run.workerStates[0]))
    run.contexts[0].step = 1
    XCTAssertFalse(try run.driver.afterLocalStep(run.contexts[0], state: &run.workerStates[0]))
  }

  func testCenter_isMeanGradientOfTheWorkersInOrder() throws {
    // Two workers: ([1, 2, -3] + [3, -2, 5]) / 2 = [4, 0, 2] / 2 = [2, 0, 1].
    var run = StrategyHarness(DataParallel(), initial: [7, 8, 9], layout: try twoTensorLayout(), workerCount: 2)
    run.gradients = [[1, 2, -3], [3, -2, 5]]
    let (contributions, outcome) = try run.sync()
    XCTAssertEqual(contributions.map(\.worker), [0, 1])
    XCTAssertEqual(contributions.map(\.vector), [[1, 2, -3], [3, -2, 5]], "the gradients are sent as they are")
    XCTAssertEqual(outcome.target, [2, 0, 1])
    XCTAssertEqual(outcome.pullFraction, 0)
    XCTAssertEqual(run.gradients, [[2, 0, 1], [2, 0, 1]], "every worker applies the mean")
    XCTAssertEqual(run.workers, [[7, 8, 9], [7, 8, 9]], "gradient exchanges do not move the parameters")

    // Three workers: ([1, 2, 3] + [4, 5, 6] + [1, -1, 0]) / 3 = [6, 6, 9] / 3 = [2, 2, 3].
    var three = StrategyHarness(DataParallel(), initial: [0, 0, 0], layout: try twoTensorLayout(), workerCount: 3)
    three.gradients = [[1, 2, 3], [4, 5, 6], [1, -1, 0]]
    let (_, mean) = try three.sync()
    assertClose(mean.target, [2, 2, 3], rtol: 1e-6, atol: 0)
  }

  func testCenter_accumulatesInWorkerOrderInDouble() throws {
    // The mean is sum_i (1/3) * g_i accumulated in Double in worker order 0, 1, 2, then rounded
    // to Float once: deterministic whatever order the workers arrive in. These values round
    // differently in the other order: element 0 is (1/3)(0.1 + 0.1 + 1.3) = 0.5 in exact
    // arithmetic, and the Double sum in order 0, 1, 2 lands just below the Float rounding midpoint,
    // giving the Float below 0.5, while order 2, 1, 0 gives 0.5 itself.
    var run = StrategyHarness(DataParallel(), initial: [0, 0, 0], layout: try twoTensorLayout(), workerCount: 3)
    run.gradients = [[0.1, 1.3, 0.9], [0.1, 0.1, 0.1], [1.3, 0.1, 0.1]]
    let (_, outcome) = try run.sync()
    let third = 1.0 / 3
    func inOrder(_ g0: Float, _ g1: Float, _ g2: Float) -> Float {
      Float(third * Double(g0) + third * Double(g1) + third * Double(g2))
    }
    let expected = [inOrder(0.1, 0.1, 1.3), inOrder(1.3, 0.1, 0.1), inOrder(0.9, 0.1, 0.1)]
    let reversed = [inOrder(1.3, 0.1, 0.1), inOrder(0.1, 0.1, 1.3), inOrder(0.1, 0.1, 0.9)]
    XCTAssertNotEqual(expected, reversed, "the example must tell the two orders apart")
    XCTAssertEqual(outcome.target, expected)
    assertClose(outcome.target, [0.5, 0.5, 1.1 / 3], rtol: 1e-6, atol: 0)
  }

  func testSameMeanGradient_keepsReplicasBitIdentical() throws {
    // Two replicas of a model with tensors a = [1, -2] and b = [0.5], each with its own SGD
    // (lr 0.1, momentum 0.9, Nesterov, weight decay 1e-4, the paper's optimizer). Each step the
    // workers have different local gradients; both apply the center's mean.
    // Step 1, mean gradient ([1, 2, -3] + [3, -2, 5]) / 2 = [2, 0, 1]:
    //   g = mean + 1e-4 * x = [2 + 0.0001, 0 - 0.0002, 1 + 0.00005] = [2.0001, -0.0002, 1.00005]
    //   buf = g; Nesterov: g + 0.9 * buf = 1.9 * g = [3.80019, -0.00038, 1.900095]
    //   x = [1, -2, 0.5] - 0.1 * [3.80019, -0.00038, 1.900095] = [0.619981, -1.999962, 0.3099905]
    let layout = try twoTensorLayout()
    let replicas = (0..<2).map { _ in
      [Parameter(Tensor([1, -2])), Parameter(Tensor([0.5]))]
    }
    let optimizers = try replicas.map {
      try SGD(parameters: $0, learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4, nesterov: true)
    }
    let localGradients: [[[Float]]] = [
      [[1, 2, -3], [3, -2, 5]],
      [[0.5, -1, 0.25], [-0.5, 3, 0.75]],
      [[0.1, 0.2, 0.3], [0.7, -0.9, 1.3]],
    ]
    var run = StrategyHarness(
      DataParallel(), initial: try layout.flatten(replicas[0].map(\.value)), layout: layout, workerCount: 2)
    for (step, gradients) in localGradients.enumerated() {
      run.gradients = gradients
      let (_, outcome) = try run.sync()
      for (replica, optimizer) in zip(replicas, optimizers) {
        for (index, parameter) in replica.enumerated() {
          try setGradient(parameter, Array(outcome.target[layout.range(of: index)]))
        }
        try optimizer.step()
      }
      let first = try layout.flatten(replicas[0].map(\.value))
      let second = try layout.flatten(replicas[1].map(\.value))
      XCTAssertEqual(first, second, "step \(step + 1): replicas must stay bit-identical")
      if step == 0 {
        assertClose(first, [0.619981, -1.999962, 0.3099905], rtol: 1e-6, atol: 1e-7)
      }
    }
  }

  func testSAMOptimizer_averagesOnlyTheAscentPointGradients() throws {
    // Two workers share x = [3, 4, 0]; worker i's loss is 0.5 ||x - c_i||^2, gradient x - c_i,
    // with c_0 = [0, 0, 0] and c_1 = [3, 0, 0]. SAM rho 0.5 around plain SGD lr 0.1.
    // Worker 0: g = [3, 4, 0], ||g|| = 5, e = 0.5 / 5 * g = [0.3, 0.4, 0];
    //   gradient at x + e: [3.3, 4.4, 0].
    // Worker 1: g = [0, 4, 0], ||g|| = 4, e = 0.5 / 4 * g = [0, 0.5, 0];
    //   gradient at x + e: [0, 4.5, 0].
    // Mean of the ascent-point gradients: [1.65, 4.45, 0]; both descend at x:
    //   x = [3, 4, 0] - 0.1 * [1.65, 4.45, 0] = [2.835, 3.555, 0].
    // (Averaging the first gradients instead would use one shared e and give other values.)
    let layout = try ParameterLayout(names: ["x"], shapes: [[3]])
    let driver = SyncDriver(DataParallel(name: "dp-sam"))
    let center = CenterModel(
      strategy: driver.strategy, layout: layout, workerCount: 2, mode: .synchronous, state: NoState())
    let transport = InProcessTransport(center: center)
    let targets: [[Float]] = [[0, 0, 0], [3, 0, 0]]
    nonisolated(unsafe) let parameters = (0..<2).map { _ in Parameter(Tensor([3, 4, 0])) }
    let results = ResultBox()
    let finished = DispatchGroup()
    for worker in 0..<2 {
      finished.enter()
      let thread = Thread {
        defer { finished.leave() }
        do {
          let sam = try SAM(base: try SGD(parameters: [parameters[worker]], learningRate: 0.1), rho: 0.5)
          let step = QuadraticStep(
            worker: worker, parameter: parameters[worker], target: targets[worker], layout: layout, driver: driver,
            transport: transport)
          let loss = try sam.step(computing: step)
          results.set(worker, loss: loss, computations: step.computations)
        } catch {
          results.fail(error)
        }
      }
      thread.start()
    }
    XCTAssertEqual(finished.wait(timeout: .now() + 30), .success, "the two workers must meet at the sync")
    XCTAssertNil(results.error)
    assertClose(parameters[0].value.scalars, [2.835, 3.555, 0], rtol: 1e-6, atol: 1e-6)
    XCTAssertEqual(parameters[0].value.scalars, parameters[1].value.scalars, "replicas stay bit-identical")
    XCTAssertEqual(results.losses, [12.5, 8], "the step's loss is the one at x: 0.5 * 25 and 0.5 * 16")
    XCTAssertEqual(results.computations, [2, 2], "SAM computes the gradients twice")
  }

  /// Replaces `parameter`'s gradient with exactly `c` by back-propagating sum(c * x).
  private func setGradient(_ parameter: Parameter, _ c: [Float]) throws {
    parameter.zeroGradient()
    let weights = try Tensor(shape: parameter.shape, scalars: c)
    try (parameter.value * weights).sum().backward()
  }
}

/// One worker's gradient computation for a quadratic loss 0.5 ||x - target||^2, syncing its final
/// gradients through the driver and a real transport.
private final class QuadraticStep: GradientComputation, WorkerContext {
  let worker: Int
  let parameter: Parameter
  let target: [Float]
  let layout: ParameterLayout
  let driver: SyncDriver<DataParallel>
  let transport: InProcessTransport<DataParallel>
  var state = NoState()
  var computations = 0
  var step: Int { 0 }
  var loss: Double = .nan

  init(
    worker: Int, parameter: Parameter, target: [Float], layout: ParameterLayout, driver: SyncDriver<DataParallel>,
    transport: InProcessTransport<DataParallel>
  ) {
    self.worker = worker
    self.parameter = parameter
    self.target = target
    self.layout = layout
    self.driver = driver
    self.transport = transport
  }

  func computeGradients() throws -> Float {
    computations += 1
    let difference = try parameter.value - Tensor(target)
    let value = try (difference * difference).sum() * Tensor(0.5)
    try value.backward()
    return value.scalar
  }

  func gradientsAreFinal() throws {
    guard try driver.gradientsAreFinal(self, state: &state) else { return }
    let contribution = try driver.contribution(self, state: &state)
    let reply = try transport.exchange(contribution, round: 0)
    try driver.finish(self, outcome: reply.outcome, state: &state)
  }

  func parameters() throws -> [Float] { parameter.value.scalars }
  func setParameters(_ parameters: [Float]) throws { try parameter.value.assign(parameters) }
  func gradients() throws -> [Float] { parameter.gradient?.scalars ?? [] }
  func setGradients(_ gradients: [Float]) throws {
    try parameter.value.setGradient(Tensor(shape: parameter.shape, scalars: gradients))
  }
  func gradientNorms() throws -> [Double] { [] }
  func probeGradientNorms() throws -> [Double] { [] }
}

/// Results of the worker threads.
private final class ResultBox: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var losses: [Float] = [0, 0]
  private(set) var computations: [Int] = [0, 0]
  private(set) var error: (any Error)?

  func set(_ worker: Int, loss: Float, computations count: Int) {
    lock.lock()
    defer { lock.unlock() }
    losses[worker] = loss
    computations[worker] = count
  }

  func fail(_ error: any Error) {
    lock.lock()
    defer { lock.unlock() }
    self.error = error
  }
}
