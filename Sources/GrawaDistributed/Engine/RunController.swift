import Foundation
import Synchronization

/// Why a run stopped.
public enum StopReason: String, Sendable, Codable {
  /// The epoch budget was reached.
  case epochs
  /// The step budget was reached.
  case steps
  /// The wall-clock training budget was reached.
  case minutes
  /// The user interrupted the run (SIGINT); a checkpoint was written.
  case interrupted
}

/// What every worker does at one step boundary; the same for all workers.
struct BoundaryDecision: Sendable, Equatable {
  /// Pause for an evaluation of the center.
  var evaluate: Bool
  /// Pause for a checkpoint.
  var checkpoint: Bool
  /// Stop here (after a final evaluation and checkpoint).
  var stop: StopReason?
  /// Training seconds when the decision was made (the learning-rate schedule's clock for the
  /// next round, identical for every worker).
  var trainingSeconds: Double

  /// Whether the workers must hand over snapshots here.
  var pauses: Bool { evaluate || checkpoint || stop != nil }
}

/// The run's budget and cadence, in local steps per worker and training seconds.
struct RunBudget: Sendable {
  /// Stop once this many local steps are done, if set.
  var maxSteps: Int?
  /// Which budget `maxSteps` comes from.
  var stepsReason: StopReason
  /// Stop once this many training seconds have passed, if set.
  var maxSeconds: Double?
  /// Evaluate whenever a multiple of this many steps is crossed.
  var evaluationSteps: Int
  /// Checkpoint every this many training seconds, if set (and, for a new run, before the first
  /// step).
  var checkpointSeconds: Double?
}

/// What the run's main thread is told.
enum RunEvent: Sendable {
  /// Every worker paused at `boundary` and handed over its snapshot.
  case paused(boundary: Int, decision: BoundaryDecision, snapshots: [WorkerSnapshot])
  /// A worker failed; the others are stopping.
  case failed(any Error)
  /// Nothing happened for a while: the workers' latest progress.
  case tick(RunTick)
}

/// The workers' progress between evaluations, for progress lines.
struct RunTick: Sendable {
  /// Local steps of the slowest worker.
  var steps: Int
  /// Mean loss of the training windows of all workers.
  var trainLoss: Double
  /// Error of the training windows of all workers.
  var trainError: Double
  /// Training seconds so far.
  var trainingSeconds: Double
}

/// Coordinates the workers and the main thread at step boundaries: makes one decision per
/// boundary (evaluate, checkpoint, stop), collects the workers' snapshots when they pause, and
/// stops everyone when one fails. The decision for a boundary is made by the first worker to
/// reach it and read by the others, so all workers act alike even though they run freely.
final class RunController: @unchecked Sendable {
  private let condition = NSCondition()
  /// Held while a boundary's decision is made and agreed (see ``agreement``).
  private let deciding = NSLock()
  private let workerCount: Int
  /// The global index of this process's first worker (0 in a one-process run).
  private let firstWorker: Int
  /// In a multi-process run: turns this process's proposal for a boundary into the decision
  /// every process takes (an all-reduce); called by the first local worker to reach it.
  private let agreement: (@Sendable (BoundaryDecision) throws -> BoundaryDecision)?
  private let budget: RunBudget
  private let resumedBoundary: Int?
  private var decisions: [Int: (decision: BoundaryDecision, readers: Int)] = [:]
  private var deposits: [Int: (decision: BoundaryDecision, slots: [WorkerSnapshot?])] = [:]
  private var resumedThrough = -1
  private var progress: [(steps: Int, lossSum: Double, wrong: Int, count: Int)]
  private var failure: (any Error)?
  private let failed = Atomic<Bool>(false)
  private let interruptRequested = Atomic<Bool>(false)
  private var lastCheckpointSeconds: Double
  // Clock: training seconds = earlier runs' seconds + wall time since start - paused time.
  private let startedAt = Date()
  private let earlierSeconds: Double
  private var pausedSeconds: Double = 0
  private var pauseStartedAt: Date?

