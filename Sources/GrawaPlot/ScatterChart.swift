import Foundation

/// A scatter chart: one dot per point, one colour per named series, optional small labels next
/// to the dots, axes with ticks and a legend.
public struct ScatterChart: Sendable {
  /// One named group of points.
  public struct Series: Sendable {
    /// The legend's label.
    public var name: String
    /// The points (non-finite ones are left out).
    public var points: [(x: Double, y: Double)]
    /// A short label drawn beside each point (e.g. the seed), or empty for none.
    public var pointLabels: [String]
    /// The dots' colour; `nil` takes the next colour of ``seriesColors``.
    public var color: String?

    /// A series from its name and points, with optional per-point labels and colour.
    public init(name: String, points: [(x: Double, y: Double)], pointLabels: [String] = [], color: String? = nil) {
      self.name = name
      self.points = points
      self.pointLabels = pointLabels
      self.color = color
    }
  }

  /// The chart's title.
  public var title: String
  /// The horizontal axis label.
  public var xLabel: String
  /// The vertical axis label.
  public var yLabel: String
  /// The groups of points.
  public var series: [Series]

  /// A chart of `series`.
  public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.series = series
  }

  /// Draws the chart in the rectangle (`x`, `y`, `width`, `height`) of `svg`, legend included.
  /// Both axes get a 5% margin so no dot sits on the frame.
  public func draw(into svg: inout SVGDocument, x: Double, y: Double, width: Double, height: Double) {
    let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
    func padded(_ values: [Double]) -> ClosedRange<Double> {
      guard var low = values.min(), var high = values.max() else { return 0...1 }
      let pad = high > low ? (high - low) * 0.05 : max(abs(low) * 0.05, 0.5)
      low -= pad
      high += pad
      return low...high
    }
    let axes = Axes(
      x: x + 64, y: y + 30, width: width - 84, height: height - 96 - Legend.height(count: series.count),
      xDomain: padded(finite.map(\.x)), yDomain: padded(finite.map(\.y)))
    axes.draw(into: &svg, title: title, xLabel: xLabel, yLabel: yLabel)
    for (index, group) in series.enumerated() {
      let color = resolvedColor(group.color, index: index)
      for (pointIndex, point) in group.points.enumerated() where point.x.isFinite && point.y.isFinite {
        let pixel = axes.point(point.x, point.y)
        svg.circle(x: pixel.x, y: pixel.y, radius: 5, fill: color, stroke: "white", className: "point")
        if pointIndex < group.pointLabels.count, !group.pointLabels[pointIndex].isEmpty {
          svg.text(group.pointLabels[pointIndex], x: pixel.x + 7, y: pixel.y - 6, size: 10, fill: color)
        }
      }
    }
    let entries = series.enumerated().map { index, group in
      Legend.Entry(name: group.name, color: resolvedColor(group.color, index: index), dash: nil, marker: true)
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
