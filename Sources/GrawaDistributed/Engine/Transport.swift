import Dispatch
import Foundation

/// How workers reach the center: the one seam between the training engine and the network.
///
/// A sync is a gather of every worker's ``Contribution`` to the center, the strategy's center rule
/// there (``SyncDriver/center(_:state:layout:)``), and the same outcome back to every worker.
/// ``InProcessTransport`` does it between threads through a ``CenterModel`` actor; a
/// multi-process backend implements this protocol without touching any strategy (the rule's
/// ``VectorCombination`` says how to combine the vectors with a collective).
public protocol Transport<Strategy>: Sendable {
  /// The strategy whose messages the transport carries.
  associatedtype Strategy: DistributedStrategy
  /// The number of workers.
  var workerCount: Int { get }
  /// Sends `contribution` for the worker's sync number `round` and blocks the calling thread
  /// until the outcome is back. Must not be called from async code.
  /// - Throws: the error the run was aborted with, or the strategy's error.
  func exchange(_ contribution: Contribution<Strategy.Report>, round: Int) throws -> SyncReply<Strategy.Outcome>
  /// Aborts the run: every blocked and later ``exchange(_:round:)`` throws `error`.
  func abort(_ error: any Error)
}

/// The center's answer to one worker's contribution.
public struct SyncReply<Outcome: Sendable>: Sendable {
  /// The strategy's outcome, the same for every worker of a synchronous sync.
  public var outcome: Outcome
  /// Seconds the center took to form the outcome (distributed work, not waiting).
  public var centerSeconds: Double

  /// A reply from its parts.
  public init(outcome: Outcome, centerSeconds: Double) {
    self.outcome = outcome
    self.centerSeconds = centerSeconds
  }
}

/// Workers as threads of one process, meeting at a ``CenterModel`` actor.
///
/// A worker thread blocks on the actor through a semaphore-wrapped `Task` (worker threads are
/// Dispatch threads, never the cooperative pool, so this cannot starve the actor).
public final class InProcessTransport<Strategy: DistributedStrategy>: Transport {
  /// The center actor.
  public let center: CenterModel<Strategy>

  /// A transport to `center`.
  public init(center: CenterModel<Strategy>) {
    self.center = center
  }

  /// The center's worker count.
  public var workerCount: Int { center.workerCount }

  /// Submits to the actor and waits.
  public func exchange(
    _ contribution: Contribution<Strategy.Report>, round: Int
  ) throws -> SyncReply<Strategy.Outcome> {
    let result = BlockingResult<SyncReply<Strategy.Outcome>>()
    let center = self.center
    Task {
      do {
        result.set(.success(try await center.submit(contribution, round: round)))
      } catch {
        result.set(.failure(error))
      }
    }
    return try result.wait().get()
  }

  /// Aborts the actor.
  public func abort(_ error: any Error) {
    let center = self.center
    let done = DispatchSemaphore(value: 0)
    let box = UncheckedErrorBox(error)
    Task {
      await center.abort(box.error)
      done.signal()
    }
    done.wait()
  }

  /// Runs `body` on the actor and blocks the calling (non-async) thread for its result.
  public func onCenter<T: Sendable>(_ body: @escaping @Sendable (isolated CenterModel<Strategy>) -> T) -> T {
    let result = BlockingResult<T>()
    let center = self.center
    Task {
      let value = await body(center)
      result.set(.success(value))
    }
    // The closure cannot throw, so the result is always a success.
    switch result.wait() {
    case .success(let value): return value
    case .failure: preconditionFailure("onCenter: a non-throwing body failed")
    }
  }
}

/// A result handed from a `Task` to a thread waiting on a semaphore.
final class BlockingResult<T: Sendable>: @unchecked Sendable {
  private let semaphore = DispatchSemaphore(value: 0)
  private var result: Result<T, any Error>?

  func set(_ value: Result<T, any Error>) {
    result = value
    semaphore.signal()
  }

  func wait() -> Result<T, any Error> {
    semaphore.wait()
    return result!
  }
}

/// Carries an error value across a `Task` boundary.
struct UncheckedErrorBox: @unchecked Sendable {
  let error: any Error
  init(_ error: any Error) { self.error = error }
}
