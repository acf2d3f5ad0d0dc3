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
    var dots: [(x: Double, y: Double, color: String, label: String)] = []
    for (index, group) in series.enumerated() {
      let color = resolvedColor(group.color, index: index)
      for (pointIndex, point) in group.points.enumerated() where point.x.isFinite && point.y.isFinite {
        let pixel = axes.point(point.x, point.y)
        let label = pointIndex < group.pointLabels.count ? group.pointLabels[pointIndex] : ""
        dots.append((pixel.x, pixel.y, color, label))
        svg.circle(x: pixel.x, y: pixel.y, radius: Self.dotRadius, fill: color, stroke: "white", className: "point")
      }
    }
    let labels = Self.placeLabels(
      dots.map { ($0.x, $0.y, $0.label) },
      within: (axes.x, axes.y, axes.x + axes.width, axes.y + axes.height))
    for (dot, box) in zip(dots, labels) where !dot.label.isEmpty {
      svg.text(dot.label, x: box.minX, y: box.maxY - 1, size: Self.labelSize, fill: dot.color)
    }
    let entries = series.enumerated().map { index, group in
      Legend.Entry(name: group.name, color: resolvedColor(group.color, index: index), dash: nil, marker: true)
    }
    Legend.draw(entries, into: &svg, x: axes.x, top: axes.y + axes.height + 62, width: width - 84)
  }

  static let dotRadius = 5.0
  static let labelSize = 10.0

  /// An axis-aligned box in pixels.
  struct Box: Equatable {
    var minX, minY, maxX, maxY: Double

    func overlap(_ other: Box) -> Double {
      max(0, min(maxX, other.maxX) - max(minX, other.minX)) * max(0, min(maxY, other.maxY) - max(minY, other.minY))
    }
  }

  /// Where each dot's label goes: of eight places around the dot (right of it first, then the
  /// other sides), the one that overlaps the other dots, the labels already placed and the plot's
  /// edges least (the first such on a tie). Greedy, in the dots' order; an empty label gets an empty box at its dot. Text extent is
  /// estimated as 0.6 em per character, which is close for short sans-serif labels.
  static func placeLabels(
    _ dots: [(x: Double, y: Double, label: String)], within area: (minX: Double, minY: Double, maxX: Double, maxY: Double)
  ) -> [Box] {
    let dotBoxes = dots.map {
      Box(minX: $0.x - dotRadius, minY: $0.y - dotRadius, maxX: $0.x + dotRadius, maxY: $0.y + dotRadius)
    }
    let gap = 2.0
    var placed: [Box] = []
    var result: [Box] = []
    for dot in dots {
      guard !dot.label.isEmpty else {
        result.append(Box(minX: dot.x, minY: dot.y, maxX: dot.x, maxY: dot.y))
        continue
      }
      let width = Double(dot.label.count) * labelSize * 0.6
      let height = labelSize
      let near = dotRadius + gap
      let diagonal = near * 0.7
      let candidates: [(Double, Double)] = [
        (dot.x + near, dot.y - height / 2), (dot.x + diagonal, dot.y - diagonal - height),
        (dot.x + diagonal, dot.y + diagonal), (dot.x - near - width, dot.y - height / 2),
        (dot.x - diagonal - width, dot.y - diagonal - height), (dot.x - diagonal - width, dot.y + diagonal),
        (dot.x - width / 2, dot.y - near - height), (dot.x - width / 2, dot.y + near),
      ]
      var best: Box?
      var bestCost = Double.infinity
      for (left, top) in candidates {
        let box = Box(minX: left, minY: top, maxX: left + width, maxY: top + height)
        var cost = dotBoxes.reduce(0) { $0 + box.overlap($1) } + placed.reduce(0) { $0 + box.overlap($1) }
        let inside = Box(minX: area.minX, minY: area.minY, maxX: area.maxX, maxY: area.maxY).overlap(box)
        cost += 4 * (width * height - inside)
        if cost < bestCost {
          bestCost = cost
          best = box
        }
      }
      placed.append(best!)
      result.append(best!)
    }
    return result
  }

  /// The chart alone as an SVG document of `width` x `height` pixels.
  public func render(width: Double = 720, height: Double = 440) -> SVGDocument {
    var svg = SVGDocument(width: width, height: height)
    draw(into: &svg, x: 0, y: 0, width: width, height: height)
    return svg
  }
}
