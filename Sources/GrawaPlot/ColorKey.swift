/// A colour key: a vertical bar of colour swatches, each labelled with the value it stands for
/// (a contour map's levels, say), under a title.
public struct ColorKey: Sendable {
  /// One swatch: a value and its colour.
  public struct Stop: Sendable {
    /// The value the colour stands for.
    public var value: Double
    /// The colour.
    public var color: String

    /// A stop from its value and colour.
    public init(value: Double, color: String) {
      self.value = value
      self.color = color
    }
  }

  /// The text above the bar.
  public var title: String
  /// The swatches, drawn from the bottom up in this order (give them lowest value first).
  public var stops: [Stop]

  /// A key of `stops` under `title`.
  public init(title: String, stops: [Stop]) {
    self.title = title
    self.stops = stops
  }

  /// Draws the key with the bar's top left at (`x`, `y`), the bar `width` x `height` pixels and
  /// the labels to its right, as one SVG group of class `color-key` (swatches of class
  /// `key-swatch`, labels of class-less text after them).
  public func draw(into svg: inout SVGDocument, x: Double, y: Double, width: Double = 18, height: Double) {
    guard !stops.isEmpty else { return }
    let swatch = height / Double(stops.count)
    let values = stops.map(\.value)
    let step = zip(values, values.dropFirst()).map { abs($1 - $0) }.filter { $0 > 0 }.min() ?? 1
    svg.group(className: "color-key") { group in
      group.text(title, x: x, y: y - 10, size: 12, weight: "bold")
      for (index, stop) in stops.enumerated() {
        let top = y + height - swatch * Double(index + 1)
        group.rectangle(
          x: x, y: top, width: width, height: swatch, fill: stop.color, stroke: "#666", className: "key-swatch")
        group.text(LinearScale.label(stop.value, step: step), x: x + width + 6, y: top + swatch / 2 + 4, size: 11)
      }
    }
  }
}
