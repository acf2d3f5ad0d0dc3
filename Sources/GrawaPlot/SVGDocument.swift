import Foundation

/// A minimal SVG writer: elements appended in drawing order, rendered as one well-formed XML
/// document (text is escaped, numbers are written with 2 decimals).
public struct SVGDocument: Sendable {
  /// Width in pixels.
  public let width: Double
  /// Height in pixels.
  public let height: Double
  private var elements: [String] = []

  /// An empty white canvas of `width` x `height` pixels.
  public init(width: Double, height: Double) {
    self.init(width: width, height: height, background: true)
  }

  private init(width: Double, height: Double, background: Bool) {
    self.width = width
    self.height = height
    if background { rectangle(x: 0, y: 0, width: width, height: height, fill: "white", stroke: "none") }
  }

  /// Defines a group `id` drawn by `draw` but not shown; ``use(_:dx:dy:)`` places copies of it.
  /// A figure that repeats the same drawing in several panels (contour maps) stores it once.
  public mutating func define(id: String, _ draw: (inout SVGDocument) -> Void) {
    var group = SVGDocument(width: width, height: height, background: false)
    draw(&group)
    elements.append(
      "<defs><g id=\"\(SVGDocument.escape(id))\">\n" + group.elements.joined(separator: "\n") + "\n</g></defs>")
  }

  /// Draws `draw`'s elements inside one `<g>` element of class `className` (a legend, a colour
  /// key), with `name` as its `data-name` attribute when given: readers of the SVG (tests, scripts)
  /// find a part of the figure by its class.
  public mutating func group(className: String, name: String? = nil, _ draw: (inout SVGDocument) -> Void) {
    var group = SVGDocument(width: width, height: height, background: false)
    draw(&group)
    let nameAttribute = name.map { " data-name=\"\(SVGDocument.escape($0))\"" } ?? ""
    elements.append(
      "<g class=\"\(SVGDocument.escape(className))\"\(nameAttribute)>\n" + group.elements.joined(separator: "\n")
        + "\n</g>")
  }

  /// A copy of the group ``define(id:_:)`` made, moved by (`dx`, `dy`).
  public mutating func use(_ id: String, dx: Double, dy: Double) {
    elements.append("<use xlink:href=\"#\(SVGDocument.escape(id))\" x=\"\(n(dx))\" y=\"\(n(dy))\"/>")
  }

  /// Separate line segments (contour lines, say) as one path: far smaller than one `line`
  /// element each. Coordinates are written to a tenth of a pixel.
  public mutating func segments(
    _ segments: [((x: Double, y: Double), (x: Double, y: Double))], stroke: String, width: Double = 1,
    className: String? = nil
  ) {
    guard !segments.isEmpty else { return }
    func p(_ value: Double) -> String { String(format: "%.1f", value) }
    var path = ""
    path.reserveCapacity(segments.count * 26)
    for (a, b) in segments where a.x.isFinite && a.y.isFinite && b.x.isFinite && b.y.isFinite {
      path += "M\(p(a.x)) \(p(a.y))L\(p(b.x)) \(p(b.y))"
    }
    let classAttribute = className.map { " class=\"\(SVGDocument.escape($0))\"" } ?? ""
    elements.append(
      "<path\(classAttribute) d=\"\(path)\" fill=\"none\" stroke=\"\(SVGDocument.escape(stroke))\" "
        + "stroke-width=\"\(n(width))\"/>")
  }

  /// A line segment.
  public mutating func line(
    x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1, dash: String? = nil
  ) {
    var attributes = "x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\""
    attributes += " stroke=\"\(SVGDocument.escape(stroke))\" stroke-width=\"\(n(width))\""
    if let dash { attributes += " stroke-dasharray=\"\(SVGDocument.escape(dash))\"" }
    elements.append("<line \(attributes)/>")
  }

