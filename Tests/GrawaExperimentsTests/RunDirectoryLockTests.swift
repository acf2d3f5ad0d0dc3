import Foundation
import GrawaExperiments
import XCTest

/// One writer per run directory (issue 16, bug 1).
final class RunDirectoryLockTests: XCTestCase {
  func testSecondLock_isRefusedNamingTheHolder_andFreedWhenTheFirstIsReleased() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lock-\(UUID().uuidString)/run")
    defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
    var first: RunDirectoryLock? = try RunDirectoryLock(directory: directory)
    XCTAssertNotNil(first)
    XCTAssertThrowsError(try RunDirectoryLock(directory: directory)) { error in
      XCTAssertTrue("\(error)".contains("in use by another process (pid \(getpid()))"), "\(error)")
    }
    first = nil
    XCTAssertNoThrow(try RunDirectoryLock(directory: directory), "released with its holder")
  }
}
