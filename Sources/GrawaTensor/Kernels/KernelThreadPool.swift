import Foundation
import Synchronization

/// The threads that run ``parallelFor(_:threads:_:)``'s items besides the caller: one per core
/// but the caller's, started on first use and kept for the life of the process.
///
/// Why not `DispatchQueue.concurrentPerform`: Dispatch parks its workers as soon as a call ends
/// and starts them lazily, so the first parallel calls after a single-threaded phase (an optimizer
/// step, batch assembly, a log line) ran on one thread while the second core slept, and every call
/// paid a wake-up. These threads spin for a short while after each job (``spinWindow``), as
/// OpenMP's and OpenBLAS's threads do, and only then sleep on a condition variable.
///
/// A job is `count` items; the caller publishes it, then the caller and the pool threads claim
/// items one at a time from one atomic word until none are left, and the caller waits for every
/// claimed item to finish. Which thread runs an item never changes what it computes. One job runs
/// at a time: a caller that finds the pool busy (another thread's job, or a nested call from
/// inside an item) gets `false` and runs its items another way.
@usableFromInline
final class KernelThreadPool: @unchecked Sendable {
  /// The process's pool: `available - 1` threads (none on a single core). An invalid
  /// `GRAWA_SPIN_MICROSECONDS` stops the process with a message saying what is expected.
  @usableFromInline static let shared: KernelThreadPool = {
    do {
      let value = ProcessInfo.processInfo.environment[spinEnvironmentVariable]
      return KernelThreadPool(
        threads: ComputeThreads.available - 1, spinWindow: try spinWindow(from: value))
    } catch {
      fatalError("\(error)")
    }
  }()

  /// The environment variable that sets how long pool threads poll before they sleep.
  static let spinEnvironmentVariable = "GRAWA_SPIN_MICROSECONDS"

  /// How long a pool thread keeps polling for the next job before it sleeps, in nanoseconds,
  /// for a `GRAWA_SPIN_MICROSECONDS` value: 200 microseconds when `nil` or empty; 0 makes the
  /// threads sleep at once (the least CPU time on a shared machine, the slowest wake-ups).
  /// - Throws: ``TensorError`` naming the variable when `value` is not a whole number of
  ///   microseconds from 0 to 1,000,000.
  static func spinWindow(from value: String?) throws -> UInt64 {
    guard let raw = value?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else {
      return 200_000
    }
    guard let micros = UInt64(raw), micros <= 1_000_000 else {
      throw TensorError(
        spinEnvironmentVariable,
        "'\(raw)' is not a spin time; expected whole microseconds from 0 to 1000000")
    }
    return micros * 1000
  }

  // The job word: bits 32... the job's generation, bits 16..<32 its item count, bits 0..<16 the
  // next unclaimed item. A claim is one compare-and-swap on it, so a thread that claims item `i`
  // of generation `g` knows that job is still published (its items are not all finished).
  private let job = Atomic<UInt64>(0)
  /// Items of the current job that have finished.
  private let finished = Atomic<Int>(0)
  /// Set while a caller owns the pool.
  private let busy = Atomic<Bool>(false)
  /// Pool threads asleep on `wake`, or about to be.
  private let sleepers = Atomic<Int>(0)
  /// The current job's body; written by the owning caller before it publishes the job word and
  /// read by a thread only after it claimed an item of that job.
  private var body: UnsafeRawPointer?
  private let mutex: UnsafeMutablePointer<pthread_mutex_t>
  private let wake: UnsafeMutablePointer<pthread_cond_t>
  /// The number of pool threads.
  let threadCount: Int
  /// How long a thread polls for the next job before it sleeps, in nanoseconds.
  let spinWindow: UInt64
  private let started = Atomic<Bool>(false)
  private let startLock = Mutex<Void>(())

  init(threads: Int, spinWindow: UInt64) {
    threadCount = max(0, threads)
    self.spinWindow = spinWindow
    mutex = .allocate(capacity: 1)
    wake = .allocate(capacity: 1)
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(wake, nil)
  }

