import GrawaDistributed
import GrawaNN
import GrawaOptim
import GrawaTensor
import XCTest
import _TestSupport

/// DP+SAM (REFERENCE.md section 3; Foret et al. 2021): each worker sends the gradient at its own
/// ascent point (the engine computes it, with the strategy's rho); the center averages those
/// gradients in worker order; every worker applies the mean with the same base SGD step at x.
final class DataParallelSAMTests: XCTestCase {
  func testExchange_carriesRho() throws {
    XCTAssertEqual(DataParallelSAM().rho, 0.05, "the paper's rho")
    XCTAssertEqual(DataParallelSAM().exchange, .sharpnessAwareGradients(rho: 0.05))
    XCTAssertEqual(DataParallelSAM(rho: 0.25).exchange, .sharpnessAwareGradients(rho: 0.25))
    var settings = StrategyKind.dataParallelSAM.defaultSettings
    settings.samRho = 0.125
    let made = try StrategyKind.dataParallelSAM.make(settings)
    XCTAssertEqual(made.exchange, .sharpnessAwareGradients(rho: 0.125))
  }

  func testDescription_everyStepWithoutScores() {
    let sam = DataParallelSAM()
    XCTAssertEqual(sam.name, "dp-sam")
    XCTAssertEqual(sam.schedule, .everyStep)
    XCTAssertEqual(sam.scoreSource, .none)
    XCTAssertFalse(sam.changesParametersBetweenSyncs)
  }

  func testCenter_isMeanOfAscentPointGradients() throws {
    // ([1, 2, -3] + [3, -2, 5]) / 2 = [2, 0, 1];  three workers:
    // ([1, 2, 3] + [4, 5, 6] + [1, -1, 0]) / 3 = [6, 6, 9] / 3 = [2, 2, 3].
    var run = StrategyHarness(DataParallelSAM(), initial: [0, 0, 0], layout: try twoTensorLayout(), workerCount: 2)
    run.workers = [[1, 2, -3], [3, -2, 5]]
    let (contributions, outcome) = try run.sync()
    XCTAssertEqual(contributions.map(\.worker), [0, 1])
    XCTAssertEqual(outcome.target, [2, 0, 1])
    XCTAssertEqual(outcome.pullFraction, 0)
    XCTAssertEqual(run.workers, [[1, 2, -3], [3, -2, 5]], "gradient exchanges are not pulled")
    var three = StrategyHarness(DataParallelSAM(), initial: [0, 0, 0], layout: try twoTensorLayout(), workerCount: 3)
    three.workers = [[1, 2, 3], [4, 5, 6], [1, -1, 0]]
    let (_, mean) = try three.sync()
    assertClose(mean.target, [2, 2, 3], rtol: 1e-6, atol: 0)
  }

  func testSameMeanGradient_keepsReplicasBitIdentical() throws {
    // Two replicas x = [1, -2, 0.5], plain SGD lr 0.5 (the base step of SAM, applied at x).
    // Ascent-point gradients [1, 2, -3] and [3, -2, 5] -> mean [2, 0, 1];
    // x = [1, -2, 0.5] - 0.5 * [2, 0, 1] = [0, -2, 0] on both replicas.
    let replicas = (0..<2).map { _ in Parameter(Tensor([1, -2, 0.5])) }
    let optimizers = try replicas.map { try SGD(parameters: [$0], learningRate: 0.5) }
    var run = StrategyHarness(DataParallelSAM(), initial: [1, -2, 0.5], layout: try twoTensorLayout(), workerCount: 2)
    run.workers = [[1, 2, -3], [3, -2, 5]]
    let (_, outcome) = try run.sync()
    for (parameter, optimizer) in zip(replicas, optimizers) {
      parameter.zeroGradient()
      try (parameter.value * Tensor(outcome.target)).sum().backward()
      try optimizer.step()
    }
    XCTAssertEqual(replicas[0].value.scalars, [0, -2, 0])
    XCTAssertEqual(replicas[1].value.scalars, replicas[0].value.scalars)
  }
}
