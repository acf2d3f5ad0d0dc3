import Foundation
import FoundationXML
import GrawaPlot
import XCTest

final class SVGTests: XCTestCase {
  private func parse(_ svg: SVGDocument) throws -> XMLDocument {
    try XMLDocument(data: Data(svg.render().utf8))
  }

  func testLineChart_isWellFormedXMLWithOnePolylinePerSeries() throws {
    let chart = LineChart(
      title: "a < b & \"c\"", xLabel: "x", yLabel: "y",
      series: [
        .init(name: "one", points: [(0, 1), (1, 2), (2, 1.5)]),
        .init(name: "two <2>", points: [(0, 0), (2, 3)]),
        .init(name: "three", points: [(0, 2), (1, .nan), (2, 2)]),
      ])
    let document = try parse(chart.render())
    let series = try document.nodes(forXPath: "//*[local-name()='polyline'][@class='series']")
    // The third series has a gap (NaN), which leaves two one-point runs: nothing to draw.
    XCTAssertEqual(series.count, 2)
    let texts = try document.nodes(forXPath: "//*[local-name()='text']").compactMap(\.stringValue)
    XCTAssertTrue(texts.contains("a < b & \"c\""), "escaped text round-trips: \(texts)")
    XCTAssertTrue(texts.contains("two <2>"))
    XCTAssertTrue(texts.contains("three"), "every series is in the legend")
  }

  func testPolyline_splitsAtNonFinitePoints() throws {
    var svg = SVGDocument(width: 10, height: 10)
    svg.polyline([(0, 0), (1, 1), (.nan, 2), (3, 3), (4, 4), (5, .infinity)], stroke: "red", className: "s")
    let lines = try parse(svg).nodes(forXPath: "//*[local-name()='polyline']")
    XCTAssertEqual(lines.count, 2)
  }

  func testSegments_areOnePathWithOneMoveAndOneLinePerSegment() throws {
    var svg = SVGDocument(width: 10, height: 10)
    svg.segments([((0, 0), (1, 1)), ((2, 2.25), (3, .nan)), ((4, 4), (5, 5.04))], stroke: "blue", className: "c")
    let paths = try parse(svg).nodes(forXPath: "//*[local-name()='path'][@class='c']/@d")
    XCTAssertEqual(paths.map(\.stringValue), ["M0.0 0.0L1.0 1.0M4.0 4.0L5.0 5.0"], "the non-finite segment is left out")
  }

