import Foundation
import XCTest

extension XCTestCase {
  /// Creates a fresh directory `prefix-<UUID>` under the system's temporary directory and
  /// removes it, with everything in it, when the current test ends.
  public func makeTemporaryDirectory(_ prefix: String) throws -> URL {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
    return directory
  }
}
