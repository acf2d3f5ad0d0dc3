import Dispatch
import Synchronization
import XCTest

@testable import GrawaTensor

final class KernelThreadPoolTests: XCTestCase {
  /// Runs `count` items on `pool` and returns how often each item ran.
  private func runCounting(_ pool: KernelThreadPool, _ count: Int) -> (Bool, [Int]) {
    var hits = [Int](repeating: 0, count: count)
    let ran = hits.withUnsafeMutableBufferPointer { buffer in
      let base = buffer.baseAddress!
      return pool.run(count) { i in base[i] += 1 }
    }
    return (ran, hits)
  }

  func testRun_runsEveryItemOnce_whetherThreadsSpinOrSleep() {
    // A 0 window sends the threads to sleep after every job (the wake-up path); a long one keeps
    // them polling (the spinning path). More threads than this machine's cores, on purpose.
    for window: UInt64 in [0, 1_000_000_000] {
      let pool = KernelThreadPool(threads: 3, spinWindow: window)
      for round in 0..<300 {
        let count = 1 + round % 9
        let (ran, hits) = runCounting(pool, count)
        XCTAssertTrue(ran)
        XCTAssertEqual(hits, [Int](repeating: 1, count: count), "window \(window), round \(round)")
      }
    }
  }

  func testRun_usesThePoolThreads() {
    // Items that wait for each other finish only if another thread runs one of them.
    let pool = KernelThreadPool(threads: 1, spinWindow: 0)
    let arrived = Atomic<Int>(0)
    let ran = pool.run(2) { _ in
      arrived.add(1, ordering: .relaxed)
      while arrived.load(ordering: .relaxed) < 2 {}
    }
    XCTAssertTrue(ran)
    XCTAssertEqual(arrived.load(ordering: .relaxed), 2)
  }

  func testRun_refusesWhatItCannotRun() {
    XCTAssertFalse(KernelThreadPool(threads: 0, spinWindow: 0).run(2) { _ in })
    let pool = KernelThreadPool(threads: 1, spinWindow: 0)
    XCTAssertFalse(pool.run(0) { _ in })
    XCTAssertFalse(pool.run(1 << 16) { _ in })
    // A call from inside an item finds the pool busy and runs nothing.
    let nested = Atomic<Int>(0)
    XCTAssertTrue(
      pool.run(2) { _ in
        if !pool.run(2, { _ in nested.add(1, ordering: .relaxed) }) {
          nested.add(100, ordering: .relaxed)
        }
      })
    XCTAssertEqual(nested.load(ordering: .relaxed), 200)
  }

  func testParallelFor_fromSeveralThreadsAtOnce_coversEveryIndex() {
    // Callers race for the shared pool; the losers fall back to Dispatch. Nested calls too.
    let callers = 4, count = 37
    var hits = [Int](repeating: 0, count: callers * count * count)
    hits.withUnsafeMutableBufferPointer { buffer in
      let base = UncheckedSendable(buffer.baseAddress!)
      DispatchQueue.concurrentPerform(iterations: callers) { caller in
        for _ in 0..<50 {
          parallelFor(count, threads: 2) { i in
            parallelFor(count, threads: 2) { j in
              base.value[(caller * count + i) * count + j] += 1
            }
          }
        }
      }
    }
    XCTAssertEqual(hits, [Int](repeating: 50, count: callers * count * count))
  }

  func testSpinWindow_readsMicroseconds_andRefusesOtherValues() throws {
    XCTAssertEqual(try KernelThreadPool.spinWindow(from: nil), 200_000)
    XCTAssertEqual(try KernelThreadPool.spinWindow(from: ""), 200_000)
    XCTAssertEqual(try KernelThreadPool.spinWindow(from: "0"), 0)
    XCTAssertEqual(try KernelThreadPool.spinWindow(from: " 50 "), 50_000)
    XCTAssertEqual(try KernelThreadPool.spinWindow(from: "1000000"), 1_000_000_000)
    for bad in ["-1", "1e3", "fast", "1000001"] {
      XCTAssertThrowsError(try KernelThreadPool.spinWindow(from: bad)) { error in
        let text = "\(error)"
        XCTAssertTrue(text.contains("GRAWA_SPIN_MICROSECONDS"), text)
        XCTAssertTrue(text.contains("'\(bad)'"), text)
      }
    }
  }
}

#if os(Linux)
/// glibc's `int sched_setaffinity(pid_t pid, size_t cpusetsize, const cpu_set_t *mask)`.
@_silgen_name("sched_setaffinity")
private func glibcSchedSetAffinity(_ pid: Int32, _ size: Int, _ mask: UnsafeRawPointer) -> Int32

final class ComputeThreadsAffinityTests: XCTestCase {
  func testCountAvailable_followsTheThreadsCPUMask() throws {
    var saved = [UInt64](repeating: 0, count: 128)
    let status = saved.withUnsafeMutableBytes {
      glibcSchedGetAffinity(0, $0.count, $0.baseAddress!)
    }
    XCTAssertEqual(status, 0)
    let allowed = saved.reduce(0) { $0 + $1.nonzeroBitCount }
    let active = ProcessInfo.processInfo.activeProcessorCount
    XCTAssertEqual(ComputeThreads.countAvailable(), min(allowed, active))
    // Pin this thread to its first allowed CPU, as `taskset -c` or `mpirun --bind-to core` do.
    let word = try XCTUnwrap(saved.firstIndex { $0 != 0 })
    var one = [UInt64](repeating: 0, count: 128)
    one[word] = 1 << UInt64(saved[word].trailingZeroBitCount)
    XCTAssertEqual(one.withUnsafeBytes { glibcSchedSetAffinity(0, $0.count, $0.baseAddress!) }, 0)
    let pinned = ComputeThreads.countAvailable()
    XCTAssertEqual(saved.withUnsafeBytes { glibcSchedSetAffinity(0, $0.count, $0.baseAddress!) }, 0)
    XCTAssertEqual(pinned, 1)
    XCTAssertEqual(ComputeThreads.countAvailable(), min(allowed, active))
  }
}
#endif
