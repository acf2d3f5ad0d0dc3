import Foundation
import GrawaDistributed
import GrawaTensor
import XCTest
import _TestSupport

/// MGRAWA against hand-computed syncs (docs/algorithms.md, "MGRAWA"; paper eqs. 3-4):
/// `score_i = sum_l ||G_i,l||` (a sum of per-tensor norms, not the whole-vector norm); momentum
/// `m_i <- beta m_i + (1 - beta) score_i`, estimate `m_i / (1 - beta^t)`, t = 1, 2, ...;
/// `weight_i = (1/est_i) / sum_j (1/est_j)`; `x_i <- (1 - c2) x_i + c2 * center`.
final class MGRAWATests: XCTestCase {
  /// beta_n = 0.9^8, the paper's default.
  private let beta = 0.43046721

  func testDescription_probeBatchWithPaperMomentum() {
    let mgrawa = MGRAWA()
    XCTAssertEqual(mgrawa.name, "mgrawa")
    XCTAssertEqual(mgrawa.schedule, .periodic(communicationPeriod: 32))
    XCTAssertEqual(mgrawa.normMomentum, 0.43046721)
    XCTAssertEqual(mgrawa.normMomentum, pow(0.9, 8), accuracy: 1e-15)
  }

  func testScore_isSumOfTensorNormsNotWholeVectorNorm() throws {
    // No momentum. Probe norms: worker 0 [1, 2] -> score 1 + 2 = 3 (whole vector sqrt(5) = 2.236);
    //                           worker 1 [6, 0] -> score 6 + 0 = 6 (whole vector 6).
    // weights = (1/3, 1/6) / (1/2) = (2/3, 1/3)
    // (whole-vector norms would give (1/sqrt5, 1/6) normalised = (0.7286, 0.2714)).
    // center = 2/3 * [3, 0, 6] + 1/3 * [0, 3, -3] = [2, 1, 3]
    // c2 0.5: x0 = 0.5 * [3, 0, 6] + 0.5 * [2, 1, 3] = [2.5, 0.5, 4.5]
    //         x1 = 0.5 * [0, 3, -3] + 0.5 * [2, 1, 3] = [1, 2, 0]
    var run = StrategyHarness(
      MGRAWA(communicationPeriod: 1, pullStrength: 0.5, proximityStrength: 0, normMomentum: 0),
      initial: [0, 0, 0], layout: try twoTensorLayout(), workerCount: 2)
    run.workers = [[3, 0, 6], [0, 3, -3]]
    let (contributions, outcome) = try run.sync(probeNorms: [[1, 2], [6, 0]])
    XCTAssertEqual(contributions.map(\.report.scores), [[3], [6]])
    XCTAssertEqual(outcome.weights[0][0], 2.0 / 3, accuracy: 1e-15)
    XCTAssertEqual(outcome.weights[1][0], 1.0 / 3, accuracy: 1e-15)
    assertClose(outcome.target, [2, 1, 3], rtol: 1e-7, atol: 1e-7)
    assertClose(run.workers[0], [2.5, 0.5, 4.5], rtol: 1e-7, atol: 1e-7)
    assertClose(run.workers[1], [1, 2, 0], rtol: 1e-7, atol: 1e-7)
  }

