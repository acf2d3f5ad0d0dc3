import GrawaDistributed
import GrawaTensor
import XCTest
import _TestSupport

/// LGRAWA against hand-computed syncs (docs/algorithms.md, "LGRAWA"; paper eqs. 5-7): each tensor l has
/// its own score per worker (its probe-gradient norm, with momentum kept per (worker, tensor)),
/// its own weights normalised across workers, and `center_l = sum_i weight_i,l * x_i,l`.
/// Layout: tensor "a" = flat elements 0..<2, tensor "b" = flat element 2.
final class LGRAWATests: XCTestCase {
  func testDescription_perTensorProbeBatch() {
    let lgrawa = LGRAWA()
    XCTAssertEqual(lgrawa.name, "lgrawa")
    XCTAssertEqual(lgrawa.schedule, .periodic(communicationPeriod: 32))
    XCTAssertEqual(lgrawa.granularity, .perTensor)
    XCTAssertEqual(lgrawa.normMomentum, 0.43046721)
  }

  func testWeights_areNormalisedAcrossWorkersPerTensor() throws {
    // No momentum. Probe norms (a, b): worker 0 (1, 4), worker 1 (3, 1).
    // Tensor a: (1/1, 1/3) / (4/3) = (3/4, 1/4).   Tensor b: (1/4, 1/1) / (5/4) = (1/5, 4/5).
    // (One whole-model weight from sums 5 and 4 would be (4/9, 5/9) for both tensors.)
    // center a = 0.75 * [4, 8] + 0.25 * [8, 4] = [3 + 2, 6 + 1] = [5, 7]
    // center b = 0.2 * 5 + 0.8 * 10 = 1 + 8 = 9
    // c2 0.5: x0 = 0.5 * [4, 8, 5] + 0.5 * [5, 7, 9] = [4.5, 7.5, 7]
    //         x1 = 0.5 * [8, 4, 10] + 0.5 * [5, 7, 9] = [6.5, 5.5, 9.5]
    var run = StrategyHarness(
      LGRAWA(communicationPeriod: 1, pullStrength: 0.5, proximityStrength: 0, normMomentum: 0),
      initial: [0, 0, 0], layout: try twoTensorLayout(), workerCount: 2)
    run.workers = [[4, 8, 5], [8, 4, 10]]
    let (contributions, outcome) = try run.sync(probeNorms: [[1, 4], [3, 1]])
    XCTAssertEqual(contributions.map(\.report.scores), [[1, 4], [3, 1]])
    XCTAssertEqual(outcome.weights.count, 2)
    XCTAssertEqual(outcome.weights[0][0], 0.75, accuracy: 1e-15)
    XCTAssertEqual(outcome.weights[1][0], 0.25, accuracy: 1e-15)
    XCTAssertEqual(outcome.weights[0][1], 0.2, accuracy: 1e-15)
    XCTAssertEqual(outcome.weights[1][1], 0.8, accuracy: 1e-15)
    assertClose(outcome.target, [5, 7, 9], rtol: 1e-7, atol: 1e-7)
    assertClose(run.strategy.weightedCenter(state: run.centerState) ?? [], [5, 7, 9], rtol: 1e-7, atol: 1e-7)
    assertClose(run.workers[0], [4.5, 7.5, 7], rtol: 1e-7, atol: 1e-7)
    assertClose(run.workers[1], [6.5, 5.5, 9.5], rtol: 1e-7, atol: 1e-7)
  }

