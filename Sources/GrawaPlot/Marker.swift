/// The shape of a point marker: lines mark their data points with one, legends show it.
public enum MarkerShape: String, Sendable, CaseIterable {
  case circle, square, triangle, diamond

  /// Draws the marker centred at (`x`, `y`), `size` pixels across: filled with `color` and a
  /// white edge, or (`hollow`) a ring in `color` that lets a marker drawn earlier at the same
  /// place show through.
  public func draw(
    into svg: inout SVGDocument, x: Double, y: Double, size: Double = 7, color: String, hollow: Bool = false,
    className: String? = nil, name: String? = nil
  ) {
    let r = size / 2
    let fill = hollow ? "none" : color
    let stroke = hollow ? color : "white"
    let width = hollow ? 1.5 : 0.75
    switch self {
    case .circle:
      svg.circle(x: x, y: y, radius: r, fill: fill, stroke: stroke, width: width, className: className, name: name)
    case .square:
      let s = r * 0.9
      svg.polygon(
        [(x - s, y - s), (x + s, y - s), (x + s, y + s), (x - s, y + s)], fill: fill, stroke: stroke, width: width,
        className: className, name: name)
    case .triangle:
      let s = r * 1.2
      svg.polygon(
        [(x, y - s), (x + s * 0.95, y + s * 0.6), (x - s * 0.95, y + s * 0.6)], fill: fill, stroke: stroke,
        width: width, className: className, name: name)
    case .diamond:
      let s = r * 1.2
      svg.polygon(
        [(x, y - s), (x + s, y), (x, y + s), (x - s, y)], fill: fill, stroke: stroke, width: width,
        className: className, name: name)
    }
  }

  /// The shape for the `index`th series: the cases in turn.
  public static func forIndex(_ index: Int) -> MarkerShape { allCases[index % allCases.count] }
}
