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
  /// Whether ``draw(into:x:y:width:height:)`` draws the legend under the chart (false when the
  /// figure draws one legend for several charts).
  public var showsLegend: Bool

  /// A chart of `series`.
  public init(title: String, xLabel: String, yLabel: String, series: [Series], showsLegend: Bool = true) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.series = series
    self.showsLegend = showsLegend
  }

  /// The legend: one dot per series in its colour.
  public var legend: Legend {
    Legend(
      series.enumerated().map { index, group in
        Legend.Entry(name: group.name, color: resolvedColor(group.color, index: index), marker: .circle, line: false)
      })
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
    let legendBlock = showsLegend ? legend.height(width: width - 84) + 16 : 0
    let axes = Axes(
      x: x + 64, y: y + 30, width: width - 84, height: height - 80 - legendBlock,
      xDomain: padded(finite.map(\.x)), yDomain: padded(finite.map(\.y)))
    axes.draw(into: &svg, title: title, xLabel: xLabel, yLabel: yLabel)
    var dots: [(x: Double, y: Double, color: String, label: String)] = []
    for (index, group) in series.enumerated() {
      let color = resolvedColor(group.color, index: index)
      for (pointIndex, point) in group.points.enumerated() where point.x.isFinite && point.y.isFinite {
        let pixel = axes.point(point.x, point.y)
        let label = pointIndex < group.pointLabels.count ? group.pointLabels[pointIndex] : ""
        dots.append((pixel.x, pixel.y, color, label))
        svg.circle(
          x: pixel.x, y: pixel.y, radius: Self.dotRadius, fill: color, stroke: "white", className: "point",
          name: group.name)
      }
    }
    let plotArea = Box(minX: axes.x, minY: axes.y, maxX: axes.x + axes.width, maxY: axes.y + axes.height)
    let labels = Self.placeLabels(dots.map { ($0.x, $0.y, $0.label) }, within: plotArea)
    for (dot, box) in zip(dots, labels) {
      guard let box else { continue }
      svg.text(dot.label, x: box.minX, y: box.maxY - 1, size: Self.labelSize, fill: dot.color)
    }
    if showsLegend {
      legend.draw(into: &svg, x: axes.x, top: axes.y + axes.height + 62, width: axes.width)
    }
  }

  static let dotRadius = 5.0
  static let labelSize = 10.0

  /// An axis-aligned box in pixels.
  struct Box {
    var minX, minY, maxX, maxY: Double

    var area: Double { (maxX - minX) * (maxY - minY) }

    func overlap(_ other: Box) -> Double {
      max(0, min(maxX, other.maxX) - max(minX, other.minX)) * max(0, min(maxY, other.maxY) - max(minY, other.minY))
    }
  }

  /// Where each dot's label goes: of eight places around the dot (right of it first, then the
  /// other sides), the one that overlaps the other dots, the labels already placed and the plot's
  /// edges least (the first such on a tie). Greedy, in the dots' order; `nil` for an empty label.
  /// Text extent is estimated as 0.6 em per character, close for short sans-serif labels.
  static func placeLabels(_ dots: [(x: Double, y: Double, label: String)], within plotArea: Box) -> [Box?] {
    let dotBoxes = dots.map {
      Box(minX: $0.x - dotRadius, minY: $0.y - dotRadius, maxX: $0.x + dotRadius, maxY: $0.y + dotRadius)
    }
    let near = dotRadius + 2
    let diagonal = near * 0.7
    let height = labelSize
    var placed: [Box] = []
    return dots.map { dot -> Box? in
      guard !dot.label.isEmpty else { return nil }
      let width = Double(dot.label.count) * labelSize * 0.6
      let corners: [(left: Double, top: Double)] = [
        (dot.x + near, dot.y - height / 2), (dot.x + diagonal, dot.y - diagonal - height),
        (dot.x + diagonal, dot.y + diagonal), (dot.x - near - width, dot.y - height / 2),
        (dot.x - diagonal - width, dot.y - diagonal - height), (dot.x - diagonal - width, dot.y + diagonal),
        (dot.x - width / 2, dot.y - near - height), (dot.x - width / 2, dot.y + near),
      ]
      let scored = corners.map { corner -> (box: Box, cost: Double) in
        let box = Box(minX: corner.left, minY: corner.top, maxX: corner.left + width, maxY: corner.top + height)
        let covered = dotBoxes.reduce(0) { $0 + box.overlap($1) } + placed.reduce(0) { $0 + box.overlap($1) }
        return (box, covered + 4 * (box.area - plotArea.overlap(box)))
      }
      let best = scored.min { $0.cost < $1.cost }!.box
      placed.append(best)
      return best
    }
  }

  /// The chart alone as an SVG document of `width` x `height` pixels.
  public func render(width: Double = 720, height: Double = 440) -> SVGDocument {
    var svg = SVGDocument(width: width, height: height)
    draw(into: &svg, x: 0, y: 0, width: width, height: height)
    return svg
  }
}