  func testMomentum_isBiasCorrectedAndCarriesOverTwoSyncs() throws {
    // beta = 0.43046721, 1 - beta = 0.56953279.
    // Sync 1 (t = 1): scores s0 = 1 + 2 = 3, s1 = 6 + 0 = 6.
    //   m0 = (1 - beta) * 3 = 1.70859837,  m1 = (1 - beta) * 6 = 3.41719674
    //   estimates m / (1 - beta) = 3 and 6 -> weights (2/3, 1/3).
    // Sync 2 (t = 2): scores s0 = 2 + 2 = 4, s1 = 1 + 1 = 2.
    //   m0 = beta * (1 - beta) * 3 + (1 - beta) * 4 = (1 - beta)(3 beta + 4) = 0.56953279 * 5.29140163 ≈ 3.0136267
    //   m1 = beta * (1 - beta) * 6 + (1 - beta) * 2 = (1 - beta)(6 beta + 2) = 0.56953279 * 4.58280326 ≈ 2.6100567
    //   est = m / (1 - beta^2) = m / ((1 - beta)(1 + beta)):
    //   est0 = (3 beta + 4) / (1 + beta) = 5.29140163 / 1.43046721 ≈ 3.6990723
    //   est1 = (6 beta + 2) / (1 + beta) = 4.58280326 / 1.43046721 ≈ 3.2037108
    //   weights = (1/est0, 1/est1) normalised = (est1, est0) / (est0 + est1)
    //           = (4.58280326, 5.29140163) / 9.87420489 ≈ (0.4641187, 0.5358813)
    //   (the latest scores alone would give (1/4, 1/2) normalised = (1/3, 2/3)).
    //   center = w0 * [1, 0, 2] + w1 * [0, 1, 2] = [w0, w1, 2].
    var run = StrategyHarness(
      MGRAWA(communicationPeriod: 1, pullStrength: 0.5, proximityStrength: 0), initial: [0, 0, 0],
      layout: try twoTensorLayout(), workerCount: 2)
    run.workers = [[3, 0, 6], [0, 3, -3]]
    let first = try run.sync(probeNorms: [[1, 2], [6, 0]])
    let momentum1 = try XCTUnwrap(run.centerState.momentum)
    XCTAssertEqual(momentum1.beta, beta)
    XCTAssertEqual(momentum1.updates, 1)
    XCTAssertEqual(momentum1.averages[0], (1 - beta) * 3, accuracy: 1e-15)
    XCTAssertEqual(momentum1.averages[1], (1 - beta) * 6, accuracy: 1e-15)
    XCTAssertEqual(momentum1.estimates[0], 3, accuracy: 1e-14)
    XCTAssertEqual(momentum1.estimates[1], 6, accuracy: 1e-14)
    XCTAssertEqual(first.outcome.weights[0][0], 2.0 / 3, accuracy: 1e-14)
    XCTAssertEqual(first.outcome.weights[1][0], 1.0 / 3, accuracy: 1e-14)

    run.workers = [[1, 0, 2], [0, 1, 2]]
    let (_, outcome) = try run.sync(probeNorms: [[2, 2], [1, 1]])
    let momentum2 = try XCTUnwrap(run.centerState.momentum)
    XCTAssertEqual(momentum2.updates, 2)
    XCTAssertEqual(momentum2.averages[0], (1 - beta) * (3 * beta + 4), accuracy: 1e-14)
    XCTAssertEqual(momentum2.averages[0], 3.0136267, accuracy: 1e-7)
    XCTAssertEqual(momentum2.averages[1], (1 - beta) * (6 * beta + 2), accuracy: 1e-14)
    XCTAssertEqual(momentum2.averages[1], 2.6100567, accuracy: 1e-7)
    let est0 = (3 * beta + 4) / (1 + beta)
    let est1 = (6 * beta + 2) / (1 + beta)
    XCTAssertEqual(est0, 3.6990723, accuracy: 1e-7, "the hand arithmetic above")
    XCTAssertEqual(est1, 3.2037108, accuracy: 1e-7, "the hand arithmetic above")
    XCTAssertEqual(momentum2.estimates[0], est0, accuracy: 1e-13)
    XCTAssertEqual(momentum2.estimates[1], est1, accuracy: 1e-13)
    let w0 = est1 / (est0 + est1)
    let w1 = est0 / (est0 + est1)
    XCTAssertEqual(w0, 0.4641187, accuracy: 1e-7, "the hand arithmetic above")
    XCTAssertEqual(outcome.weights[0][0], w0, accuracy: 1e-13)
    XCTAssertEqual(outcome.weights[1][0], w1, accuracy: 1e-13)
    assertClose(outcome.target, [Float(w0), Float(w1), 2], rtol: 1e-6, atol: 1e-7)
  }

  func testZeroMomentum_usesLatestScoreOnly() throws {
    // Same syncs as above with beta = 0: sync 2 weights = (1/4, 1/2) / (3/4) = (1/3, 2/3);
    // center = 1/3 * [3, 0, 3] + 2/3 * [0, 3, 6] = [1, 2, 1 + 4] = [1, 2, 5].
    var run = StrategyHarness(
      MGRAWA(communicationPeriod: 1, pullStrength: 0.5, proximityStrength: 0, normMomentum: 0),
      initial: [0, 0, 0], layout: try twoTensorLayout(), workerCount: 2)
    XCTAssertNil(run.centerState.momentum)
    run.workers = [[3, 0, 6], [0, 3, -3]]
    try run.sync(probeNorms: [[1, 2], [6, 0]])
    run.workers = [[3, 0, 3], [0, 3, 6]]
    let (_, outcome) = try run.sync(probeNorms: [[2, 2], [1, 1]])
    XCTAssertEqual(outcome.weights[0][0], 1.0 / 3, accuracy: 1e-15)
    XCTAssertEqual(outcome.weights[1][0], 2.0 / 3, accuracy: 1e-15)
    assertClose(outcome.target, [1, 2, 5], rtol: 1e-7, atol: 1e-7)
  }

  func testZeroScore_takesTheWholeWeightEvenWithMomentum() throws {
    // Worker 0's norms [0, 0]: m0 = 0, estimate 0; worker 1's [1, 2]: estimate 3.
    // The only zero estimate takes the whole weight (docs/algorithms.md, "Where we differ from the authors' code", row 5): weights (1, 0).
    var run = StrategyHarness(
      MGRAWA(communicationPeriod: 1, pullStrength: 0.5, proximityStrength: 0), initial: [0, 0, 0],
      layout: try twoTensorLayout(), workerCount: 2)
    run.workers = [[1, 2, 3], [7, 7, 7]]
    let (_, outcome) = try run.sync(probeNorms: [[0, 0], [1, 2]])
    XCTAssertEqual(outcome.weights, [[1], [0]])
    XCTAssertEqual(outcome.target, [1, 2, 3])
  }

  func testNegativeOrInfiniteScore_throwsNamingTheWorker() throws {
    // Worker 1's norms [-1, 0] sum to -1: a negative score is rejected, not weighted.
    var run = StrategyHarness(
      MGRAWA(communicationPeriod: 1, pullStrength: 0.5, proximityStrength: 0), initial: [0, 0, 0],
      layout: try twoTensorLayout(), workerCount: 2)
    XCTAssertThrowsError(try run.sync(probeNorms: [[1, 1], [-1, 0]])) { error in
      XCTAssertEqual(error as? DistributedError, .nonFiniteScore(worker: 1, value: -1))
    }
    XCTAssertThrowsError(try run.sync(probeNorms: [[1, .infinity], [1, 1]])) { error in
      XCTAssertEqual(error as? DistributedError, .nonFiniteScore(worker: 0, value: .infinity))
    }
  }
}
