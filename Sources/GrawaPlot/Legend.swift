/// The legend under a chart: one entry per series, three to a row, each a sample of the series'
/// line (solid or dashed) or marker, followed by its name.
struct Legend {
  /// One entry: the series' name and how it is drawn.
  struct Entry {
    var name: String
    var color: String
    var dash: String?
    /// Draw a dot (scatter series) instead of a line sample.
    var marker: Bool
  }

  /// Entries per row.
  static let columns = 3
  /// Height of one row in pixels.
  static let rowHeight = 18.0

  /// The height `count` entries take.
  static func height(count: Int) -> Double {
    rowHeight * Double((count + columns - 1) / columns)
  }

  /// Draws `entries` in rows starting at (`x`, `top`) across `width` pixels.
  static func draw(_ entries: [Entry], into svg: inout SVGDocument, x: Double, top: Double, width: Double) {
    let column = width / Double(columns)
    for (index, entry) in entries.enumerated() {
      let lx = x + Double(index % columns) * column
      let ly = top + rowHeight * Double(index / columns)
      if entry.marker {
        svg.circle(x: lx + 11, y: ly - 4, radius: 5, fill: entry.color)
      } else {
        svg.line(x1: lx, y1: ly - 4, x2: lx + 22, y2: ly - 4, stroke: entry.color, width: 3, dash: entry.dash)
      }
      svg.text(entry.name, x: lx + 28, y: ly, size: 12)
    }
  }
}

/// The series colour for the `index`th series, unless `color` names one.
func resolvedColor(_ color: String?, index: Int) -> String {
  color ?? seriesColors[index % seriesColors.count]
}