  /// A polyline through `points` (non-finite points break it into separate polylines).
  /// `name`, when given, becomes the `data-name` attribute (the series a line belongs to).
  public mutating func polyline(
    _ points: [(x: Double, y: Double)], stroke: String, width: Double = 1.5, opacity: Double = 1,
    dash: String? = nil, className: String? = nil, name: String? = nil
  ) {
    var runs: [[(x: Double, y: Double)]] = [[]]
    for point in points {
      if point.x.isFinite && point.y.isFinite {
        runs[runs.count - 1].append(point)
      } else if !(runs.last?.isEmpty ?? true) {
        runs.append([])
      }
    }
    for run in runs where run.count >= 2 {
      let coordinates = run.map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " ")
      let classAttribute = className.map { " class=\"\(SVGDocument.escape($0))\"" } ?? ""
      let dashAttribute = dash.map { " stroke-dasharray=\"\(SVGDocument.escape($0))\"" } ?? ""
      let nameAttribute = name.map { " data-name=\"\(SVGDocument.escape($0))\"" } ?? ""
      elements.append(
        "<polyline\(classAttribute)\(nameAttribute) points=\"\(coordinates)\" fill=\"none\" stroke=\"\(SVGDocument.escape(stroke))\" "
          + "stroke-width=\"\(n(width))\" stroke-opacity=\"\(n(opacity))\"\(dashAttribute) stroke-linejoin=\"round\"/>")
    }
  }

  /// A rectangle.
  public mutating func rectangle(
    x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String = "none",
    className: String? = nil
  ) {
    let classAttribute = className.map { " class=\"\(SVGDocument.escape($0))\"" } ?? ""
    elements.append(
      "<rect\(classAttribute) x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(width))\" height=\"\(n(height))\" "
        + "fill=\"\(SVGDocument.escape(fill))\" stroke=\"\(SVGDocument.escape(stroke))\"/>")
  }

  /// A circle.
  public mutating func circle(
    x: Double, y: Double, radius: Double, fill: String, stroke: String = "none", width: Double? = nil,
    className: String? = nil, name: String? = nil
  ) {
    let widthAttribute = width.map { " stroke-width=\"\(n($0))\"" } ?? ""
    let classAttribute = className.map { " class=\"\(SVGDocument.escape($0))\"" } ?? ""
    let nameAttribute = name.map { " data-name=\"\(SVGDocument.escape($0))\"" } ?? ""
    elements.append(
      "<circle\(classAttribute)\(nameAttribute) cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"\(n(radius))\" fill=\"\(SVGDocument.escape(fill))\" "
        + "stroke=\"\(SVGDocument.escape(stroke))\"\(widthAttribute)/>")
  }

  /// A closed polygon through `points` (markers: squares, triangles, diamonds).
  public mutating func polygon(
    _ points: [(x: Double, y: Double)], fill: String, stroke: String = "none", width: Double = 1,
    className: String? = nil, name: String? = nil
  ) {
    let coordinates = points.map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " ")
    let classAttribute = className.map { " class=\"\(SVGDocument.escape($0))\"" } ?? ""
    let nameAttribute = name.map { " data-name=\"\(SVGDocument.escape($0))\"" } ?? ""
    elements.append(
      "<polygon\(classAttribute)\(nameAttribute) points=\"\(coordinates)\" fill=\"\(SVGDocument.escape(fill))\" "
        + "stroke=\"\(SVGDocument.escape(stroke))\" stroke-width=\"\(n(width))\"/>")
  }

  /// Text anchored at (`x`, `y`): `anchor` is `start`, `middle` or `end`.
  public mutating func text(
    _ string: String, x: Double, y: Double, size: Double = 12, anchor: String = "start", weight: String = "normal",
    rotate: Double? = nil, fill: String = "#222"
  ) {
    let transform = rotate.map { " transform=\"rotate(\(n($0)) \(n(x)) \(n(y)))\"" } ?? ""
    elements.append(
      "<text x=\"\(n(x))\" y=\"\(n(y))\" font-family=\"sans-serif\" font-size=\"\(n(size))\" "
        + "text-anchor=\"\(anchor)\" font-weight=\"\(weight)\" fill=\"\(SVGDocument.escape(fill))\"\(transform)>"
        + "\(SVGDocument.escape(string))</text>")
  }

  /// The document as SVG text.
  public func render() -> String {
    var output = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    output += "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"\(n(width))\" height=\"\(n(height))\" "
    output += "viewBox=\"0 0 \(n(width)) \(n(height))\">\n"
    for element in elements { output += element + "\n" }
    output += "</svg>\n"
    return output
  }

  /// Writes the document to `url`, atomically.
  /// - Throws: the file system's error.
  public func write(to url: URL) throws {
    try Data(render().utf8).write(to: url, options: .atomic)
  }

  /// `string` with XML's special characters escaped.
  public static func escape(_ string: String) -> String {
    var escaped = ""
    for character in string {
      switch character {
      case "&": escaped += "&amp;"
      case "<": escaped += "&lt;"
      case ">": escaped += "&gt;"
      case "\"": escaped += "&quot;"
      case "'": escaped += "&apos;"
      default: escaped.append(character)
      }
    }
    return escaped
  }

  private func n(_ value: Double) -> String { String(format: "%.2f", value) }
}

/// Series colours that stay distinguishable (Okabe-Ito, colour-blind safe), in order.
public let seriesColors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
