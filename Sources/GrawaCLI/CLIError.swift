/// An error the command line reports to the user, with the exit code it maps to.
public enum CLIError: Error, CustomStringConvertible, Equatable {
  /// Bad flags or values (exit code 2, like swift-argument-parser and argparse).
  case usage(String)
  /// The command ran and failed (exit code 1).
  case failure(String)
  /// The user interrupted the run; it stopped cleanly after writing a checkpoint (exit code 130,
  /// the shell's code for SIGINT).
  case interrupted
  /// A scheduler asked the run to stop (SIGTERM, SIGHUP or SIGUSR1: pre-emption); it stopped
  /// cleanly after writing a checkpoint. Exit code 75 (`EX_TEMPFAIL`: try again), distinct from
  /// every failure, so a job script can requeue on it and resume with `--resume`.
  case preempted(signal: Int32)

  /// Whether this is a clean stop asked for by a signal (nothing to report as an error).
  public var isInterruption: Bool {
    switch self {
    case .interrupted, .preempted: true
    default: false
    }
  }

  /// The process exit code for this error.
  public var exitCode: Int32 {
    switch self {
    case .usage: 2
    case .failure: 1
    case .interrupted: 130
    case .preempted: 75
    }
  }

  /// The message shown on standard error.
  public var description: String {
    switch self {
    case .usage(let message): message
    case .failure(let message): message
    case .interrupted: "interrupted"
    case .preempted(let signal): "stopped by signal \(signal)"
    }
  }
}
