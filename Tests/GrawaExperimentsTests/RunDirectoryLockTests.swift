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

  func testTakingTheLock_removesTheTemporariesOfKilledWrites_only() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stale-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let stale = [".checkpoint.grawa.partial-1A2B", "metrics.csv.tmp", "metrics.jsonl.tmp", "summary.json.tmp"]
    let kept = ["checkpoint.grawa", "metrics.csv", "notes.tmp", "partial-results.csv", ".hidden"]
    for name in stale + kept {
      try Data("x".utf8).write(to: directory.appendingPathComponent(name))
    }
    let lock = try RunDirectoryLock(directory: directory)
    XCTAssertEqual(lock.removedFiles, stale.sorted())
    let left = Set(try FileManager.default.contentsOfDirectory(atPath: directory.path))
    XCTAssertEqual(left, Set(kept + [RunDirectoryLock.fileName]))
  }
}
