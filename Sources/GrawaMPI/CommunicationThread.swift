#if MPI
  import Foundation

  /// One long-lived thread that runs submitted jobs one at a time, in submission order.
  ///
  /// `MPIWorld` sends every MPI call through one of these, so MPI is only ever entered from the
  /// thread that initialised it (`MPI_THREAD_FUNNELED`), and no blocking MPI call ever occupies
  /// a thread of Swift's cooperative pool.
  final class CommunicationThread: @unchecked Sendable {
    // @unchecked: `pending` and `isStopping` are read and written only with `condition` locked.
    private let condition = NSCondition()
    private var pending: [Job] = []
    private var isStopping = false

    /// A submitted closure and the semaphore its submitter waits on.
    private final class Job: @unchecked Sendable {
      // @unchecked: `body` is taken and run exactly once, on the communication thread, while
      // its submitter is blocked on `done`; nothing else touches it.
      var body: (() -> Void)?
      let done = DispatchSemaphore(value: 0)

      init(body: @escaping () -> Void) {
        self.body = body
      }
    }

    /// Starts the thread; it sleeps until the first job arrives.
    /// - Parameter name: the thread's name, as shown by debuggers and `top -H`.
    init(name: String) {
      let thread = Thread { [self] in
        self.runJobs()
      }
      thread.name = name
      thread.start()
    }

    /// Runs `body` on the communication thread after every job submitted before it.
    ///
    /// - Parameters:
    ///   - deadline: when to stop waiting.
    ///   - body: the work; it may still be queued or running when this returns `false`.
    /// - Returns: `true` once `body` has run; `false` if `deadline` passed first.
    func run(before deadline: DispatchTime, _ body: @escaping () -> Void) -> Bool {
      let job = Job(body: body)
      condition.lock()
      pending.append(job)
      condition.signal()
      condition.unlock()
      return job.done.wait(timeout: deadline) == .success
    }

    /// Lets the thread finish the jobs already queued, then end.
    func stopAfterPendingJobs() {
      condition.lock()
      isStopping = true
      condition.signal()
      condition.unlock()
    }

    private func runJobs() {
      while let job = nextJob() {
        runAndRelease(job)
        job.done.signal()
      }
    }

    /// Runs the job's closure and lets go of it before the submitter is woken: a submitter may
    /// hand over a closure that must not outlive its call (`withoutActuallyEscaping`).
    private func runAndRelease(_ job: Job) {
      let body = job.body
      job.body = nil
      body?()
    }

    /// The oldest queued job, waiting for one; `nil` once stopping and the queue is empty.
    private func nextJob() -> Job? {
      condition.lock()
      defer { condition.unlock() }
      while pending.isEmpty && !isStopping {
        condition.wait()
      }
      if pending.isEmpty {
        return nil
      }
      return pending.removeFirst()
    }
  }
#endif
