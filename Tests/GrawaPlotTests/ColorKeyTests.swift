import Foundation
import FoundationXML
import GrawaPlot
import XCTest

final class ColorKeyTests: XCTestCase {
  func testColorKey_drawsOneLabelledSwatchPerStop_lowestAtTheBottom() throws {
    let key = ColorKey(
      title: "f(x)", stops: [.init(value: -0.5, color: "#0000ff"), .init(value: 0, color: "#cccccc"), .init(value: 0.5, color: "#ff0000")])
    var svg = SVGDocument(width: 200, height: 200)
    key.draw(into: &svg, x: 10, y: 30, height: 150)
    let document = try XMLDocument(data: Data(svg.render().utf8))
    let swatches = try document.nodes(forXPath: "//*[@class='color-key']/*[@class='key-swatch']")
    XCTAssertEqual(try swatches.map { try XCTUnwrap($0.nodes(forXPath: "@fill").first?.stringValue) }, ["#0000ff", "#cccccc", "#ff0000"])
    let tops = try swatches.map { try XCTUnwrap(Double(XCTUnwrap($0.nodes(forXPath: "@y").first?.stringValue))) }
    XCTAssertEqual(tops, tops.sorted(by: >), "the lowest value at the bottom")
    let texts = try document.nodes(forXPath: "//*[@class='color-key']/*[local-name()='text']").compactMap(\.stringValue)
    XCTAssertEqual(texts, ["f(x)", "-0.5", "0.0", "0.5"])
  }
}
