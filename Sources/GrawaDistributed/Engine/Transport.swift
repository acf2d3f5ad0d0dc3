import Dispatch
import Foundation

/// How workers reach the center: the one seam between the training engine and the network.
///
/// A sync is a gather of every worker's flat ``Contribution`` to the center, one call of the
/// strategy's rule there, and a broadcast of the ``SyncOutcome`` back (for the data-parallel
/// strategies that is an all-reduce of gradients). ``InProcessTransport`` does it between threads
/// through a ``CenterModel`` actor; a multi-process backend (MPI: gather to rank 0, run the same
/// ``CenterModel`` there, broadcast) implements this protocol without touching any strategy.
public protocol Transport: Sendable {
  /// The number of workers.
  var workerCount: Int { get }
  /// Sends `contribution` for the worker's sync number `round` and blocks the calling thread
  /// until the outcome is back. Must not be called from async code.
  /// - Throws: the error the run was aborted with, or the strategy's error.
  func exchange(_ contribution: Contribution, round: Int) throws -> SyncOutcome
  /// Aborts the run: every blocked and later ``exchange(_:round:)`` throws `error`.
  func abort(_ error: any Error)
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
  public func exchange(_ contribution: Contribution, round: Int) throws -> SyncOutcome {
    let result = BlockingResult<SyncOutcome>()
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