  /// A controller for `workerCount` workers; `earlierSeconds` of training were done before a
  /// resume.
  /// - Parameter resumedBoundary: the boundary a resumed run starts at; its evaluation and
  ///   checkpoint already happened before the run was stopped, so they are not repeated.
  /// - Parameters:
  ///   - firstWorker: the global index of the first of this process's `workerCount` workers.
  ///   - agreement: makes a boundary's decision the same on every process (multi-process runs).
  init(
    workerCount: Int, budget: RunBudget, earlierSeconds: Double = 0, resumedBoundary: Int? = nil,
    firstWorker: Int = 0, agreement: (@Sendable (BoundaryDecision) throws -> BoundaryDecision)? = nil
  ) {
    self.workerCount = workerCount
    self.firstWorker = firstWorker
    self.agreement = agreement
    self.resumedBoundary = resumedBoundary
    self.budget = budget
    self.earlierSeconds = earlierSeconds
    self.lastCheckpointSeconds = earlierSeconds
    self.progress = Array(repeating: (0, 0, 0, 0), count: workerCount)
  }

  /// Records a worker's progress after a step (read by progress lines).
  func record(worker: Int, steps: Int, lossSum: Double, wrong: Int, count: Int) {
    condition.lock()
    defer { condition.unlock() }
    progress[worker - firstWorker] = (steps, lossSum, wrong, count)
  }

  /// Training seconds so far (time paused for evaluations and checkpoints excluded).
  var trainingSeconds: Double {
    condition.lock()
    defer { condition.unlock() }
    return trainingSecondsLocked()
  }

  private func trainingSecondsLocked() -> Double {
    let now = Date()
    let paused = pausedSeconds + (pauseStartedAt.map { now.timeIntervalSince($0) } ?? 0)
    return earlierSeconds + now.timeIntervalSince(startedAt) - paused
  }

  /// Whether a worker failed (checked by workers between steps).
  var hasFailed: Bool { failed.load(ordering: .acquiring) }

  /// Asks the run to stop at the next boundary with a checkpoint (SIGINT).
  func interrupt() {
    interruptRequested.store(true, ordering: .releasing)
  }

  /// The decision for `boundary` (rounds completed), made by the first worker to ask.
  /// - Throws: the run's failure, if a worker failed.
  func decision(at boundary: Int) throws -> BoundaryDecision {
    guard let agreement else {
      condition.lock()
      defer { condition.unlock() }
      if let failure { throw failure }
      if let cached = cachedDecision(at: boundary) { return cached }
      return store(decide(boundary), at: boundary)
    }
    // The agreement is a collective that waits for the other processes: made outside the
    // condition's lock (the main thread and the other local workers keep going), while
    // `deciding` keeps the local workers from proposing twice.
    deciding.lock()
    defer { deciding.unlock() }
    condition.lock()
    if let failure {
      condition.unlock()
      throw failure
    }
    if let cached = cachedDecision(at: boundary) {
      condition.unlock()
      return cached
    }
    let proposal = decide(boundary)
    condition.unlock()
    let agreed = try agreement(proposal)
    condition.lock()
    defer { condition.unlock() }
    return store(agreed, at: boundary)
  }

  /// The decision already made for `boundary`, counted as read once more.
  private func cachedDecision(at boundary: Int) -> BoundaryDecision? {
    guard var entry = decisions[boundary] else { return nil }
    entry.readers += 1
    decisions[boundary] = entry.readers == workerCount ? nil : entry
    return entry.decision
  }

  /// Takes `decision` for `boundary`: restarts the checkpoint interval if it checkpoints, and
  /// keeps it for the other local workers.
  private func store(_ decision: BoundaryDecision, at boundary: Int) -> BoundaryDecision {
    if decision.checkpoint { lastCheckpointSeconds = decision.trainingSeconds }
    if workerCount > 1 { decisions[boundary] = (decision, 1) }
    return decision
  }

