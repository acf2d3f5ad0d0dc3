#if MPI
  import CMPI
  import Foundation
  import Synchronization

  /// This process's place in an MPI job (`MPI_COMM_WORLD`), with every MPI call made on one
  /// dedicated communication thread.
  ///
  /// Create one per process, early, and call `finalize()` before exiting. Every method is
  /// synchronous and may be called from any ordinary thread (worker threads, the main thread):
  /// the call is queued for the communication thread and the caller blocks on a semaphore until
  /// it has run. Never call these methods from Swift concurrency's cooperative pool (from
  /// `async` code): a blocked caller would hold one of its few threads.
  ///
  /// Collectives run in the order they were queued. MPI matches collectives by their order on
  /// each rank, so every rank must queue the same collectives in the same order; when several
  /// threads of one rank communicate, the caller must fix that order (for example by letting
  /// one thread per rank make all collective calls).
  ///
  /// Failures:
  /// - An MPI call that returns an error (`MPI_ERRORS_RETURN` is set on `MPI_COMM_WORLD`)
  ///   throws `MPIError`, with Open MPI's text for the code.
  /// - An operation that has not completed within `operationTimeout` ends the process: this
  ///   rank prints which operation it was waiting in and calls `MPI_Abort`, which makes the
  ///   launcher (`mpirun`, `srun`) end every rank. A peer that hangs therefore ends the run.
  /// - A peer that dies (crash, SIGKILL) is noticed by `mpirun` itself, which ends every other
  ///   rank and names the dead one; see README.md, "Clusters (MPI)".
  public final class MPIWorld: Sendable {
    /// This process's rank in `MPI_COMM_WORLD`, from 0 to `size - 1`.
    public let rank: Int
    /// The number of ranks in `MPI_COMM_WORLD`.
    public let size: Int
    /// The name MPI gives this rank's host (`MPI_Get_processor_name`).
    public let processorName: String
    /// The thread-support level that was asked for, and granted.
    public let threadLevel: MPIThreadLevel

    /// The exit code of a process ended by an operation timeout (as coreutils `timeout` uses).
    public static let timeoutExitCode: Int32 = 124

    private let thread: CommunicationThread
    private let settings: Mutex<Settings>

    private struct Settings {
      var operationTimeout: Duration
      var isFinalized = false
    }

    // MPI can be initialised once per process, and never again after MPI_Finalize.
    private static let initialisationClaimed = Atomic<Bool>(false)

    /// Initialises MPI with `MPI_Init_thread` on a new communication thread.
    ///
    /// - Parameters:
    ///   - threadLevel: the thread support to ask for; initialisation fails if MPI grants less.
    ///   - operationTimeout: how long any one operation (initialisation included) may take
    ///     before this process ends every rank; see the type's discussion.
    ///   - reportsTermination: install a SIGTERM handler that prints this rank's name before
    ///     exiting with 143 (`mpirun` sends SIGTERM to every rank when one dies). Pass `false`
    ///     if the program handles SIGTERM itself.
    /// - Throws: `MPIError` if MPI was already initialised in this process, if
    ///   `MPI_Init_thread` fails, or if the granted thread level is too low.
    public init(
      threadLevel: MPIThreadLevel = .funneled, operationTimeout: Duration = .seconds(300),
      reportsTermination: Bool = true
    ) throws {
      let claimed = MPIWorld.initialisationClaimed.compareExchange(
        expected: false, desired: true, ordering: .sequentiallyConsistent)
      guard claimed.exchanged else {
        throw MPIError(
          operation: "MPI_Init_thread", message: "MPI is initialised once per process", rank: nil)
      }
      let thread = CommunicationThread(name: "grawa-mpi")
      let startup = UncheckedBox<Result<Startup, any Error>>(.failure(CancellationError()))
      let ran = thread.run(before: .now() + MPIWorld.dispatchInterval(operationTimeout)) {
        startup.value = Result { try MPIWorld.start(threadLevel: threadLevel) }
      }
      guard ran else {
        // Before MPI_Init_thread returns there is no communicator to abort.
        MPIWorld.writeToStandardError(
          "grawa-mpi: MPI_Init_thread did not complete within \(operationTimeout); exiting\n")
        exit(MPIWorld.timeoutExitCode)
      }
      let started: Startup
      do {
        started = try startup.value.get()
      } catch {
        thread.stopAfterPendingJobs()
        throw error
      }
      if reportsTermination {
        TerminationNotice.install(
          rank: started.rank, size: started.size, processorName: started.processorName)
      }
      self.rank = started.rank
      self.size = started.size
      self.processorName = started.processorName
      self.threadLevel = threadLevel
      self.thread = thread
      self.settings = Mutex(Settings(operationTimeout: operationTimeout))
    }

    /// How long one operation may take before this process ends every rank. Settable at any
    /// time; an operation already waiting keeps the timeout it started with.
    public var operationTimeout: Duration {
      get { settings.withLock { $0.operationTimeout } }
      set { settings.withLock { $0.operationTimeout = newValue } }
    }

    /// Whether `finalize()` has run; every operation after it throws.
    public var isFinalized: Bool {
      settings.withLock { $0.isFinalized }
    }

    /// Ends MPI (`MPI_Finalize`) and the communication thread.
    ///
    /// Like every MPI collective, all ranks must call it. Calling it twice is harmless.
    /// - Throws: `MPIError` if `MPI_Finalize` fails.
    public func finalize() throws {
      let wasFinalized = settings.withLock { state in
        let was = state.isFinalized
        state.isFinalized = true
        return was
      }
      if wasFinalized {
        return
      }
      let rank = self.rank
      defer { thread.stopAfterPendingJobs() }
      try performUnchecked("MPI_Finalize", byteCount: 0) {
        try MPIWorld.check(MPI_Finalize(), "MPI_Finalize", rank: rank)
      }
    }

    /// Ends every rank now: prints `message` (prefixed with this rank) to standard error and
    /// calls `MPI_Abort` with `exitCode`.
    ///
    /// This is the one MPI call made off the communication thread: it must work while that
    /// thread is stuck inside a collective, which `MPI_THREAD_FUNNELED` does not strictly allow.
    /// Open MPI 4.1's abort asks the launcher to end every rank and does not wait for the stuck
    /// call (tested: the stalled-rank test ends in seconds with exit code `exitCode`); should it
    /// ever block, this process ends itself 10 s later.
    public func abortEveryRank(_ message: String, exitCode: Int32) -> Never {
      MPIWorld.writeToStandardError(
        "grawa-mpi: rank \(rank) of \(size) on \(processorName): \(message)\n")
      // If MPI_Abort itself cannot get through (a launcher that is gone), end this process
      // anyway after a grace period rather than hang.
      Thread.detachNewThread {
        Thread.sleep(forTimeInterval: 10)
        _exit(exitCode)
      }
      MPI_Abort(cmpi_comm_world(), exitCode)
      _exit(exitCode)
    }

    // MARK: - Running operations on the communication thread

    /// Runs `body` on the communication thread and returns its result or rethrows its error.
    ///
    /// If it has not completed within `operationTimeout`, this rank ends every rank through
    /// `abortEveryRank` and this function never returns: that is what makes it safe for `body`
    /// to use pointers that are only valid during this call.
    /// - Parameters:
    ///   - operation: the MPI function name for messages, e.g. `"MPI_Allreduce"`.
    ///   - byteCount: this rank's payload size, for messages.
    func perform<Value>(
      _ operation: String, byteCount: Int, _ body: () throws -> Value
    ) throws -> Value {
      guard !isFinalized else {
        throw MPIError(operation: operation, message: "MPI has been finalized", rank: rank)
      }
      return try performUnchecked(operation, byteCount: byteCount, body)
    }

    private func performUnchecked<Value>(
      _ operation: String, byteCount: Int, _ body: () throws -> Value
    ) throws -> Value {
      let timeout = operationTimeout
      let outcome = UncheckedBox<Result<Value, any Error>?>(nil)
      withoutActuallyEscaping(body) { escapableBody in
        let ran = thread.run(before: .now() + MPIWorld.dispatchInterval(timeout)) {
          MPIWorld.assertOnInitialisingThread(operation)
          outcome.value = Result { try escapableBody() }
        }
        // The abort happens in here, while the closure may still be queued or running: this
        // call never returns, so the closure's pointers never outlive their owners.
        if !ran {
          abortEveryRank(
            "\(operation) (\(byteCount) bytes from this rank) did not complete within \(timeout);"
              + " calling MPI_Abort to end every rank",
            exitCode: MPIWorld.timeoutExitCode)
        }
      }
      guard let result = outcome.value else {
        preconditionFailure("\(operation) completed without a result")
      }
      return try result.get()
    }

    // MARK: - Helpers

    /// What the communication thread learns while initialising MPI.
    private struct Startup {
      var rank: Int
      var size: Int
      var processorName: String
    }

    /// Runs on the communication thread: initialises MPI and reads this rank's place.
    private static func start(threadLevel: MPIThreadLevel) throws -> Startup {
      var provided: Int32 = 0
      try check(
        MPI_Init_thread(nil, nil, threadLevel.constant, &provided), "MPI_Init_thread", rank: nil)
      let world = cmpi_comm_world()
      // Errors become return codes (and so Swift errors) instead of ending the job.
      try check(
        MPI_Comm_set_errhandler(world, cmpi_errors_return()), "MPI_Comm_set_errhandler", rank: nil)
      var rank: Int32 = 0
      var size: Int32 = 0
      try check(MPI_Comm_rank(world, &rank), "MPI_Comm_rank", rank: nil)
      try check(MPI_Comm_size(world, &size), "MPI_Comm_size", rank: Int(rank))
      guard provided >= threadLevel.constant else {
        MPI_Finalize()
        throw MPIError(
          operation: "MPI_Init_thread",
          message: "asked for \(MPIThreadLevel.name(of: threadLevel.constant)), this MPI provides"
            + " only \(MPIThreadLevel.name(of: provided))",
          rank: Int(rank))
      }
      var name = [CChar](repeating: 0, count: Int(cmpi_max_processor_name()) + 1)
      var length: Int32 = 0
      try check(MPI_Get_processor_name(&name, &length), "MPI_Get_processor_name", rank: Int(rank))
      let processorName = String(
        decoding: name.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
      return Startup(rank: Int(rank), size: Int(size), processorName: processorName)
    }

    /// In debug builds, stops the process if `operation` is about to run on a thread other than
    /// the one that called `MPI_Init_thread`: `MPI_THREAD_FUNNELED` forbids that, and Open MPI
    /// built with thread support does not complain on its own.
    private static func assertOnInitialisingThread(_ operation: String) {
      #if DEBUG
        var isMain: Int32 = 0
        _ = MPI_Is_thread_main(&isMain)
        assert(isMain != 0, "\(operation) called off the thread that initialised MPI")
      #endif
    }

    /// Throws `MPIError` unless `code` is `MPI_SUCCESS`.
    static func check(_ code: Int32, _ operation: String, rank: Int?) throws {
      guard code == MPI_SUCCESS else {
        throw MPIError(operation: operation, code: code, rank: rank)
      }
    }

    /// `count` as MPI's `int` count.
    /// - Throws: `MPIError` when it does not fit (more than 2,147,483,647 elements).
    func mpiCount(_ count: Int, _ operation: String) throws -> Int32 {
      guard let converted = Int32(exactly: count) else {
        throw MPIError(
          operation: operation, message: "\(count) elements exceed MPI's int count", rank: rank)
      }
      return converted
    }

    private static func dispatchInterval(_ duration: Duration) -> DispatchTimeInterval {
      let (seconds, attoseconds) = duration.components
      let nanoseconds = seconds.multipliedReportingOverflow(by: 1_000_000_000)
      guard !nanoseconds.overflow, nanoseconds.partialValue <= Int64(Int.max) else {
        return .never
      }
      return .nanoseconds(Int(nanoseconds.partialValue + attoseconds / 1_000_000_000))
    }

    static func writeToStandardError(_ text: String) {
      FileHandle.standardError.write(Data(text.utf8))
    }
  }

  /// A mutable value handed between a submitting thread and the communication thread.
  ///
  /// `@unchecked Sendable` because the hand-over is ordered by the job's semaphore: the
  /// communication thread writes `value` before signalling, the submitter reads it after.
  final class UncheckedBox<Value>: @unchecked Sendable {
    var value: Value

    init(_ value: Value) {
      self.value = value
    }
  }
#endif