  /// Runs `body(i)` for `i` in `0..<count` (`count < 65536`) on the calling thread and the pool
  /// threads; returns `false`, having run nothing, when the pool has no threads or is busy.
  @usableFromInline
  func run(_ count: Int, _ body: (Int) -> Void) -> Bool {
    guard threadCount > 0, count > 0, count < 1 << 16 else { return false }
    guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    else { return false }
    defer { busy.store(false, ordering: .releasing) }
    startThreads()
    withoutActuallyEscaping(body) { body in
      var box = JobBody(body: body)
      withUnsafePointer(to: &box) { pointer in
        self.body = UnsafeRawPointer(pointer)
        finished.store(0, ordering: .relaxed)
        let generation = (job.load(ordering: .relaxed) >> 32) &+ 1
        job.store(generation << 32 | UInt64(count) << 16, ordering: .sequentiallyConsistent)
        // Wake at most as many sleepers as there are items for other threads; a thread that
        // is polling takes one without being woken.
        let asleep = sleepers.load(ordering: .sequentiallyConsistent)
        if asleep > 0 {
          pthread_mutex_lock(mutex)
          for _ in 0..<min(asleep, count - 1) { pthread_cond_signal(wake) }
          pthread_mutex_unlock(mutex)
        }
        runClaimedItems()
        var polls = 0
        while finished.load(ordering: .acquiring) < count {
          polls &+= 1
          if polls & 1023 == 0 { sched_yield() }
        }
        self.body = nil
      }
    }
    return true
  }

  /// Claims and runs items of the published job until none are left; returns how many it ran.
  @discardableResult
  private func runClaimedItems() -> Int {
    var word = job.load(ordering: .relaxed)
    var ran = 0
    while true {
      let next = word & 0xFFFF
      let count = (word >> 16) & 0xFFFF
      if next >= count { return ran }
      let (exchanged, original) = job.compareExchange(
        expected: word, desired: word &+ 1, ordering: .acquiringAndReleasing)
      if !exchanged {
        word = original
        continue
      }
      runItem(Int(next))
      ran += 1
      finished.add(1, ordering: .releasing)
      word = job.load(ordering: .relaxed)
    }
  }

  /// Runs one claimed item; kept out of line so that nothing of the body outlives the call.
  @inline(never)
  private func runItem(_ index: Int) {
    body!.assumingMemoryBound(to: JobBody.self).pointee.body(index)
  }

  /// Whether the job word offers an item to claim.
  private func hasWork() -> Bool {
    let word = job.load(ordering: .sequentiallyConsistent)
    return word & 0xFFFF < (word >> 16) & 0xFFFF
  }

  private func startThreads() {
    if started.load(ordering: .acquiring) { return }
    startLock.withLock { _ in
      if started.load(ordering: .relaxed) { return }
      for index in 0..<threadCount {
        let thread = Thread { [self] in self.loop() }
        thread.name = "grawa-kernel-\(index + 1)"
        thread.start()
      }
      started.store(true, ordering: .releasing)
    }
  }

  /// A pool thread: claim items while there are any, and poll for new ones until `spinWindow`
  /// has passed since it last ran one; then sleep until a caller wakes it. Polling yields the
  /// core now and then, in case another thread is waiting for it (more threads than cores).
  private func loop() {
    var lastItem = DispatchTime.now().uptimeNanoseconds
    while true {
      if runClaimedItems() > 0 { lastItem = DispatchTime.now().uptimeNanoseconds }
      var polls = 0
      while !hasWork() {
        polls &+= 1
        if polls & 255 != 0 { continue }
        sched_yield()
        if DispatchTime.now().uptimeNanoseconds &- lastItem < spinWindow { continue }
        pthread_mutex_lock(mutex)
        sleepers.add(1, ordering: .sequentiallyConsistent)
        while !hasWork() { pthread_cond_wait(wake, mutex) }
        sleepers.subtract(1, ordering: .sequentiallyConsistent)
        pthread_mutex_unlock(mutex)
        lastItem = DispatchTime.now().uptimeNanoseconds
        break
      }
    }
  }
}

/// The body of a job, stored where the pool threads can reach it through a raw pointer.
private struct JobBody {
  var body: (Int) -> Void
}

extension KernelConfiguration {
  /// Checks the kernels' environment variables, `GRAWA_KERNELS` and `GRAWA_SPIN_MICROSECONDS`,
  /// so that a program can refuse a bad value at start with a clean error; the kernels read them
  /// on first use and stop the process there otherwise.
  /// - Throws: ``TensorError`` naming the variable and the value.
  public static func checkEnvironment(
    _ environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws {
    _ = try resolve(override: environment[environmentVariable], features: CPUFeatures.current)
    _ = try KernelThreadPool.spinWindow(from: environment[KernelThreadPool.spinEnvironmentVariable])
  }
}