  private func decide(_ boundary: Int) -> BoundaryDecision {
    let seconds = trainingSecondsLocked()
    let steps = boundary
    var stop: StopReason?
    if let maxSteps = budget.maxSteps, steps >= maxSteps {
      stop = budget.stepsReason
    } else if let maxSeconds = budget.maxSeconds, seconds >= maxSeconds {
      stop = .minutes
    } else if interruptRequested.load(ordering: .acquiring) {
      stop = .interrupted
    }
    let previous = max(0, steps - 1)
    let repeated = boundary == resumedBoundary
    let evaluate =
      !repeated && boundary > 0 && steps / budget.evaluationSteps > previous / budget.evaluationSteps
    var checkpoint = false
    if !repeated, let interval = budget.checkpointSeconds, seconds - lastCheckpointSeconds >= interval {
      checkpoint = true
    }
    // A new run with periodic checkpoints writes one before its first step: killed before its
    // first interval, it is still resumable.
    if !repeated, boundary == 0, budget.checkpointSeconds != nil { checkpoint = true }
    return BoundaryDecision(evaluate: evaluate, checkpoint: checkpoint, stop: stop, trainingSeconds: seconds)
  }

  /// Hands over a worker's snapshot at a pausing boundary. Unless the decision stops the run,
  /// blocks until the main thread resumes the run.
  /// - Throws: the run's failure, if a worker failed meanwhile.
  func deposit(_ snapshot: WorkerSnapshot, at boundary: Int, decision: BoundaryDecision) throws {
    condition.lock()
    defer { condition.unlock() }
    if let failure { throw failure }
    var entry = deposits[boundary] ?? (decision, Array(repeating: nil, count: workerCount))
    entry.slots[snapshot.worker - firstWorker] = snapshot
    deposits[boundary] = entry
    condition.broadcast()
    guard decision.stop == nil else { return }
    while resumedThrough < boundary && failure == nil {
      condition.wait()
    }
    if let failure { throw failure }
  }

  /// Blocks the main thread until every worker has paused at the next pausing boundary, a
  /// worker failed, or `timeout` seconds passed (then it reports progress). The training clock stops while the main thread handles the pause.
  func nextEvent(timeout: Double) -> RunEvent {
    condition.lock()
    defer { condition.unlock() }
    let deadline = Date(timeIntervalSinceNow: timeout)
    while true {
      if let failure { return .failed(failure) }
      if let (boundary, entry) = deposits.min(by: { $0.key < $1.key }),
        entry.slots.allSatisfy({ $0 != nil })
      {
        deposits[boundary] = nil
        pauseStartedAt = Date()
        return .paused(boundary: boundary, decision: entry.decision, snapshots: entry.slots.compactMap { $0 })
      }
      if !condition.wait(until: deadline) {
        let count = progress.reduce(0) { $0 + $1.count }
        let tick = RunTick(
          steps: progress.map(\.steps).min() ?? 0,
          trainLoss: count > 0 ? progress.reduce(0) { $0 + $1.lossSum } / Double(count) : .nan,
          trainError: count > 0 ? Double(progress.reduce(0) { $0 + $1.wrong }) / Double(count) : .nan,
          trainingSeconds: trainingSecondsLocked())
        return .tick(tick)
      }
    }
  }

  /// Lets the workers paused at `boundary` continue; restarts the training clock.
  func resume(after boundary: Int) {
    condition.lock()
    defer { condition.unlock() }
    if let started = pauseStartedAt {
      pausedSeconds += Date().timeIntervalSince(started)
      pauseStartedAt = nil
    }
    resumedThrough = max(resumedThrough, boundary)
    condition.broadcast()
  }

  /// Stops the run because of `error` (the first failure wins): wakes every waiting worker and
  /// the main thread.
  func fail(_ error: any Error) {
    condition.lock()
    defer { condition.unlock() }
    if failure == nil {
      failure = error
      failed.store(true, ordering: .releasing)
    }
    condition.broadcast()
  }
}
