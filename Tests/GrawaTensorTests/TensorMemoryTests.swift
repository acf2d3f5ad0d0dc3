import XCTest

@testable import GrawaTensor

#if canImport(Glibc)
  import Glibc
#endif

final class TensorMemoryTests: XCTestCase {
  func testDisablingVariable_offOnlyForNonEmptyValuesOtherThanZero() {
    XCTAssertFalse(TensorMemory.isDisabled(by: nil))
    XCTAssertFalse(TensorMemory.isDisabled(by: ""))
    XCTAssertFalse(TensorMemory.isDisabled(by: "0"))
    XCTAssertTrue(TensorMemory.isDisabled(by: "1"))
    XCTAssertTrue(TensorMemory.isDisabled(by: "yes"))
  }

  #if canImport(Glibc)
    /// Minor page faults of this process so far.
    private func minorFaults() -> Int {
      var usage = rusage()
      getrusage(RUSAGE_SELF.rawValue, &usage)
      return Int(usage.ru_minflt)
    }

    /// Page faults taken while a 64 MiB tensor buffer is made, written and freed.
    private func faultsOfOneLargeBuffer() -> Int {
      let before = minorFaults()
      var scalars = [Float](repeating: 1, count: 16 << 20)
      scalars[scalars.count - 1] = 2
      XCTAssertEqual(scalars.last, 2)
      return minorFaults() - before
    }

    func testFreedLargeBuffer_isReusedWithoutPageFaults() {
      // Runs on the main thread, whose glibc arena is the main one.
      let expected = !TensorMemory.isDisabled(by: ProcessInfo.processInfo.environment[TensorMemory.disablingVariable])
      XCTAssertEqual(TensorMemory.cacheFreedBuffers(), expected)
      XCTAssertEqual(TensorMemory.cacheFreedBuffers(), expected, "later calls give the first answer")
      XCTAssertEqual(TensorMemory.cachesFreedBuffers, expected)
      guard expected else { return }
      _ = faultsOfOneLargeBuffer()
      // 64 MiB are 16384 pages of 4 KiB; glibc's default maps and unmaps such a block every time.
      let faults = faultsOfOneLargeBuffer()
      XCTAssertLessThan(faults, 1024, "the second 64 MiB buffer took \(faults) page faults")
    }
  #else
    func testCaching_isUnavailableWithoutGlibc() {
      XCTAssertFalse(TensorMemory.cacheFreedBuffers())
      XCTAssertFalse(TensorMemory.cachesFreedBuffers)
    }
  #endif
}
