import GrawaNN
import GrawaOptim
import GrawaTensor
import XCTest

/// Learning-rate schedules evaluated at chosen points (base rate 0.1 throughout).
final class LearningRateScheduleTests: XCTestCase {
  private func rate(
    _ schedule: LearningRateSchedule, epoch: Double = 0, step: Int = 0, seconds: Double = 0
  ) -> Float {
    schedule.learningRate(
      base: 0.1, at: TrainingProgress(epoch: epoch, step: step, elapsedSeconds: seconds))
  }

  func testConstant_isTheBaseRateEverywhere() {
    XCTAssertEqual(rate(.constant), 0.1)
    XCTAssertEqual(rate(.constant, epoch: 1e6, step: 1 << 40, seconds: 1e9), 0.1)
  }

  func testStepDecayOverEpochs_dropsAtEachMilestone() {
    // 0.1 before epoch 100, 0.1 * 0.1 = 0.01 from 100 (inclusive), 0.1 * 0.01 = 0.001 from 150.
    let schedule = LearningRateSchedule.stepDecay(
      factor: 0.1, milestones: [100, 150], clock: .epochs)
    XCTAssertEqual(rate(schedule, epoch: 0), 0.1)
    XCTAssertEqual(
      rate(schedule, epoch: 99.99, step: 1_000_000, seconds: 1e6), 0.1, "only epochs count")
    XCTAssertEqual(rate(schedule, epoch: 100), 0.01, accuracy: 1e-9)
    XCTAssertEqual(rate(schedule, epoch: 149.5), 0.01, accuracy: 1e-9)
    XCTAssertEqual(rate(schedule, epoch: 150), 0.001, accuracy: 1e-10)
    XCTAssertEqual(rate(schedule, epoch: 400), 0.001, accuracy: 1e-10)
  }

  func testStepDecayOverSeconds_isThePaperResNet20Schedule() {
    // ResNet-20's rate drops x0.1 once, at 500 s of wall-clock time (docs/algorithms.md, "Hyperparameters the paper used").
    let schedule = LearningRateSchedule.paperResNet20
    XCTAssertEqual(schedule, .stepDecay(factor: 0.1, milestones: [500], clock: .seconds))
    XCTAssertEqual(rate(schedule, epoch: 300, seconds: 499.9), 0.1)
    XCTAssertEqual(rate(schedule, seconds: 500), 0.01, accuracy: 1e-9)
    XCTAssertEqual(rate(schedule, seconds: 900), 0.01, accuracy: 1e-9)
  }

  func testStepDecayOverSteps_countsCompletedSteps() {
    let schedule = LearningRateSchedule.stepDecay(factor: 0.5, milestones: [10], clock: .steps)
    XCTAssertEqual(rate(schedule, step: 9), 0.1)
    XCTAssertEqual(rate(schedule, step: 10), 0.05)
  }

  func testCosine_fallsFromBaseToZeroOverTheLength() {
    // 0.1 * (1 + cos(pi * t / 200)) / 2: t = 0 -> 0.1; t = 50 -> 0.05 * (1 + 0.70710678) =
    // 0.085355339; t = 100 -> 0.05; t = 200 and after -> 0.
    let schedule = LearningRateSchedule.cosine(length: 200, clock: .epochs, minimum: 0, warmup: 0)
    XCTAssertEqual(rate(schedule, epoch: 0), 0.1, accuracy: 1e-9)
    XCTAssertEqual(rate(schedule, epoch: 50), 0.085355339, accuracy: 1e-8)
    XCTAssertEqual(rate(schedule, epoch: 100), 0.05, accuracy: 1e-8)
    XCTAssertEqual(rate(schedule, epoch: 200), 0, accuracy: 1e-9)
    XCTAssertEqual(rate(schedule, epoch: 250), 0, accuracy: 1e-9)
  }

  func testCosineWithWarmupAndMinimum_rampsThenAnneals() {
    // warmup 5, length 200, min 0.001. Warm-up: 0.1 * t / 5 (t = 0 -> 0, t = 2.5 -> 0.05).
    // Then p = (t - 5) / 195: t = 5 -> 0.1; t = 53.75 (p = 0.25) ->
    // 0.001 + 0.099 * (1 + 0.70710678) / 2 = 0.085501786; t = 102.5 (p = 0.5) -> 0.0505;
    // t = 200 -> 0.001.
    let schedule = LearningRateSchedule.cosine(
      length: 200, clock: .epochs, minimum: 0.001, warmup: 5)
    XCTAssertEqual(rate(schedule, epoch: 0), 0)
    XCTAssertEqual(rate(schedule, epoch: 2.5), 0.05, accuracy: 1e-9)
    XCTAssertEqual(rate(schedule, epoch: 5), 0.1, accuracy: 1e-9)
    XCTAssertEqual(rate(schedule, epoch: 53.75), 0.085501786, accuracy: 1e-8)
    XCTAssertEqual(rate(schedule, epoch: 102.5), 0.0505, accuracy: 1e-8)
    XCTAssertEqual(rate(schedule, epoch: 200), 0.001, accuracy: 1e-9)
    XCTAssertEqual(rate(schedule, epoch: 1000), 0.001, accuracy: 1e-9)
  }

  func testCosineOverSteps_usesTheStepCount() {
    // length 1000 steps with 100 warm-up steps: step 50 -> 0.05; step 550 (p = 0.5) -> 0.05.
    let schedule = LearningRateSchedule.cosine(length: 1000, clock: .steps, minimum: 0, warmup: 100)
    XCTAssertEqual(rate(schedule, epoch: 99, step: 50), 0.05, accuracy: 1e-9)
    XCTAssertEqual(rate(schedule, step: 550), 0.05, accuracy: 1e-8)
    XCTAssertEqual(rate(schedule, step: 1000), 0, accuracy: 1e-9)
  }

  func testSchedule_drivesAnOptimizersLearningRate() throws {
    let sgd = try SGD(parameters: [Parameter(Tensor([1]))], learningRate: 0.1)
    let base = sgd.learningRate
    let schedule = LearningRateSchedule.paperResNet20
    sgd.learningRate = schedule.learningRate(
      base: base, at: TrainingProgress(epoch: 40, step: 8000, elapsedSeconds: 612))
    XCTAssertEqual(sgd.learningRate, 0.01, accuracy: 1e-9)
  }

  func testValidate_rejectsSchedulesBuiltWithBadValues() {
    let cases: [(LearningRateSchedule, String)] = [
      (
        .stepDecay(factor: 0, milestones: [1], clock: .epochs),
        "LearningRateSchedule: 'step-epochs:0@1': factor 0 must be a positive number"
      ),
      (
        .stepDecay(factor: 0.1, milestones: [], clock: .steps),
        "LearningRateSchedule: 'step-steps:0.1@': needs at least one milestone"
      ),
      (
        .stepDecay(factor: 0.1, milestones: [-1], clock: .seconds),
        "LearningRateSchedule: 'step-seconds:0.1@-1': milestone -1 must be a non-negative number"
      ),
      (
        .cosine(length: 10, clock: .epochs, minimum: 0, warmup: 12),
        "LearningRateSchedule: 'cosine:10,warmup=12': "
          + "warm-up 12 must be >= 0 and shorter than the length 10"
      ),
    ]
    for (schedule, message) in cases {
      XCTAssertThrowsError(try schedule.validate()) { error in
        XCTAssertEqual((error as? OptimizerError)?.description, message)
      }
    }
    XCTAssertNoThrow(try LearningRateSchedule.paperResNet20.validate())
  }
}
