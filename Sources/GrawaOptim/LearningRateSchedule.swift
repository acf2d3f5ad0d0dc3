import Foundation

/// Where training stands when a learning rate is chosen: the position just before the step that
/// will use it.
public struct TrainingProgress: Sendable, Equatable {
  /// Epochs completed, fractional (steps done / steps per epoch); 0 before the first step.
  public var epoch: Double
  /// Steps completed; 0 before the first step.
  public var step: Int
  /// Wall-clock seconds since training started.
  public var elapsedSeconds: Double

  /// Progress at `epoch` fractional epochs, `step` completed steps and `elapsedSeconds`.
  public init(epoch: Double, step: Int, elapsedSeconds: Double) {
    self.epoch = epoch
    self.step = step
    self.elapsedSeconds = elapsedSeconds
  }
}

/// The quantity a schedule is a function of.
public enum ScheduleClock: String, Sendable, Codable, CaseIterable {
  /// Fractional epochs (``TrainingProgress/epoch``).
  case epochs
  /// Completed steps (``TrainingProgress/step``).
  case steps
  /// Wall-clock seconds (``TrainingProgress/elapsedSeconds``); the paper's time-limited runs drop
  /// ResNet-20's rate this way (docs/algorithms.md, "Hyperparameters the paper used").
  case seconds

  /// This clock's reading of `progress`.
  public func reading(_ progress: TrainingProgress) -> Double {
    switch self {
    case .epochs: progress.epoch
    case .steps: Double(progress.step)
    case .seconds: progress.elapsedSeconds
    }
  }
}

/// A learning rate as a function of training progress, relative to a base rate (the optimizer's
/// configured learning rate).
///
/// Schedules are plain values: they are `Sendable`, compare with `==`, encode as their command-line
/// text (so a run configuration shows `"step-seconds:0.1@500"`), and parse from it with
/// ``init(parsing:)``. The text syntax (numbers are decimal, clocks are `epochs`, `steps`,
/// `seconds`):
///
/// | text | schedule |
/// |---|---|
/// | `constant` | the base rate throughout |
/// | `step-epochs:0.1@100,150` | times 0.1 from epoch 100, times 0.01 from epoch 150 |
/// | `step-steps:0.5@1000` | times 0.5 from step 1000 |
/// | `step-seconds:0.1@500` | times 0.1 after 500 s (the paper's ResNet-20 schedule) |
/// | `cosine:200` | cosine from the base rate to 0 over 200 epochs (`cosine-epochs:200`) |
/// | `cosine:200,warmup=5,min=0.001` | 5 epochs of linear warm-up, then cosine down to 0.001 |
/// | `cosine-steps:10000,warmup=500` | the same over steps (`cosine-seconds:` over seconds) |
///
/// Call ``validate()`` on a schedule built in code; ``init(parsing:)`` does it already.
public enum LearningRateSchedule: Sendable, Equatable {
  /// The base rate at every step.
  case constant
  /// The base rate times `factor^k`, where k is the number of milestones the clock has reached
  /// (`reading >= milestone`), like PyTorch's `MultiStepLR` with `gamma = factor`.
  /// Milestones are non-negative and strictly increasing; `factor` is positive.
  case stepDecay(factor: Double, milestones: [Double], clock: ScheduleClock)
  /// Linear warm-up from 0 to the base rate over the first `warmup` clock units
  /// (`base * t / warmup`, so the very first step takes a zero-size update, as in Hugging Face's
  /// `get_cosine_schedule_with_warmup`), then cosine annealing from the base rate to `minimum`
  /// over the rest of `length` (`minimum + (base - minimum) * (1 + cos(pi * p)) / 2` with
  /// `p = (t - warmup) / (length - warmup)`), then `minimum`. `length` includes the warm-up.
  /// Requires `length > 0`, `0 <= warmup < length`, `minimum >= 0` (an absolute rate).
  case cosine(length: Double, clock: ScheduleClock, minimum: Double, warmup: Double)

  /// The paper's ResNet-20 schedule: times 0.1 once, at 500 s (docs/algorithms.md, "Hyperparameters the paper used").
  public static let paperResNet20 = LearningRateSchedule.stepDecay(
    factor: 0.1, milestones: [500], clock: .seconds)

  /// The learning rate for the step taken at `progress`, given the `base` rate.
  public func learningRate(base: Float, at progress: TrainingProgress) -> Float {
    let base = Double(base)
    switch self {
    case .constant:
      return Float(base)
    case .stepDecay(let factor, let milestones, let clock):
      let t = clock.reading(progress)
      let reached = milestones.reduce(0) { count, milestone in t >= milestone ? count + 1 : count }
      return Float(base * pow(factor, Double(reached)))
    case .cosine(let length, let clock, let minimum, let warmup):
      let t = max(0, clock.reading(progress))
      if warmup > 0 && t < warmup {
        return Float(base * t / warmup)
      }
      let fraction = min(1, (t - warmup) / (length - warmup))
      return Float(minimum + (base - minimum) * 0.5 * (1 + cos(Double.pi * fraction)))
    }
  }

  /// Checks the values the case documents as required.
  /// - Throws: ``OptimizerError`` naming the schedule (as text) and the bad value.
  public func validate() throws {
    if let problem = validationProblem() {
      throw OptimizerError("LearningRateSchedule", "'\(description)': \(problem)")
    }
  }

  /// What is wrong with this schedule's values, or `nil` when they are valid.
  func validationProblem() -> String? {
    switch self {
    case .constant:
      return nil
    case .stepDecay(let factor, let milestones, _):
      guard factor.isFinite, factor > 0 else {
        return "factor \(formatNumber(factor)) must be a positive number"
      }
      guard !milestones.isEmpty else { return "needs at least one milestone" }
      for (index, milestone) in milestones.enumerated() {
        guard milestone.isFinite, milestone >= 0 else {
          return "milestone \(formatNumber(milestone)) must be a non-negative number"
        }
        if index > 0 && milestone <= milestones[index - 1] {
          return "milestones must be strictly increasing (\(formatNumber(milestones[index - 1])) "
            + "then \(formatNumber(milestone)))"
        }
      }
      return nil
    case .cosine(let length, _, let minimum, let warmup):
      guard length.isFinite, length > 0 else {
        return "length \(formatNumber(length)) must be positive"
      }
      guard minimum.isFinite, minimum >= 0 else {
        return "minimum rate \(formatNumber(minimum)) must be >= 0"
      }
      guard warmup.isFinite, warmup >= 0, warmup < length else {
        return "warm-up \(formatNumber(warmup)) must be >= 0 and shorter than the length "
          + "\(formatNumber(length))"
      }
      return nil
    }
  }
}
