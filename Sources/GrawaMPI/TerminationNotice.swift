#if MPI
  import Foundation

  /// A SIGTERM handler that says which rank is ending, and why that usually happens.
  ///
  /// When one rank dies (a crash, SIGKILL, a non-zero exit without `MPI_Finalize`), `mpirun`
  /// notices at once, prints "mpirun noticed that process rank R ... exited on signal S", and
  /// ends every other rank with SIGTERM (SIGKILL after a grace period). Without a handler those
  /// ranks vanish silently; with it, each prints one line naming itself and exits with 143
  /// (128 + SIGTERM), so a log of any rank tells what happened.
  enum TerminationNotice {
    // Written once, before the handler is installed; read only by the handler. A signal handler
    // may only call async-signal-safe functions, so the text is prepared here, not there.
    nonisolated(unsafe) private static var message: UnsafeMutableBufferPointer<UInt8>?

    /// Installs the handler for this process.
    static func install(rank: Int, size: Int, processorName: String) {
      let text =
        "grawa-mpi: rank \(rank) of \(size) on \(processorName): received SIGTERM (mpirun ends"
        + " every rank when one fails or the job is cancelled); exiting with 143\n"
      let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: text.utf8.count)
      _ = buffer.initialize(from: text.utf8)
      message = buffer
      signal(SIGTERM) { _ in
        if let message = TerminationNotice.message {
          _ = write(STDERR_FILENO, message.baseAddress, message.count)
        }
        _exit(143)
      }
    }
  }
#endif
