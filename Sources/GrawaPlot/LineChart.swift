import Foundation

/// A line chart: one line per series, axes with ticks, a legend.
public struct LineChart: Sendable {
  /// One named line.
  public struct Series: Sendable {
    /// The legend's label.
    public var name: String
    /// The points, in drawing order (non-finite values leave gaps).
    public var points: [(x: Double, y: Double)]

    /// A series from its name and points.
    public init(name: String, points: [(x: Double, y: Double)]) {
      self.name = name
      self.points = points
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
    let legendHeight = 18.0 * Double((series.count + 2) / 3)
    let axes = Axes(
      x: x + 64, y: y + 30, width: width - 84, height: height - 96 - legendHeight, xDomain: xDomain,
      yDomain: yLow...yHigh)
    axes.draw(into: &svg, title: title, xLabel: xLabel, yLabel: yLabel)
    for (index, line) in series.enumerated() {
      let color = seriesColors[index % seriesColors.count]
      svg.polyline(line.points.map { axes.point($0.x, $0.y) }, stroke: color, width: 2, className: "series")
    }
    // Legend: three entries per row under the plot.
    let top = axes.y + axes.height + 62
    let column = (width - 84) / 3
    for (index, line) in series.enumerated() {
      let color = seriesColors[index % seriesColors.count]
      let lx = axes.x + Double(index % 3) * column
      let ly = top + 18 * Double(index / 3)
      svg.line(x1: lx, y1: ly - 4, x2: lx + 22, y2: ly - 4, stroke: color, width: 3)
      svg.text(line.name, x: lx + 28, y: ly, size: 12)
    }
  }

  /// The chart alone as an SVG document of `width` x `height` pixels.
  public func render(width: Double = 720, height: Double = 440) -> SVGDocument {
    var svg = SVGDocument(width: width, height: height)
    draw(into: &svg, x: 0, y: 0, width: width, height: height)
    return svg
  }
}
