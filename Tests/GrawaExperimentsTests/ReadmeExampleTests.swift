import Foundation
import XCTest

/// The README's "Your own model, data, loss and strategy" program is `Examples/toolkit`'s
/// `quickstart` target, which CI builds and runs as a package of its own: this keeps the two
/// texts identical, so the program a new user copies from the README is the one CI runs.
final class ReadmeExampleTests: XCTestCase {
  func testReadmeProgram_isTheQuickstartExample() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    let program = try String(
      contentsOf: root.appendingPathComponent("Examples/toolkit/Sources/quickstart/main.swift"), encoding: .utf8)
    XCTAssertTrue(program.contains("MGRAWA") && program.contains("Evaluation.classify") && program.contains("safeTensors"))
    XCTAssertTrue(
      readme.contains("```swift\n" + program + "```\n"),
      "README.md's program differs from Examples/toolkit/Sources/quickstart/main.swift: copy one to the other")
  }
}