  func testMomentum_isKeptPerWorkerAndTensor() throws {
    // beta 0.5; slots worker-major: (w0 a, w0 b, w1 a, w1 b).
    // Sync 1 norms (1, 4 | 3, 1): m = 0.5 * [1, 4, 3, 1] = [0.5, 2, 1.5, 0.5]; estimates m / 0.5 = the norms,
    //   weights as in the test above: a (3/4, 1/4), b (1/5, 4/5).
    // Sync 2 norms (3, 2 | 1, 3):
    //   m = 0.5 * [0.5, 2, 1.5, 0.5] + 0.5 * [3, 2, 1, 3] = [0.25 + 1.5, 1 + 1, 0.75 + 0.5, 0.25 + 1.5]
    //     = [1.75, 2, 1.25, 1.75]
    //   est = m / (1 - 0.25) = [7/3, 8/3, 5/3, 7/3]
    //   tensor a: (3/7, 3/5) normalised = (1/7, 1/5) / (12/35) = (5/12, 7/12)
    //   tensor b: (3/8, 3/7) normalised = (1/8, 1/7) / (15/56) = (7/15, 8/15)
    //   (the latest norms alone: a (1/3, 1) -> (1/4, 3/4), b (1/2, 1/3) -> (3/5, 2/5)).
    //   center a = 5/12 * [12, 0] + 7/12 * [0, 12] = [5, 7];  center b = 7/15 * 15 + 8/15 * 0 = 7.
    var run = StrategyHarness(
      LGRAWA(communicationPeriod: 1, pullStrength: 0.5, proximityStrength: 0, normMomentum: 0.5),
      initial: [0, 0, 0], layout: try twoTensorLayout(), workerCount: 2)
    XCTAssertEqual(run.centerState.momentum?.averages.count, 4, "one slot per (worker, tensor)")
    run.workers = [[4, 8, 5], [8, 4, 10]]
    let first = try run.sync(probeNorms: [[1, 4], [3, 1]])
    XCTAssertEqual(run.centerState.momentum?.averages, [0.5, 2, 1.5, 0.5])
    assertClose(first.outcome.target, [5, 7, 9], rtol: 1e-7, atol: 1e-7)

    run.workers = [[12, 0, 15], [0, 12, 0]]
    let (_, outcome) = try run.sync(probeNorms: [[3, 2], [1, 3]])
    let momentum = try XCTUnwrap(run.centerState.momentum)
    XCTAssertEqual(momentum.averages, [1.75, 2, 1.25, 1.75])
    XCTAssertEqual(momentum.estimates[0], 7.0 / 3, accuracy: 1e-15)
    XCTAssertEqual(momentum.estimates[1], 8.0 / 3, accuracy: 1e-15)
    XCTAssertEqual(momentum.estimates[2], 5.0 / 3, accuracy: 1e-15)
    XCTAssertEqual(momentum.estimates[3], 7.0 / 3, accuracy: 1e-15)
    XCTAssertEqual(outcome.weights[0][0], 5.0 / 12, accuracy: 1e-15)
    XCTAssertEqual(outcome.weights[1][0], 7.0 / 12, accuracy: 1e-15)
    XCTAssertEqual(outcome.weights[0][1], 7.0 / 15, accuracy: 1e-15)
    XCTAssertEqual(outcome.weights[1][1], 8.0 / 15, accuracy: 1e-15)
    assertClose(outcome.target, [5, 7, 7], rtol: 1e-6, atol: 1e-7)
  }

  func testZeroNormsInATensor_shareThatTensorsWeight() throws {
    // No momentum, three workers. Norms (a, b): w0 (0, 2), w1 (3, 0), w2 (0, 0).
    // Tensor a: w0 and w2 score 0 -> (0.5, 0, 0.5).  Tensor b: w1 and w2 score 0 -> (0, 0.5, 0.5).
    // center a = 0.5 * [2, 4] + 0.5 * [4, 0] = [3, 2];  center b = 0.5 * 8 + 0.5 * 2 = 5.
    var run = StrategyHarness(
      LGRAWA(communicationPeriod: 1, pullStrength: 0.5, proximityStrength: 0, normMomentum: 0),
      initial: [0, 0, 0], layout: try twoTensorLayout(), workerCount: 3)
    run.workers = [[2, 4, 6], [8, 8, 8], [4, 0, 2]]
    let (_, outcome) = try run.sync(probeNorms: [[0, 2], [3, 0], [0, 0]])
    XCTAssertEqual(outcome.weights, [[0.5, 0], [0, 0.5], [0.5, 0.5]])
    XCTAssertEqual(outcome.target, [3, 2, 5])
  }

  func testNaNNormInOneTensor_throwsNamingTheWorker() throws {
    var run = StrategyHarness(
      LGRAWA(communicationPeriod: 1, pullStrength: 0.5, proximityStrength: 0), initial: [0, 0, 0],
      layout: try twoTensorLayout(), workerCount: 3)
    XCTAssertThrowsError(try run.sync(probeNorms: [[1, 1], [1, 1], [1, .nan]])) { error in
      guard case .nonFiniteScore(let worker, let value) = error as? DistributedError else {
        return XCTFail("unexpected error \(error)")
      }
      XCTAssertEqual(worker, 2)
      XCTAssertTrue(value.isNaN)
    }
  }

  func testWrongScoreCount_throws() throws {
    // A whole-model score (one number) where LGRAWA needs one per tensor (two).
    let lgrawa = LGRAWA(communicationPeriod: 1, pullStrength: 0.5, proximityStrength: 0)
    let layout = try twoTensorLayout()
    var state = lgrawa.makeCenterState(initial: [0, 0, 0], layout: layout, workerCount: 2)
    let contributions = [
      Contribution(worker: 0, vector: [0, 0, 0], report: GRAWAReport(scores: [1, 1])),
      Contribution(worker: 1, vector: [0, 0, 0], report: GRAWAReport(scores: [1])),
    ]
    XCTAssertThrowsError(try SyncDriver(lgrawa).center(contributions, state: &state, layout: layout)) { error in
      guard case .countMismatch(let message) = error as? DistributedError else {
        return XCTFail("unexpected error \(error)")
      }
      XCTAssertTrue(message.contains("worker 1"), message)
    }
  }
}
