import GrawaDistributed
import GrawaTensor
import XCTest
import _TestSupport

final class AveragingMathTests: XCTestCase {
  func testInverseNormWeights_matchHandComputedValues() throws {
    // Scores 1, 2, 4: inverses 1, 0.5, 0.25 sum to 1.75 -> 4/7, 2/7, 1/7.
    let weights = try InverseNormWeights.weights(for: [1, 2, 4])
    XCTAssertEqual(weights[0], 4.0 / 7, accuracy: 1e-15)
    XCTAssertEqual(weights[1], 2.0 / 7, accuracy: 1e-15)
    XCTAssertEqual(weights[2], 1.0 / 7, accuracy: 1e-15)
  }

  func testInverseNormWeights_zeroScoresShareTheWeight() throws {
    XCTAssertEqual(try InverseNormWeights.weights(for: [3, 0, 5, 0]), [0, 0.5, 0, 0.5])
    XCTAssertEqual(try InverseNormWeights.weights(for: [0]), [1])
  }

  func testInverseNormWeights_nonFiniteScoreNamesTheWorker() {
    XCTAssertThrowsError(try InverseNormWeights.weights(for: [1, .nan])) { error in
      XCTAssertTrue("\(error)".hasPrefix("worker 1: gradient-norm score is nan"), "\(error)")
    }
    XCTAssertThrowsError(try InverseNormWeights.weights(for: [.infinity, 1])) { error in
      XCTAssertEqual(error as? DistributedError, .nonFiniteScore(worker: 0, value: .infinity))
    }
  }

  func testCombine_weightsWholeVectors() throws {
    // 0.25 * [1, 2, 3] + 0.75 * [5, 6, 7] = [4, 5, 6].
    let center = try WeightedAverage.combine([[1, 2, 3], [5, 6, 7]], weights: [0.25, 0.75])
    XCTAssertEqual(center, [4, 5, 6])
    XCTAssertThrowsError(try WeightedAverage.combine([[1, 2], [1]], weights: [0.5, 0.5]))
  }

  func testCombinePerTensor_usesEachTensorsOwnWeights() throws {
    // Two tensors: "a" = elements 0..<2, "b" = element 2.
    let layout = try ParameterLayout(names: ["a", "b"], shapes: [[2], [1]])
    // Tensor a: 0.5/0.5 -> [(1+3)/2, (2+4)/2] = [2, 3]; tensor b: 0.9/0.1 -> 0.9*10 + 0.1*20 = 11.
    let center = try WeightedAverage.combinePerTensor(
      [[1, 2, 10], [3, 4, 20]], weights: [[0.5, 0.9], [0.5, 0.1]], layout: layout)
    assertClose(center, [2, 3, 11], rtol: 1e-6)
  }

  func testInterpolate_pullsByTheFraction() throws {
    // (1 - 0.1) * [10, 0] + 0.1 * [0, 10] = [9, 1].
    var x: [Float] = [10, 0]
    try WeightedAverage.interpolate(&x, toward: [0, 10], fraction: 0.1)
    assertClose(x, [9, 1], rtol: 1e-6)
  }

  func testNormMomentum_biasCorrectionOverTwoSyncs() {
    // beta 0.5. Sync 1: m = 0.5 * 0 + 0.5 * 4 = 2; estimate 2 / (1 - 0.5) = 4.
    // Sync 2: m = 0.5 * 2 + 0.5 * 2 = 2;  estimate 2 / (1 - 0.25) = 2.6666...
    var momentum = NormMomentum(beta: 0.5, count: 1)
    XCTAssertEqual(momentum.update(with: [4]), [4])
    XCTAssertEqual(momentum.update(with: [2])[0], 2 / 0.75, accuracy: 1e-15)
    momentum.reset()
    XCTAssertEqual(momentum.update(with: [7]), [7])
  }

  func testNormMomentum_zeroBetaIsTheLatestScore() {
    var momentum = NormMomentum(beta: 0, count: 2)
    XCTAssertEqual(momentum.update(with: [3, 5]), [3, 5])
    XCTAssertEqual(momentum.update(with: [1, 2]), [1, 2])
  }
}
