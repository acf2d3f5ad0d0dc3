import Foundation
import FoundationXML
import XCTest

/// End-to-end tests of `analyze`, `vincent` and `plot` on the built binary.
final class AnalysisCommandsTests: XCTestCase {
  private var temporaryPaths: [URL] = []

  override func tearDown() {
    for path in temporaryPaths { try? FileManager.default.removeItem(at: path) }
    super.tearDown()
  }

  private func directory() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("grawa-analysis-\(UUID())")
    temporaryPaths.append(url)
    return url
  }

  /// A fresh temporary file path ending in `.svg`, removed after the test.
  private func svgFile() -> URL {
    let url = directory().appendingPathExtension("svg")
    temporaryPaths.append(url)
    return url
  }

  private func tinyRun(_ strategy: String, into output: URL) throws {
    let outcome = try CommandLineTests.run([
      "train", "--strategy", strategy, "--workers", "2", "--comm-period", "2", "--model", "tiny-cnn",
      "--dataset", "synthetic", "--train-limit", "256", "--test-limit", "64", "--batch-size", "16", "--steps", "8",
      "--eval-every", "0.5", "--output", output.path, "--quiet",
    ])
    XCTAssertEqual(outcome.status, 0, outcome.standardError)
  }

  func testAnalyze_writesFlatnessFiguresOfTheCenter() throws {
    let run = directory()
    try tinyRun("mgrawa", into: run)
    let outcome = try CommandLineTests.run([
      "analyze", run.path, "--samples", "64", "--iterations", "6", "--trace-probes", "2", "--quiet",
    ])
    XCTAssertEqual(outcome.status, 0, outcome.standardError)
    XCTAssertTrue(outcome.standardOutput.contains("lambda_max"), outcome.standardOutput)
    let data = try Data(contentsOf: run.appendingPathComponent("flatness.json"))
    let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let ritz = try XCTUnwrap(report["ritzValues"] as? [Double])
    XCTAssertEqual(ritz.count, 6)
    XCTAssertEqual(ritz, ritz.sorted(by: >))
    XCTAssertEqual(report["lambdaMax"] as? Double, ritz[0])
    let frobenius = try XCTUnwrap(report["frobeniusEstimate"] as? Double)
    XCTAssertEqual(frobenius, ritz.reduce(0) { $0 + $1 * $1 }.squareRoot(), accuracy: 1e-9 * max(frobenius, 1))
    XCTAssertEqual(report["hessianVectorProducts"] as? Int, 8)
    XCTAssertNotNil(report["traceEstimate"] as? Double)
  }

  func testAnalyze_withoutACheckpoint_exitsOneNamingIt() throws {
    let empty = directory()
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    let outcome = try CommandLineTests.run(["analyze", empty.path, "--iterations", "2"])
    XCTAssertEqual(outcome.status, 1)
    XCTAssertTrue(outcome.standardError.contains("checkpoint.grawa"), outcome.standardError)
  }

  func testVincent_printsOneRowPerStrategyAndWritesAWellFormedPicture() throws {
    let picture = svgFile()
    let outcome = try CommandLineTests.run(["vincent", "--steps", "40", "--output", picture.path])
    XCTAssertEqual(outcome.status, 0, outcome.standardError)
    for name in ["easgd", "lsgd", "grawa", "mgrawa", "lgrawa"] {
      XCTAssertTrue(outcome.standardOutput.contains("| \(name) |"), name)
    }
    let document = try XMLDocument(contentsOf: picture)
    // 5 strategies x 4 workers.
    XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='polyline'][@class='trajectory']").count, 20)
    // One contour map (7 levels), stored once and shown in each of the 5 panels.
    XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='g'][@id='contours']/*[local-name()='path']").count, 7)
    XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='use']").count, 5)
    // A key for the contour colours: one swatch per level, labelled from -0.9 to 0.9, in the
    // colours the contour lines are drawn in.
    let swatches = try document.nodes(forXPath: "//*[@class='color-key']/*[@class='key-swatch']/@fill").map(\.stringValue)
    let contours = try document.nodes(forXPath: "//*[local-name()='g'][@id='contours']/*[local-name()='path']/@stroke")
    XCTAssertEqual(swatches.count, 7)
    XCTAssertEqual(Set(swatches), Set(contours.map(\.stringValue)))
    let labels = try document.nodes(forXPath: "//*[@class='color-key']/*[local-name()='text']").compactMap(\.stringValue)
    XCTAssertEqual(labels.first, "f(x1, x2)")
    XCTAssertEqual(labels.dropFirst().first, "-0.9")
    XCTAssertEqual(labels.last, "0.9")
    XCTAssertEqual(try document.nodes(forXPath: "//*[@class='legend']").count, 1, "the workers' legend, once")
    XCTAssertTrue(outcome.standardOutput.contains("pre-sync target none"), outcome.standardOutput)
    let bad = try CommandLineTests.run(["vincent", "--lr", "-1"])
    XCTAssertEqual(bad.status, 2)
    XCTAssertTrue(bad.standardError.contains("'--lr'"), bad.standardError)
    let badTarget = try CommandLineTests.run(["vincent", "--pre-sync-target", "corners"])
    XCTAssertEqual(badTarget.status, 2)
    XCTAssertTrue(badTarget.standardError.contains("none, mean-of-starts"), badTarget.standardError)
    let badPull = try CommandLineTests.run(["vincent", "--easgd-pull", "1.5"])
    XCTAssertEqual(badPull.status, 2)
    XCTAssertTrue(badPull.standardError.contains("'--easgd-pull'"), badPull.standardError)
  }

  func testPlot_drawsOneLinePerRunInEachChart() throws {
    let first = directory()
    let second = directory()
    try tinyRun("lsgd", into: first)
    try tinyRun("easgd", into: second)
    let chart = svgFile()
    let outcome = try CommandLineTests.run(["plot", first.path, second.path, "-o", chart.path])
    XCTAssertEqual(outcome.status, 0, outcome.standardError)
    let document = try XMLDocument(contentsOf: chart)
    // 4 charts x 2 runs, each run with 2 evaluations (a line of 2 points); neither strategy has
    // a weighted center.
    XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='polyline'][@class='series']").count, 8)
    XCTAssertEqual(try document.nodes(forXPath: "//*[@class='marker']").count, 16, "a marker per evaluation")
    // One legend, strategies in their fixed order (EASGD before LSGD) though given the other way.
    XCTAssertEqual(
      try document.nodes(forXPath: "//*[@class='legend-entry']/@data-name").map(\.stringValue), ["easgd", "lsgd"])
    let texts = try document.nodes(forXPath: "//*[local-name()='text']").compactMap(\.stringValue)
    XCTAssertTrue(texts.contains("synthetic data, tiny CNN, 2 workers: center test error and training loss"), "\(texts)")
    let titled = try CommandLineTests.run(["plot", first.path, "-o", chart.path, "--title", "My runs"])
    XCTAssertEqual(titled.status, 0, titled.standardError)
    XCTAssertTrue(
      try XMLDocument(contentsOf: chart).nodes(forXPath: "//*[local-name()='text']").contains { $0.stringValue == "My runs" })
    let missing = try CommandLineTests.run(["plot", "/nonexistent/run", "-o", chart.path])
    XCTAssertEqual(missing.status, 1)
    XCTAssertTrue(missing.standardError.contains("/nonexistent/run/metrics.csv"), missing.standardError)
  }
}
