import Foundation
import FoundationXML
import GrawaPlot
import XCTest

/// Line charts: markers on data points, overlapping lines told apart, the legend.
final class LineChartTests: XCTestCase {
  private func parse(_ svg: SVGDocument) throws -> XMLDocument {
    try XMLDocument(data: Data(svg.render().utf8))
  }

  private func attribute(_ name: String, of node: XMLNode) throws -> String {
    try XCTUnwrap(try node.nodes(forXPath: "@\(name)").first?.stringValue, "@\(name)")
  }

  func testMarkers_oneOnEveryFinitePoint_inTheSeriesColour() throws {
    let chart = LineChart(
      title: "t", xLabel: "x", yLabel: "y",
      series: [
        .init(name: "three", points: [(0, 1), (1, 2), (2, 1.5)], color: "#111111"),
        .init(name: "gap", points: [(0, 5), (1, .nan), (2, 6), (3, 7)], color: "#222222"),
      ])
    let document = try parse(chart.render())
    let markers = try document.nodes(forXPath: "//*[@class='marker']")
    XCTAssertEqual(try markers.filter { try attribute("data-name", of: $0) == "three" }.count, 3)
    XCTAssertEqual(try markers.filter { try attribute("data-name", of: $0) == "gap" }.count, 3, "not on the NaN")
    for marker in markers {
      let name = try attribute("data-name", of: marker)
      XCTAssertEqual(try attribute("fill", of: marker), name == "three" ? "#111111" : "#222222")
    }
    // The two series get different marker shapes (a circle, then a square).
    XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='circle'][@class='marker']").count, 3)
    XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='polygon'][@class='marker']").count, 3)
  }

  func testMarkers_leftOffLongCurves() throws {
    let long = (0...LineChart.markerLimit).map { (x: Double($0), y: Double($0 % 7)) }
    let chart = LineChart(title: "t", xLabel: "x", yLabel: "y", series: [.init(name: "long", points: long)])
    XCTAssertTrue(try parse(chart.render()).nodes(forXPath: "//*[@class='marker']").isEmpty)
  }

  func testCoincidingSeries_getTheirOwnDashOffsetAndHollowMarkers() throws {
    // As in the Vincent noise sweep: two strategies at 100% at every noise level, a third apart.
    let top: [(x: Double, y: Double)] = [(0, 100), (0.5, 100), (1, 100), (2, 100)]
    let chart = LineChart(
      title: "t", xLabel: "x", yLabel: "y",
      series: [
        .init(name: "grawa", points: top, color: "#009E73"),
        .init(name: "mgrawa", points: top, color: "#CC79A7"),
        .init(name: "easgd", points: top.map { ($0.x, 0) }, color: "#0072B2"),
      ])
    let document = try parse(chart.render())
    let lines = try document.nodes(forXPath: "//*[local-name()='polyline'][@class='series']")
    let byName = try Dictionary(uniqueKeysWithValues: lines.map { (try attribute("data-name", of: $0), $0) })
    let grawa = try XCTUnwrap(byName["grawa"])
    let mgrawa = try XCTUnwrap(byName["mgrawa"])
    XCTAssertTrue(try grawa.nodes(forXPath: "@stroke-dasharray").isEmpty, "the first stays solid")
    let dash = try attribute("stroke-dasharray", of: mgrawa)
    XCTAssertEqual(dash, LineChart.overlapDashes[0])
    XCTAssertTrue(try XCTUnwrap(byName["easgd"]).nodes(forXPath: "@stroke-dasharray").isEmpty, "apart: unchanged")
    // Drawn a few pixels apart, so neither hides the other.
    func firstY(_ node: XMLNode) throws -> Double {
      let points = try attribute("points", of: node)
      let first = try XCTUnwrap(points.split(separator: " ").first?.split(separator: ","))
      return try XCTUnwrap(Double(String(first[1])))
    }
    let gap = abs(try firstY(grawa) - firstY(mgrawa))
    XCTAssertGreaterThanOrEqual(gap, 2)
    XCTAssertLessThanOrEqual(gap, 5)
    // The later one's markers are rings, the earlier one's filled.
    let markers = try document.nodes(forXPath: "//*[@class='marker']")
    for marker in markers {
      let name = try attribute("data-name", of: marker)
      XCTAssertEqual(try attribute("fill", of: marker) == "none", name == "mgrawa", name)
    }
    // The legend shows the dash it was given.
    let sample = try document.nodes(
      forXPath: "//*[@class='legend-entry'][@data-name='mgrawa']/*[local-name()='line']/@stroke-dasharray")
    XCTAssertEqual(sample.map(\.stringValue), [dash])
  }

  func testSeriesThatOnlyCross_keepTheirDashes() throws {
    let chart = LineChart(
      title: "t", xLabel: "x", yLabel: "y",
      series: [
        .init(name: "up", points: [(0, 0), (1, 1), (2, 2)]), .init(name: "down", points: [(0, 2), (1, 1), (2, 0)]),
      ])
    let dashes: [String?] = chart.resolvedSeries.map { $0.dash }
    XCTAssertEqual(dashes, [nil, nil])
  }

  func testDistinguishingOverlaps_givesASeriesOneDashInEveryChart() {
    let same: [(x: Double, y: Double)] = [(0, 1), (1, 2), (2, 3)]
    let first = LineChart(
      title: "a", xLabel: "x", yLabel: "y",
      series: [.init(name: "p", points: same), .init(name: "q", points: same)])
    // In the second chart they are apart; q keeps the dash it needed in the first.
    let second = LineChart(
      title: "b", xLabel: "x", yLabel: "y",
      series: [.init(name: "p", points: same), .init(name: "q", points: same.map { ($0.x, -$0.y) })])
    let charts = LineChart.distinguishingOverlaps([first, second])
    let dashes: [[String?]] = charts.map { chart in chart.series.map { $0.dash } }
    XCTAssertEqual(dashes, [[nil, "7 4"], [nil, "7 4"]])
  }

  func testLegend_isDrawnOnceAndCanBeLeftToTheFigure() throws {
    let series: [LineChart.Series] = [.init(name: "a", points: [(0, 1), (1, 2)]), .init(name: "b", points: [(0, 3), (1, 1)])]
    let alone = try parse(LineChart(title: "t", xLabel: "x", yLabel: "y", series: series).render())
    XCTAssertEqual(try alone.nodes(forXPath: "//*[@class='legend']").count, 1)
    XCTAssertEqual(
      try alone.nodes(forXPath: "//*[@class='legend-entry']/@data-name").map(\.stringValue), ["a", "b"])
    var figure = SVGDocument(width: 800, height: 400)
    let chart = LineChart(title: "t", xLabel: "x", yLabel: "y", series: series, showsLegend: false)
    chart.draw(into: &figure, x: 0, y: 0, width: 400, height: 360)
    chart.draw(into: &figure, x: 400, y: 0, width: 400, height: 360)
    chart.legend.draw(into: &figure, x: 64, top: 380, width: 672)
    let document = try parse(figure)
    XCTAssertEqual(try document.nodes(forXPath: "//*[@class='legend']").count, 1)
    XCTAssertEqual(try document.nodes(forXPath: "//*[@class='legend-entry']").count, 2)
    XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='polyline'][@class='series']").count, 4)
  }
}
