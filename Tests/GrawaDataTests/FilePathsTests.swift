import XCTest
import _TestSupport

@testable import GrawaData

final class FilePathsTests: XCTestCase {
  func testJoinPath_addsOneSlash() {
    XCTAssertEqual(joinPath("/a/b", "c"), "/a/b/c")
    XCTAssertEqual(joinPath("/a/b/", "c"), "/a/b/c")
    XCTAssertEqual(joinPath("", "c"), "c")
  }

  func testFileExists_isFalseForDirectories() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let file = try directory.write([1], to: "f")
    XCTAssertTrue(fileExists(file))
    XCTAssertFalse(fileExists(directory.path))
    XCTAssertFalse(fileExists(directory.file("missing")))
  }
}
