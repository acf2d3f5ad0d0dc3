import GrawaDistributed
import GrawaNN
import GrawaOptim
import GrawaTensor
import XCTest
import _TestSupport

/// DP+SGD (REFERENCE.md section 3): every step the center averages the workers' gradients in
/// worker order, and every worker applies that same mean gradient with its own (identical) SGD,
/// so the replicas stay identical.
final class DataParallelSGDTests: XCTestCase {
  func testDescription_everyStepGradientExchange() {
    let dp = DataParallelSGD()
    XCTAssertEqual(dp.name, "dp-sgd")
    XCTAssertEqual(dp.schedule, .everyStep)
    XCTAssertEqual(dp.schedule.period, 1)
    XCTAssertEqual(dp.exchange, .gradients)
    XCTAssertEqual(dp.scoreSource, .none)
    XCTAssertFalse(dp.changesParametersBetweenSyncs)
  }

  func testCenter_isMeanGradientOfTheWorkersInOrder() throws {
    // Two workers: ([1, 2, -3] + [3, -2, 5]) / 2 = [4, 0, 2] / 2 = [2, 0, 1].
    var run = StrategyHarness(DataParallelSGD(), initial: [0, 0, 0], layout: try twoTensorLayout(), workerCount: 2)
    run.workers = [[1, 2, -3], [3, -2, 5]]
    let (contributions, outcome) = try run.sync()
    XCTAssertEqual(contributions.map(\.worker), [0, 1])
    XCTAssertEqual(contributions.map(\.vector), [[1, 2, -3], [3, -2, 5]], "the gradients are sent as they are")
    XCTAssertEqual(outcome.target, [2, 0, 1])
    XCTAssertEqual(outcome.pullFraction, 0)
    XCTAssertEqual(outcome.weights, [])
    XCTAssertEqual(run.workers, [[1, 2, -3], [3, -2, 5]], "gradient exchanges are not pulled")

    // Three workers: ([1, 2, 3] + [4, 5, 6] + [1, -1, 0]) / 3 = [6, 6, 9] / 3 = [2, 2, 3].
    var three = StrategyHarness(DataParallelSGD(), initial: [0, 0, 0], layout: try twoTensorLayout(), workerCount: 3)
    three.workers = [[1, 2, 3], [4, 5, 6], [1, -1, 0]]
    let (_, mean) = try three.sync()
    assertClose(mean.target, [2, 2, 3], rtol: 1e-6, atol: 0)
  }

  func testCenter_accumulatesInWorkerOrderInDouble() throws {
    // The mean is sum_i (1/3) * g_i accumulated in Double in worker order 0, 1, 2, then rounded
    // to Float once: deterministic whatever order the workers arrive in. These values round
    // differently in the other order: element 0 is (1/3)(0.1 + 0.1 + 1.3) = 0.5 in exact
    // arithmetic, and the Double sum in order 0, 1, 2 lands just below the Float rounding midpoint,
    // giving the Float below 0.5, while order 2, 1, 0 gives 0.5 itself.
    var run = StrategyHarness(DataParallelSGD(), initial: [0, 0, 0], layout: try twoTensorLayout(), workerCount: 3)
    run.workers = [[0.1, 1.3, 0.9], [0.1, 0.1, 0.1], [1.3, 0.1, 0.1]]
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
      DataParallelSGD(), initial: try layout.flatten(replicas[0].map(\.value)), layout: layout, workerCount: 2)
    for (step, gradients) in localGradients.enumerated() {
      run.workers = gradients
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

  /// Replaces `parameter`'s gradient with exactly `c` by back-propagating sum(c * x).
  private func setGradient(_ parameter: Parameter, _ c: [Float]) throws {
    parameter.zeroGradient()
    let weights = try Tensor(shape: parameter.shape, scalars: c)
    try (parameter.value * weights).sum().backward()
  }
}
