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
    // Workers start at 1 and 3; the master starts at their mean, 2 (whatever the pre-sync target:
    // it is the workers' mean at t = 0, the common point of a real run).
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

  // MARK: - The proximity target before the first sync (docs/algorithms.md, "The toy simulation")

  /// LSGD with tau 2, c2 0.5, p2 1 (each step ends with x <- 0.5 x + 0.5 target, when there is a
  /// target), workers at 1 and 3, three steps.
  private func lsgdRun(_ target: ToySimulation.PreSyncTarget) throws -> ToySimulation.Result {
    var simulation = quadratic(steps: 3)
    simulation.preSyncTarget = target
    return try simulation.run(LSGD(communicationPeriod: 2, pullStrength: 0.5, proximityStrength: 1), from: [[1], [3]])
  }

  func testLSGD_noPullBeforeTheFirstSync_byDefault() throws {
    // No target until the first sync: plain SGD steps, x halves.
    //   A: 1 -> 0.5 -> 0.25 (losses f(1) = 0.5, f(0.5) = 0.125)
    //   B: 3 -> 1.5 -> 0.75 (losses f(3) = 4.5, f(1.5) = 1.125)
    // Sync after step 2: loss sums 0.625 and 5.625 over 2 steps each: the leader is A at 0.25.
    //   A = 0.5 * 0.25 + 0.5 * 0.25 = 0.25;  B = 0.5 * 0.75 + 0.5 * 0.25 = 0.5.
    // Step 3, now pulled toward the leader 0.25:
    //   A: 0.25 -> 0.125, 0.5 * 0.125 + 0.5 * 0.25 = 0.1875;  B: 0.5 -> 0.25, 0.5 * 0.25 + 0.5 * 0.25 = 0.25.
    XCTAssertEqual(ToySimulation(function: { ($0[0], $0) }, learningRate: 1, steps: 1).preSyncTarget, .none)
    let result = try lsgdRun(.none)
    XCTAssertEqual(result.trajectories[0].map { $0[0] }, [1, 0.5, 0.25, 0.25, 0.1875])
    XCTAssertEqual(result.trajectories[1].map { $0[0] }, [3, 1.5, 0.75, 0.5, 0.25])
    XCTAssertEqual(result.syncs, 1)
    XCTAssertEqual(result.center, [0.21875], "(0.1875 + 0.25) / 2")
  }

  func testLSGD_meanOfStartsPullsBeforeTheFirstSync() throws {
    // Target 2 (the mean of 1 and 3) until the first sync:
    //   step 1: A 1 -> 0.5, 0.5 * 0.5 + 0.5 * 2 = 1.25;      B 3 -> 1.5, 0.75 + 1 = 1.75
    //   step 2: A 1.25 -> 0.625, 0.3125 + 1 = 1.3125;        B 1.75 -> 0.875, 0.4375 + 1 = 1.4375
    // Losses A f(1) = 0.5, f(1.25) = 0.78125; B f(3) = 4.5, f(1.75) = 1.53125: the leader is A at 1.3125.
    //   A = 1.3125;  B = 0.5 * 1.4375 + 0.5 * 1.3125 = 1.375.
    // Step 3 toward the leader 1.3125:
    //   A: 1.3125 -> 0.65625, 0.328125 + 0.65625 = 0.984375;  B: 1.375 -> 0.6875, 0.34375 + 0.65625 = 1.
    let result = try lsgdRun(.meanOfStarts)
    XCTAssertEqual(result.trajectories[0].map { $0[0] }, [1, 1.25, 1.3125, 1.3125, 0.984375])
    XCTAssertEqual(result.trajectories[1].map { $0[0] }, [3, 1.75, 1.4375, 1.375, 1])
    XCTAssertEqual(result.center, [0.9921875], "(0.984375 + 1) / 2")
  }

  func testGRAWA_noPullBeforeTheFirstSync_byDefault() throws {
    // GRAWA, tau 2, c2 0.5, p2 1 (x <- 0.5 x + 0.5 target once there is one).
    // No target: A 1 -> 0.5 -> 0.25, B 3 -> 1.5 -> 0.75. Probe gradients 0.25 and 0.75: weights
    // (1/0.25) / (4 + 4/3) = 0.75 and 0.25; center = 0.75 * 0.25 + 0.25 * 0.75 = 0.375.
    //   A = 0.5 * 0.25 + 0.5 * 0.375 = 0.3125;  B = 0.5 * 0.75 + 0.5 * 0.375 = 0.5625.
    // With the mean of the starts (2) as the target, step 1 would already end at
    // 0.5 * 0.5 + 0.5 * 2 = 1.25 for A.
    let grawa = GRAWA(communicationPeriod: 2, pullStrength: 0.5, proximityStrength: 1)
    let result = try quadratic(steps: 2).run(grawa, from: [[1], [3]])
    XCTAssertEqual(result.trajectories[0].map { $0[0] }, [1, 0.5, 0.25, 0.3125])
    XCTAssertEqual(result.trajectories[1].map { $0[0] }, [3, 1.5, 0.75, 0.5625])
    XCTAssertEqual(result.weightedCenter, [0.375])
    var pulled = quadratic(steps: 2)
    pulled.preSyncTarget = .meanOfStarts
    XCTAssertEqual(try pulled.run(grawa, from: [[1], [3]]).trajectories[0][1], [1.25])
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

  func testVincentExperiment_setsEASGDsAndLSGDsPullSeparately() throws {
    // EASGD with beta 0: workers move beta/4 = 0 toward the master and the master moves 0 toward
    // their mean, so the reported center stays where the master started, the mean of the corners:
    // (0.25 + 10) / 2 = 5.125 in each coordinate.
    // LSGD with c2 1 and no proximity: at the first sync (after step 4) every worker jumps onto
    // the leader, so all four coincide there.
    var experiment = VincentExperiment()
    experiment.steps = 8
    experiment.easgdPull = 0
    experiment.lsgdPull = 1
    experiment.lsgdProximity = 0
    let outcomes = try experiment.run()
    XCTAssertEqual(outcomes[0].strategy, .easgd)
    XCTAssertEqual(outcomes[0].result.center, [5.125, 5.125])
    XCTAssertEqual(outcomes[1].strategy, .lsgd)
    let afterFirstSync = outcomes[1].result.trajectories.map { $0[5] }
    XCTAssertNotEqual(outcomes[1].result.trajectories[0][4], outcomes[1].result.trajectories[3][4])
    for point in afterFirstSync { XCTAssertEqual(point, afterFirstSync[0]) }
  }
}
