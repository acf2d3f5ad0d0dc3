import Foundation
import GrawaDistributed

/// Turns the first Ctrl-C (SIGINT), or a scheduler's SIGTERM, SIGHUP or SIGUSR1 (pre-emption),
/// into a clean stop at the next step boundary with a checkpoint; a second one exits at once.
final class InterruptHandler {
  /// The signals handled.
  static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGUSR1]
  /// The signals handled under `mpirun`, which forwards SIGUSR1 (and SIGUSR2) to every rank
  /// and ends every rank with SIGTERM when one fails (GrawaMPI reports that).
  static let mpiSignals: [Int32] = [SIGINT, SIGUSR1]
  private let handled: [Int32]
  private var sources: [DispatchSourceSignal] = []
  private let received = Received()

  init(control: RunControl, signals: [Int32] = InterruptHandler.signals) {
    handled = signals
    for number in signals {
      Foundation.signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      let received = self.received
      source.setEventHandler {
        if received.record(number) > 1 {
          printError("second signal (\(InterruptHandler.name(of: number))): exiting without a checkpoint")
          exit(128 + number)
        }
        let again = number == SIGINT ? "Ctrl-C" : "the same signal"
        printError(
          "\n\(InterruptHandler.name(of: number)): stopping after the current step and writing a checkpoint "
            + "(\(again) again to quit now)")
        control.interrupt()
      }
      source.resume()
      sources.append(source)
    }
  }

  /// The first signal received (SIGINT when none was).
  var signal: Int32 { received.first ?? SIGINT }

  func cancel() {
    for source in sources { source.cancel() }
    for number in handled { Foundation.signal(number, SIG_DFL) }
  }

  static func name(of number: Int32) -> String {
    switch number {
    case SIGINT: "interrupt"
    case SIGTERM: "SIGTERM"
    case SIGHUP: "SIGHUP"
    case SIGUSR1: "SIGUSR1"
    default: "signal \(number)"
    }
  }

  private final class Received: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var firstSignal: Int32?
    var first: Int32? {
      lock.lock()
      defer { lock.unlock() }
      return firstSignal
    }
    func record(_ number: Int32) -> Int {
      lock.lock()
      defer { lock.unlock() }
      count += 1
      if firstSignal == nil { firstSignal = number }
      return count
    }
  }
}
