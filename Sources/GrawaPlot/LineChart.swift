import Foundation

/// A line chart: one line per series, a marker on each data point, axes with ticks, a legend.
///
/// Lines that run over one another stay visible: a series with segments that coincide with an
/// earlier series' is drawn a few pixels up or down (``LineChart/overlapOffsets``) with hollow
/// markers, so the line beneath shows through; one that coincides along half its segments or more
/// also gets a dash pattern of its own, shown in the legend (unless ``dashesOverlaps`` is off).
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
    /// The marker on each point; `nil` takes the next of ``MarkerShape/allCases``.
    public var marker: MarkerShape?
    /// The line's width in pixels.
    public var width: Double

    /// A series from its name and points, optionally with its own colour, dash pattern, marker
    /// and width.
    public init(
      name: String, points: [(x: Double, y: Double)], color: String? = nil, dash: String? = nil,
      marker: MarkerShape? = nil, width: Double = 2
    ) {
      self.name = name
      self.points = points
      self.color = color
      self.dash = dash
      self.marker = marker
      self.width = width
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
  /// Whether ``draw(into:x:y:width:height:)`` draws the legend under the chart (false when the
  /// figure draws one legend for several charts).
  public var showsLegend: Bool
  /// Whether a series overlapping another along much of its length gets a dash pattern of its own
  /// (off in a figure whose shared legend must show one style per series in every chart: the
  /// offsets and hollow markers still tell the lines apart).
  public var dashesOverlaps: Bool

  /// Series with more finite points than this are drawn without markers (a long curve's points
  /// are pixels apart; markers would hide the line).
  public static let markerLimit = 60

  /// A chart of `series`.
  public init(
    title: String, xLabel: String, yLabel: String, series: [Series], showsLegend: Bool = true,
    dashesOverlaps: Bool = true
  ) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.series = series
    self.showsLegend = showsLegend
    self.dashesOverlaps = dashesOverlaps
  }

  /// The data ranges the axes show: the finite points' extent, y padded by 5% each way.
  var domains: (x: ClosedRange<Double>, y: ClosedRange<Double>) {
    let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
    let xs = finite.map(\.x)
    let ys = finite.map(\.y)
    var yLow = ys.min() ?? 0
    var yHigh = ys.max() ?? 1
    let pad = (yHigh - yLow) * 0.05
    yLow -= pad
    yHigh += pad
    return ((xs.min() ?? 0)...(xs.max() ?? 1), yLow...yHigh)
  }

  /// The series as drawn: every colour and marker chosen, and a dash pattern of its own for each
  /// series that overlaps an earlier one with the same dash (``distinguishingOverlaps(_:)``).
  public var resolvedSeries: [Series] {
    let chart = Self.distinguishingOverlaps([self])[0]
    return chart.series.enumerated().map { index, line in
      var line = line
      line.color = resolvedColor(line.color, index: index)
      line.marker = line.marker ?? MarkerShape.forIndex(index)
      return line
    }
  }

  /// The legend of the series as drawn.
  public var legend: Legend {
    let overlapping = Self.overlaps(in: self, share: Self.dashingShare).map { dashesOverlaps && !$0.isEmpty }
    return Legend(
      resolvedSeries.enumerated().map { index, line in
        let finite = line.points.filter { $0.x.isFinite && $0.y.isFinite }.count
        return Legend.Entry(
          name: line.name, color: line.color ?? "#000", dash: line.dash,
          marker: finite <= Self.markerLimit ? line.marker : nil, hollow: overlapping[index])
      })
  }

  /// Draws the chart in the rectangle (`x`, `y`, `width`, `height`) of `svg`, with its legend
  /// unless ``showsLegend`` is false.
  public func draw(into svg: inout SVGDocument, x: Double, y: Double, width: Double, height: Double) {
    let (xDomain, yDomain) = domains
    let legend = legend
    let legendBlock = showsLegend ? legend.height(width: width - 84) + 16 : 0
    let axes = Axes(
      x: x + 64, y: y + 30, width: width - 84, height: height - 80 - legendBlock, xDomain: xDomain,
      yDomain: yDomain)
    axes.draw(into: &svg, title: title, xLabel: xLabel, yLabel: yLabel)
    let overlaps = Self.overlaps(in: self)
    let offsets = Self.overlapOffsets(overlaps)
    for (index, line) in resolvedSeries.enumerated() {
      let color = line.color ?? "#000"
      let pixels = line.points.map { point -> (x: Double, y: Double) in
        let pixel = axes.point(point.x, point.y)
        return (pixel.x, pixel.y - offsets[index])
      }
      svg.polyline(pixels, stroke: color, width: line.width, dash: line.dash, className: "series", name: line.name)
      let finite = pixels.filter { $0.x.isFinite && $0.y.isFinite }
      guard finite.count <= Self.markerLimit, let marker = line.marker else { continue }
      for pixel in finite {
        marker.draw(
          into: &svg, x: pixel.x, y: pixel.y, color: color, hollow: !overlaps[index].isEmpty, className: "marker",
          name: line.name)
      }
    }
    if showsLegend {
      legend.draw(into: &svg, x: axes.x, top: axes.y + axes.height + 62, width: axes.width)
    }
  }

  /// The chart alone as an SVG document of `width` x `height` pixels.
  public func render(width: Double = 720, height: Double = 440) -> SVGDocument {
    var svg = SVGDocument(width: width, height: height)
    draw(into: &svg, x: 0, y: 0, width: width, height: height)
    return svg
  }
}
