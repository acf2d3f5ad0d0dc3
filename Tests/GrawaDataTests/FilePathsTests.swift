import XCTest
import _TestSupport

@testable import GrawaData

final class FilePathsTests: XCTestCase {
  func testJoinPath_addsOneSlash() {
    XCTAssertEqual(joinPath("/a/b", "c"), "/a/b/c")
    XCTAssertEqual(joinPath("/a/b/", "c"), "/a/b/c")
    XCTAssertEqual(joinPath("", "c"), "c")
  }

  func testPathKind_tellsFilesDirectoriesAndMissingPaths() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let file = try directory.write([1], to: "f")
    XCTAssertEqual(pathKind(file), .file)
    XCTAssertEqual(pathKind(directory.path), .directory)
    XCTAssertEqual(pathKind(directory.file("missing")), .missing)
  }
}
