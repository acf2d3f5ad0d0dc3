import Foundation

/// A line chart: one line per series, axes with ticks, a legend.
public struct LineChart: Sendable {
  /// One named line.
  public struct Series: Sendable {
    /// The legend's label.
    public var name: String
    /// The points, in drawing order (non-finite values leave gaps).
    public var points: [(x: Double, y: Double)]
    /// The line's colour; `nil` takes the next colour of ``seriesColors``.
    public var color: String?
    /// An SVG dash pattern (e.g. `"6 4"`); `nil` draws a solid line.
    public var dash: String?

    /// A series from its name and points, optionally with its own colour and dash pattern.
    public init(name: String, points: [(x: Double, y: Double)], color: String? = nil, dash: String? = nil) {
      self.name = name
      self.points = points
      self.color = color
      self.dash = dash
    }
  }

  /// The chart's title.
  public var title: String
  /// The horizontal axis label.
  public var xLabel: String
  /// The vertical axis label.
  public var yLabel: String
  /// The lines.
  public var series: [Series]

  /// A chart of `series`.
  public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.series = series
  }

  /// Draws the chart in the rectangle (`x`, `y`, `width`, `height`) of `svg`, legend included.
  public func draw(into svg: inout SVGDocument, x: Double, y: Double, width: Double, height: Double) {
    let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
    let xs = finite.map(\.x)
    let ys = finite.map(\.y)
    let xDomain = (xs.min() ?? 0)...(xs.max() ?? 1)
    var yLow = ys.min() ?? 0
    var yHigh = ys.max() ?? 1
    let pad = (yHigh - yLow) * 0.05
    yLow -= pad
    yHigh += pad
    let legendHeight = Legend.height(count: series.count)
    let axes = Axes(
      x: x + 64, y: y + 30, width: width - 84, height: height - 96 - legendHeight, xDomain: xDomain,
      yDomain: yLow...yHigh)
    axes.draw(into: &svg, title: title, xLabel: xLabel, yLabel: yLabel)
    for (index, line) in series.enumerated() {
      svg.polyline(
        line.points.map { axes.point($0.x, $0.y) }, stroke: resolvedColor(line.color, index: index), width: 2,
        dash: line.dash, className: "series")
    }
    let entries = series.enumerated().map { index, line in
      Legend.Entry(name: line.name, color: resolvedColor(line.color, index: index), dash: line.dash, marker: false)
    }
    Legend.draw(entries, into: &svg, x: axes.x, top: axes.y + axes.height + 62, width: width - 84)
  }

  /// The chart alone as an SVG document of `width` x `height` pixels.
  public func render(width: Double = 720, height: Double = 440) -> SVGDocument {
    var svg = SVGDocument(width: width, height: height)
    draw(into: &svg, x: 0, y: 0, width: width, height: height)
    return svg
  }
}