  func testDefineAndUse_storeADrawingOnceAndPlaceCopies() throws {
    var svg = SVGDocument(width: 100, height: 100)
    svg.define(id: "mark") { group in group.circle(x: 5, y: 5, radius: 2, fill: "red") }
    svg.use("mark", dx: 10, dy: 0)
    svg.use("mark", dx: 20, dy: 30)
    let document = try parse(svg)
    XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='defs']/*[@id='mark']/*[local-name()='circle']").count, 1)
    XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='use']/@y").map(\.stringValue), ["0.00", "30.00"])
    XCTAssertTrue(svg.render().contains("xlink:href=\"#mark\""))
    XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='rect']").count, 1, "the group has no background")
  }

  func testLinearScale_mapsAndTicksRoundNumbers() {
    let scale = LinearScale(domain: 0...1, range: (100, 200))
    XCTAssertEqual(scale(0), 100)
    XCTAssertEqual(scale(0.25), 125)
    XCTAssertEqual(scale(1), 200)
    let flipped = LinearScale(domain: 0...10, range: (300, 0))
    XCTAssertEqual(flipped(10), 0)
    XCTAssertEqual(scale.ticks(count: 5), [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1].map { $0 }, "steps of 0.2")
    XCTAssertEqual(LinearScale(domain: 0.25...10, range: (0, 1)).ticks(count: 5), [2, 4, 6, 8, 10])
    // Span 11.5: a step of 2 (5 ticks) is nearer to 11.5 / 5 than 5 (2 ticks) is.
    XCTAssertEqual(LinearScale(domain: 10.01...21.5, range: (0, 1)).ticks(count: 5), [12, 14, 16, 18, 20])
    XCTAssertEqual(LinearScale(domain: 3...3, range: (0, 1)).domain.lowerBound, 2.85, accuracy: 1e-12)
  }

  func testContourLines_ofAPlaneAreStraight() {
    // f(x, y) = x on a 3x3 grid over [0, 2]^2: the level 0.5 crosses the two cells of the first
    // column at x = 0.5, one segment per cell.
    let xs = [0.0, 1, 2]
    let ys = [0.0, 1, 2]
    let values = ys.map { _ in xs }
    let segments = ContourLines.segments(xs: xs, ys: ys, values: values, level: 0.5)
    XCTAssertEqual(segments.count, 2)
    for segment in segments {
      XCTAssertEqual(segment.0.x, 0.5)
      XCTAssertEqual(segment.1.x, 0.5)
    }
    XCTAssertTrue(ContourLines.segments(xs: xs, ys: ys, values: values, level: 5).isEmpty)
  }

  func testLineChart_keepsAGivenColourAndDashAndShowsThemInTheLegend() throws {
    let chart = LineChart(
      title: "t", xLabel: "x", yLabel: "y",
      series: [
        .init(name: "solid", points: [(0, 1), (1, 2)], color: "#123456"),
        .init(name: "dashed", points: [(0, 2), (1, 1)], color: "#123456", dash: "6 3"),
      ])
    let document = try parse(chart.render())
    let strokes = try document.nodes(forXPath: "//*[local-name()='polyline'][@class='series']/@stroke")
    XCTAssertEqual(strokes.map(\.stringValue), ["#123456", "#123456"])
    let dashes = try document.nodes(forXPath: "//*[local-name()='polyline'][@class='series']/@stroke-dasharray")
    XCTAssertEqual(dashes.map(\.stringValue), ["6 3"], "only the second series is dashed")
    let legendLines = try document.nodes(forXPath: "//*[local-name()='line'][@stroke-dasharray='6 3']")
    XCTAssertEqual(legendLines.count, 1, "the legend's sample of the dashed series is dashed too")
  }

  func testScatterChart_drawsOneDotPerFinitePointWithLabelsAndALegend() throws {
    let chart = ScatterChart(
      title: "error vs sharpness", xLabel: "Frobenius", yLabel: "error",
      series: [
        .init(name: "lsgd", points: [(300, 0.16), (340, 0.17)], pointLabels: ["s0", "s1"]),
        .init(name: "mgrawa", points: [(250, 0.18), (.nan, 0.2), (260, 0.19)]),
      ])
    let document = try parse(chart.render())
    let dots = try document.nodes(forXPath: "//*[local-name()='circle'][@class='point']")
    XCTAssertEqual(dots.count, 4, "the non-finite point is left out")
    let texts = try document.nodes(forXPath: "//*[local-name()='text']").compactMap(\.stringValue)
    for expected in ["error vs sharpness", "Frobenius", "error", "lsgd", "mgrawa", "s0", "s1"] {
      XCTAssertTrue(texts.contains(expected), "\(expected) in \(texts)")
    }
    // Two legend markers (unclassed circles), one per series.
    XCTAssertEqual(try document.nodes(forXPath: "//*[local-name()='circle'][not(@class)]").count, 2)
  }

  private func number(_ attribute: String, of node: XMLNode) throws -> Double {
    let text = try XCTUnwrap(try node.nodes(forXPath: "@\(attribute)").first?.stringValue, "@\(attribute)")
    return try XCTUnwrap(Double(text), "@\(attribute) = \(text)")
  }

  func testScatterChart_placesLabelsOfClusteredPointsWithoutOverlap() throws {
    // Four labelled points a few pixels apart and one far away, as in a comparison where three
    // strategies end close together and one far off.
    let chart = ScatterChart(
      title: "t", xLabel: "x", yLabel: "y",
      series: [
        .init(name: "a", points: [(167, 10.4), (252, 10.7)], pointLabels: ["s0", "s1"]),
        .init(name: "b", points: [(176, 10.6), (269, 10.8)], pointLabels: ["s0", "s1"]),
        .init(name: "c", points: [(3114, 23.9)], pointLabels: ["s1"]),
      ])
    let document = try parse(chart.render(width: 600, height: 440))
    let labels = try document.nodes(forXPath: "//*[local-name()='text'][@font-size='10.00']")
    XCTAssertEqual(labels.count, 5)
    // Boxes from the drawn positions: the baseline sits 1 px above the box's bottom, 0.6 em per
    // character, as the chart estimates them.
    let boxes = try labels.map { element -> (Double, Double, Double, Double) in
      let x = try number("x", of: element)
      let y = try number("y", of: element)
      let width = Double(try XCTUnwrap(element.stringValue).count) * 6
      return (x, y + 1 - 10, x + width, y + 1)
    }
    let dots = try document.nodes(forXPath: "//*[local-name()='circle'][@class='point']")
      .map { (try number("cx", of: $0), try number("cy", of: $0)) }
    XCTAssertEqual(dots.count, 5)
    for i in boxes.indices {
      XCTAssertTrue(boxes[i].0 >= 0 && boxes[i].2 <= 600 && boxes[i].1 >= 0, "label \(i) inside the picture")
      for j in boxes.indices where j > i {
        let overlapX = min(boxes[i].2, boxes[j].2) - max(boxes[i].0, boxes[j].0)
        let overlapY = min(boxes[i].3, boxes[j].3) - max(boxes[i].1, boxes[j].1)
        XCTAssertFalse(overlapX > 0 && overlapY > 0, "labels \(i) and \(j) overlap: \(boxes[i]) \(boxes[j])")
      }
      for (k, dot) in dots.enumerated() {
        let nearestX = min(max(dot.0, boxes[i].0), boxes[i].2)
        let nearestY = min(max(dot.1, boxes[i].1), boxes[i].3)
        XCTAssertGreaterThanOrEqual(
          hypot(nearestX - dot.0, nearestY - dot.1), 5 - 1e-9, "label \(i) covers dot \(k)")
      }
    }
  }
}
