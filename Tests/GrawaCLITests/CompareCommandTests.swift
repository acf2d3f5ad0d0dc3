import Foundation
import FoundationXML
import GrawaDistributed
import GrawaExperiments
import XCTest

@testable import GrawaCLI

/// `grawa-train compare`: the run order, the table and chart it writes, reuse of finished runs,
/// resumption of stopped ones, and refusal of runs made with other settings.
final class CompareCommandTests: XCTestCase {
  private var directories: [URL] = []

  override func tearDown() {
    for directory in directories { try? FileManager.default.removeItem(at: directory) }
    super.tearDown()
  }

  private func directory() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("grawa-compare-\(UUID())")
    directories.append(url)
    return url
  }

  /// Two tiny strategies x two seeds; 8 steps, evaluations at steps 4 and 8, a 3-iteration analysis.
  private func compareArguments(_ output: URL, extra: [String] = []) -> [String] {
    [
      "compare", "--strategies", "mgrawa,lsgd", "--seeds", "0,1", "--workers", "2", "--comm-period", "2", "--model",
      "tiny-cnn", "--dataset", "synthetic", "--train-limit", "256", "--test-limit", "64", "--batch-size", "16",
      "--steps", "8", "--eval-every", "0.5", "--samples", "32", "--iterations", "3", "--trace-probes", "1",
      "--output", output.path,
    ] + extra
  }

  func testPlan_isSeedMajorWithTheStrategyOrderReversedEverySecondSeed() {
    let order = CompareCommand.plan(strategies: [.easgd, .lsgd, .mgrawa], seeds: [5, 7, 9])
    XCTAssertEqual(order.map(\.strategy), [.easgd, .lsgd, .mgrawa, .mgrawa, .lsgd, .easgd, .easgd, .lsgd, .mgrawa])
    XCTAssertEqual(order.map(\.seed), [5, 5, 5, 7, 7, 7, 9, 9, 9])
  }

  func testMeanAndDeviation_usesTheSampleStandardDeviation() {
    // Mean 2, squared deviations 1 + 0 + 1 over n - 1 = 2: sd 1.
    XCTAssertEqual(ComparisonReport.meanAndDeviation([1, 2, 3]) { String(format: "%.3f", $0) }, "2.000 ± 1.000")
    XCTAssertEqual(ComparisonReport.meanAndDeviation([4, .nan]) { String(format: "%.1f", $0) }, "4.0")
    XCTAssertEqual(ComparisonReport.meanAndDeviation([.nan]) { String(format: "%.1f", $0) }, "-")
  }

  func testSettingsDifferences_ignoreThreadsAndNameWhatDiffers() {
    var asked = TrainingConfiguration()
    asked.strategy = .lsgd
    asked.steps = 8
    var found = asked
    found.threads = 2
    found.checkpointMinutes = 5
    XCTAssertEqual(ComparisonEntry.settingsDifferences(found, asked), [])
    found.batchSize = 64
    found.seed = 3
    let differences = ComparisonEntry.settingsDifferences(found, asked)
    XCTAssertEqual(differences.count, 2, "\(differences)")
    XCTAssertTrue(differences[0].hasPrefix("batchSize: 64 there, 128 asked"), "\(differences)")
    XCTAssertTrue(differences[1].hasPrefix("seed: 3 there, 0 asked"), "\(differences)")
  }

  func testCompare_trainsAndAnalysesEveryRunInterleaved_writesTableAndChart_thenReusesThem() throws {
    let output = directory()
    let outcome = try CommandLineTests.run(compareArguments(output))
    XCTAssertEqual(outcome.status, 0, outcome.standardError)
    let starts = ["[1/4] mgrawa seed 0: training", "[2/4] lsgd seed 0: training", "[3/4] lsgd seed 1: training",
      "[4/4] mgrawa seed 1: training"].map { outcome.standardOutput.range(of: $0)?.lowerBound }
    XCTAssertFalse(starts.contains(nil), outcome.standardOutput)
    XCTAssertEqual(starts.compactMap { $0 }, starts.compactMap { $0 }.sorted(), "runs out of order")

    // The CSV: one row per run in run order, figures equal to each run's own files.
    let csv = try String(contentsOf: output.appendingPathComponent("comparison.csv"), encoding: .utf8)
    let lines = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    XCTAssertEqual(lines.count, 5)
    let header = lines[0]
    XCTAssertEqual(lines.dropFirst().map { $0[0] + "-" + $0[1] }, ["mgrawa-0", "lsgd-0", "lsgd-1", "mgrawa-1"])
    let decoder = RunJSON.decoder()
    for row in lines.dropFirst() {
      let run = output.appendingPathComponent("\(row[0])-seed\(row[1])")
      let summary = try decoder.decode(TrainingSummary.self, from: Data(contentsOf: run.appendingPathComponent("summary.json")))
      let flatness = try decoder.decode(FlatnessReport.self, from: Data(contentsOf: run.appendingPathComponent("flatness.json")))
      func column(_ name: String) throws -> Double {
        try XCTUnwrap(Double(row[try XCTUnwrap(header.firstIndex(of: name))]), "\(name) in \(row)")
      }
      XCTAssertEqual(try column("test_error"), summary.finalTest.error)
      XCTAssertEqual(try column("hessian_frobenius"), flatness.frobeniusEstimate)
      XCTAssertEqual(try column("lambda_max"), flatness.lambdaMax)
      XCTAssertEqual(try column("syncs"), Double(summary.syncs))
      XCTAssertEqual(try column("steps"), 8)
      XCTAssertEqual(flatness.ritzValues.count, 3)
      XCTAssertEqual(flatness.settings.samples, 32)
    }
    let markdown = try String(contentsOf: output.appendingPathComponent("comparison.md"), encoding: .utf8)
    XCTAssertTrue(markdown.contains("| mgrawa | 2 | "), markdown)
    XCTAssertTrue(markdown.contains("| lsgd | 1 | "), markdown)
    XCTAssertTrue(markdown.contains("4 of 4 runs finished"), markdown)

    // The chart: one test-error line per run (two evaluations each) and one dot per run.
    let document = try XMLDocument(contentsOf: output.appendingPathComponent("comparison.svg"))
    XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='polyline'][@class='series']").count, 4)
    XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='circle'][@class='point']").count, 4)
    // One legend for both charts: strategies in their fixed order (LSGD before MGRAWA, though
    // MGRAWA ran first), then the seeds; each strategy in its colour of every chart.
    XCTAssertEqual(try document.nodes(forXPath: "//*[@class='legend']").count, 1)
    XCTAssertEqual(
      try document.nodes(forXPath: "//*[@class='legend-entry']/@data-name").map(\.stringValue),
      ["lsgd", "mgrawa", "seed 0", "seed 1"])
    for (name, strategy) in [("mgrawa seed 1", StrategyKind.mgrawa), ("lsgd seed 0", .lsgd)] {
      XCTAssertEqual(
        try document.nodes(forXPath: "//*[local-name()='polyline'][@data-name='\(name)']/@stroke").map(\.stringValue),
        [strategy.chartColor], name)
    }
    XCTAssertEqual(
      Set(try document.nodes(forXPath: "//*[@class='point'][@data-name='mgrawa']/@fill").map(\.stringValue)),
      [StrategyKind.mgrawa.chartColor])
    XCTAssertEqual(try document.nodes(forXPath: "//*[@class='marker']").count, 8, "two evaluations per run")

    // Again: every run is reused, nothing is retrained or re-analysed.
    let metrics = output.appendingPathComponent("mgrawa-seed0/metrics.csv")
    let before = try Data(contentsOf: metrics)
    let again = try CommandLineTests.run(compareArguments(output))
    XCTAssertEqual(again.status, 0, again.standardError)
    XCTAssertEqual(again.standardOutput.components(separatedBy: "trained already").count - 1, 4, again.standardOutput)
    XCTAssertEqual(again.standardOutput.components(separatedBy: "analysed already").count - 1, 4, again.standardOutput)
    XCTAssertEqual(try Data(contentsOf: metrics), before)
    XCTAssertEqual(try String(contentsOf: output.appendingPathComponent("comparison.csv"), encoding: .utf8), csv)

    // With another learning rate the existing runs are refused, naming the file and the setting.
    let other = try CommandLineTests.run(compareArguments(output, extra: ["--lr", "0.05"]))
    XCTAssertEqual(other.status, 1)
    XCTAssertTrue(other.standardError.contains("mgrawa-seed0/config.json"), other.standardError)
    XCTAssertTrue(other.standardError.contains("optimizer"), other.standardError)
    XCTAssertEqual(try Data(contentsOf: metrics), before)
  }

  func testCompare_resumesAnInterruptedRun() throws {
    let output = directory()
    var arguments = compareArguments(output)
    arguments[arguments.firstIndex(of: "0,1")!] = "0"
    arguments[arguments.firstIndex(of: "mgrawa,lsgd")!] = "lsgd"
    arguments += ["--no-analysis"]
    let run = output.appendingPathComponent("lsgd-seed0")
    // The whole 8-step run, then the state Ctrl-C leaves after 4 steps: the checkpoint of a
    // 4-step run with the same settings in its place and a summary marked as interrupted.
    XCTAssertEqual(try CommandLineTests.run(arguments).status, 0)
    let early = directory()
    let short = [
      "train", "--strategy", "lsgd", "--seed", "0", "--workers", "2", "--comm-period", "2", "--model", "tiny-cnn",
      "--dataset", "synthetic", "--train-limit", "256", "--test-limit", "64", "--batch-size", "16", "--steps", "4",
      "--eval-every", "0.5", "--output", early.path,
    ]
    let shortRun = try CommandLineTests.run(short)
    XCTAssertEqual(shortRun.status, 0, shortRun.standardError)
    let checkpoint = run.appendingPathComponent(TrainCommand.checkpointName)
    try FileManager.default.removeItem(at: checkpoint)
    try FileManager.default.copyItem(at: early.appendingPathComponent(TrainCommand.checkpointName), to: checkpoint)
    let summaryURL = run.appendingPathComponent("summary.json")
    var summary = try RunJSON.decoder().decode(TrainingSummary.self, from: Data(contentsOf: summaryURL))
    XCTAssertEqual(summary.steps, 8)
    summary.stopReason = StopReason.interrupted.rawValue
    summary.steps = 4
    try JSONEncoder().encode(summary).write(to: summaryURL)

    let resumed = try CommandLineTests.run(arguments)
    XCTAssertEqual(resumed.status, 0, resumed.standardError)
    XCTAssertTrue(resumed.standardOutput.contains("[1/1] lsgd seed 0: resuming"), resumed.standardOutput)
    summary = try RunJSON.decoder().decode(TrainingSummary.self, from: Data(contentsOf: summaryURL))
    XCTAssertNotEqual(summary.stopReason, StopReason.interrupted.rawValue)
    XCTAssertEqual(summary.steps, 8)
    let csv = try String(contentsOf: output.appendingPathComponent("comparison.csv"), encoding: .utf8)
    XCTAssertEqual(csv.split(separator: "\n").count, 2)
    XCTAssertTrue(try String(contentsOf: output.appendingPathComponent("comparison.md"), encoding: .utf8)
      .contains("Flatness analysis skipped"))

    // A comparison asking for another budget is refused, naming the setting that differs.
    var longer = arguments
    longer[longer.firstIndex(of: "8")!] = "12"
    let refused = try CommandLineTests.run(longer)
    XCTAssertEqual(refused.status, 1)
    XCTAssertTrue(refused.standardError.contains("steps: 8 there, 12 asked"), refused.standardError)
  }

  func testCompare_badListsExitTwoNamingTheFlag() throws {
    let output = directory()
    for (flag, value, expected) in [
      ("--strategies", "mgrawa,bogus", "'bogus' is not one of"), ("--strategies", "lsgd,lsgd", "listed twice"),
      ("--seeds", "0,x", "'x' is not a non-negative integer"), ("--seeds", "1,1", "listed twice"),
    ] {
      var arguments = compareArguments(output)
      arguments[arguments.firstIndex(of: flag)! + 1] = value
      let outcome = try CommandLineTests.run(arguments)
      XCTAssertEqual(outcome.status, 2, "\(flag) \(value)")
      XCTAssertTrue(outcome.standardError.contains("'\(flag)'"), outcome.standardError)
      XCTAssertTrue(outcome.standardError.contains(expected), outcome.standardError)
    }
    // A train flag that is invalid for a run is caught before anything is trained.
    let invalid = try CommandLineTests.run(compareArguments(output, extra: ["--pull", "2"]))
    XCTAssertEqual(invalid.status, 2)
    XCTAssertTrue(invalid.standardError.contains("'--pull'"), invalid.standardError)
    XCTAssertFalse(FileManager.default.fileExists(atPath: output.appendingPathComponent("mgrawa-seed0").path))
  }
}
