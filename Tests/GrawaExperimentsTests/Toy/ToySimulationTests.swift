import GrawaDistributed
import GrawaExperiments
import XCTest

final class ToySimulationTests: XCTestCase {
  /// f(x) = x^2 / 2 per coordinate: the gradient is x, so SGD with lr 0.5 halves x each step.
  private func quadratic(steps: Int) -> ToySimulation {
    ToySimulation(
      function: { x in (x.reduce(0) { $0 + $1 * $1 / 2 }, x) }, learningRate: 0.5, steps: steps)
  }

  func testEASGD_handComputedSync() throws {
    // Workers start at 1 and 3; the master starts at their mean, 2.
    // Two local steps: A 1 -> 0.5 -> 0.25, B 3 -> 1.5 -> 0.75.
    // Sync with beta 0.5, alpha = beta / 2 = 0.25 toward the old master 2:
    //   A = 0.75 * 0.25 + 0.25 * 2 = 0.6875, B = 0.75 * 0.75 + 0.25 * 2 = 1.0625;
    //   master = 0.5 * 2 + 0.5 * mean(0.25, 0.75) = 1.25 (the reported center).
    let result = try quadratic(steps: 2).run(EASGD(communicationPeriod: 2, movingRate: 0.5), from: [[1], [3]])
    XCTAssertEqual(result.trajectories[0].map { $0[0] }, [1, 0.5, 0.25, 0.6875])
    XCTAssertEqual(result.trajectories[1].map { $0[0] }, [3, 1.5, 0.75, 1.0625])
    XCTAssertEqual(result.center, [1.25])
    XCTAssertEqual(result.syncs, 1)
    XCTAssertNil(result.weightedCenter)
  }

  func testGRAWA_weightsByTheExactGradientAtTheSync() throws {
    // One local step: A 1 -> 0.5, B 3 -> 1.5. Probe gradients (exact) 0.5 and 1.5: weights
    // (1/0.5) / (1/0.5 + 1/1.5) = 2 / (8/3) = 0.75 and 0.25; center = 0.75*0.5 + 0.25*1.5 = 0.75.
    // Pull c2 = 0.5: A = 0.5*0.5 + 0.5*0.75 = 0.625, B = 0.5*1.5 + 0.5*0.75 = 1.125.
    let result = try quadratic(steps: 1).run(
      GRAWA(communicationPeriod: 1, pullStrength: 0.5, proximityStrength: 0), from: [[1], [3]])
    XCTAssertEqual(result.trajectories[0].map { $0[0] }, [1, 0.5, 0.625])
    XCTAssertEqual(result.trajectories[1].map { $0[0] }, [3, 1.5, 1.125])
    XCTAssertEqual(result.weightedCenter, [0.75])
    XCTAssertEqual(result.center, [0.875], "the reported center is the workers' plain average")
  }

  func testNoise_isSeededAndChangesTheRun() throws {
    var noisy = quadratic(steps: 3)
    noisy.gradientNoise = 0.1
    let a = try noisy.run(LSGD(communicationPeriod: 1), from: [[1], [3]])
    let b = try noisy.run(LSGD(communicationPeriod: 1), from: [[1], [3]])
    XCTAssertEqual(a.trajectories.map { $0.map { $0[0] } }, b.trajectories.map { $0.map { $0[0] } })
    noisy.seed = 1
    let c = try noisy.run(LSGD(communicationPeriod: 1), from: [[1], [3]])
    XCTAssertNotEqual(a.center, c.center)
  }

  func testVincentExperiment_runsEveryStrategyAndStaysInTheDomain() throws {
    var experiment = VincentExperiment()
    experiment.steps = 40
    let outcomes = try experiment.run()
    XCTAssertEqual(outcomes.map(\.strategy), [.easgd, .lsgd, .grawa, .mgrawa, .lgrawa])
    for outcome in outcomes {
      XCTAssertEqual(outcome.result.syncs, 10)
      for path in outcome.result.trajectories {
        for point in path { for x in point { XCTAssertTrue(VincentFunction.domain.contains(x)) } }
      }
    }
    experiment.learningRate = 0
    XCTAssertThrowsError(try experiment.run())
  }
}
