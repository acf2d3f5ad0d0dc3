import Foundation
import FoundationXML
import GrawaExperiments
import XCTest

@testable import GrawaCLI

/// `grawa-train plot`'s figure: labels, order and colours from the runs' config.json, one
/// legend, the weighted center, markers, the default title.
final class PlotCommandTests: XCTestCase {
  private func run(
    _ strategy: StrategyKind?, seed: UInt64 = 0, directory: String, weighted: Bool = false, workers: Int = 4,
    model: ModelKind = .resnet20
  ) -> PlotCommand.Run {
    var configuration: TrainingConfiguration?
    if let strategy {
      var settings = TrainingConfiguration()
      settings.strategy = strategy
      settings.seed = seed
      settings.workers = workers
      settings.model = model
      settings.dataset = .fashionMNIST
      configuration = settings
    }
    let error = [48.0, 40, 35 + Double(seed)]
    return PlotCommand.Run(
      directoryName: directory, label: directory, configuration: configuration, trainingSeconds: [1, 2, 3],
      epochs: [0.5, 1, 1.5], testError: error,
      weightedTestError: weighted ? error.map { $0 + 2 } : [.nan, .nan, .nan], trainLoss: [2, 1.5, 1.2])
  }

  private func document(_ runs: [PlotCommand.Run], title: String = "t") throws -> XMLDocument {
    try XMLDocument(data: Data(PlotCommand.figure(PlotCommand.labelled(runs), title: title).render().utf8))
  }

  private func strokes(_ document: XMLDocument) throws -> [String: Set<String>] {
    var strokes: [String: Set<String>] = [:]
    for line in try document.nodes(forXPath: "//*[local-name()='polyline'][@class='series']") {
      let name = try XCTUnwrap(try line.nodes(forXPath: "@data-name").first?.stringValue)
      let stroke = try XCTUnwrap(try line.nodes(forXPath: "@stroke").first?.stringValue)
      strokes[name, default: []].insert(stroke)
    }
    return strokes
  }

  func testStrategyColourAndOrder_doNotDependOnTheOrderRunsAreGiven() throws {
    let runs = [
      run(.mgrawa, directory: "runs/b", weighted: true), run(.lsgd, directory: "runs/a"),
      run(.easgd, directory: "runs/c"),
    ]
    let forward = try document(runs)
    let backward = try document(runs.reversed())
    let legend = try forward.nodes(forXPath: "//*[@class='legend-entry']/@data-name").map(\.stringValue)
    XCTAssertEqual(legend, ["easgd", "lsgd", "mgrawa", "mgrawa weighted center"], "the order of StrategyKind.allCases")
    XCTAssertEqual(try backward.nodes(forXPath: "//*[@class='legend-entry']/@data-name").map(\.stringValue), legend)
    let colours = try strokes(forward)
    XCTAssertEqual(colours, try strokes(backward))
    XCTAssertEqual(colours["mgrawa"], [StrategyKind.mgrawa.chartColor], "one colour in all four charts")
    XCTAssertEqual(colours["lsgd"], [StrategyKind.lsgd.chartColor])
    XCTAssertEqual(colours["mgrawa weighted center"], [StrategyKind.mgrawa.chartColor])
    XCTAssertNotEqual(StrategyKind.mgrawa.chartColor, StrategyKind.lsgd.chartColor)
    XCTAssertEqual(Set(StrategyKind.allCases.map(\.chartColor)).count, StrategyKind.allCases.count, "all distinct")
  }

  func testFigure_hasOneLegend_theWeightedCenterDashed_andAMarkerPerEvaluation() throws {
    let figure = try document([run(.mgrawa, directory: "m", weighted: true), run(.lsgd, directory: "l")])
    XCTAssertEqual(try figure.nodes(forXPath: "//*[@class='legend']").count, 1, "one legend for four charts")
    let lines = try figure.nodes(forXPath: "//*[local-name()='polyline'][@class='series']")
    // Two error charts with 3 lines (mgrawa, its weighted center, lsgd), two loss charts with 2.
    XCTAssertEqual(lines.count, 10)
    let weighted = try figure.nodes(
      forXPath: "//*[local-name()='polyline'][@data-name='mgrawa weighted center']/@stroke-dasharray")
    XCTAssertEqual(weighted.map(\.stringValue), [PlotCommand.weightedDash, PlotCommand.weightedDash])
    XCTAssertTrue(
      try figure.nodes(forXPath: "//*[@data-name='lsgd weighted center']").isEmpty, "LSGD logs no weighted center")
    // 3 evaluations per line: a marker on each, in each chart the line is in.
    for (name, charts) in [("mgrawa", 4), ("lsgd", 4), ("mgrawa weighted center", 2)] {
      XCTAssertEqual(try figure.nodes(forXPath: "//*[@class='marker'][@data-name='\(name)']").count, 3 * charts, name)
    }
  }

  func testLabels_addTheSeedWhereAStrategyHasSeveralRuns_andTheDirectoryWithoutConfig() {
    let labelled = PlotCommand.labelled([
      run(.lsgd, seed: 1, directory: "x"), run(nil, directory: "old-run"), run(.lsgd, seed: 0, directory: "y"),
      run(.easgd, directory: "z"),
    ])
    XCTAssertEqual(labelled.map(\.label), ["easgd", "lsgd seed 1", "lsgd seed 0", "old-run"])
    let twins = PlotCommand.labelled([run(.grawa, directory: "p"), run(.grawa, directory: "q")])
    XCTAssertEqual(twins.map(\.label), ["grawa seed 0 (p)", "grawa seed 0 (q)"])
  }

  func testDefaultTitle_namesDatasetModelAndWorkers_fromConfig() {
    XCTAssertEqual(
      PlotCommand.defaultTitle([run(.mgrawa, directory: "a"), run(.lsgd, directory: "b")]),
      "Fashion-MNIST, ResNet-20, 4 workers: center test error and training loss")
    XCTAssertEqual(
      PlotCommand.defaultTitle([run(.mgrawa, directory: "a"), run(.lsgd, directory: "b", workers: 2, model: .tinyCNN)]),
      "Fashion-MNIST, ResNet-20 / tiny CNN, 4 / 2 workers: center test error and training loss")
    XCTAssertEqual(
      PlotCommand.defaultTitle([run(nil, directory: "a"), run(nil, directory: "b")]),
      "Test error and training loss, 2 runs")
  }
}
