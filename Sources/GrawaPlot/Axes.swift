/// A rectangular plotting area with its two scales: draws the frame, ticks, tick labels, axis
/// labels and a title.
public struct Axes: Sendable {
  /// Left, top, width and height of the plotting area in pixels.
  public let x: Double, y: Double, width: Double, height: Double
  /// Data to pixels, horizontally.
  public let xScale: LinearScale
  /// Data to pixels, vertically (larger values higher up).
  public let yScale: LinearScale

  /// An area at (`x`, `y`) of `width` x `height` pixels showing `xDomain` x `yDomain`.
  public init(
    x: Double, y: Double, width: Double, height: Double, xDomain: ClosedRange<Double>,
    yDomain: ClosedRange<Double>
  ) {
    self.x = x
    self.y = y
    self.width = width
    self.height = height
    xScale = LinearScale(domain: xDomain, range: (x, x + width))
    yScale = LinearScale(domain: yDomain, range: (y + height, y))
  }

  /// The pixel position of a data point.
  public func point(_ dataX: Double, _ dataY: Double) -> (x: Double, y: Double) {
    (xScale(dataX), yScale(dataY))
  }

  /// Draws the frame, light grid lines at the ticks, tick labels, the axis labels and the title.
  public func draw(into svg: inout SVGDocument, title: String, xLabel: String, yLabel: String) {
    let xTicks = xScale.ticks()
    let yTicks = yScale.ticks()
    let xStep = xTicks.count > 1 ? xTicks[1] - xTicks[0] : 1
    let yStep = yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1
    for tick in xTicks {
      let px = xScale(tick)
      svg.line(x1: px, y1: y, x2: px, y2: y + height, stroke: "#e6e6e6")
      svg.line(x1: px, y1: y + height, x2: px, y2: y + height + 5, stroke: "#444")
      svg.text(LinearScale.label(tick, step: xStep), x: px, y: y + height + 18, size: 11, anchor: "middle")
    }
    for tick in yTicks {
      let py = yScale(tick)
      svg.line(x1: x, y1: py, x2: x + width, y2: py, stroke: "#e6e6e6")
      svg.line(x1: x - 5, y1: py, x2: x, y2: py, stroke: "#444")
      svg.text(LinearScale.label(tick, step: yStep), x: x - 8, y: py + 4, size: 11, anchor: "end")
    }
    svg.rectangle(x: x, y: y, width: width, height: height, fill: "none", stroke: "#444")
    svg.text(title, x: x + width / 2, y: y - 10, size: 14, anchor: "middle", weight: "bold")
    svg.text(xLabel, x: x + width / 2, y: y + height + 36, size: 12, anchor: "middle")
    svg.text(yLabel, x: x - 46, y: y + height / 2, size: 12, anchor: "middle", rotate: -90)
  }
}
