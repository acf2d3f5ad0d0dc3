/// A legend: one entry per series, in rows, each a sample of the series' line (solid or dashed)
/// and marker followed by its name. A figure of several charts draws one legend for all of them.
public struct Legend: Sendable {
  /// One entry: a name and how its series is drawn.
  public struct Entry: Sendable {
    /// The text shown.
    public var name: String
    /// The line's or marker's colour.
    public var color: String
    /// The line's dash pattern; `nil` for solid.
    public var dash: String?
    /// The marker shown on the line sample; `nil` for none.
    public var marker: MarkerShape?
    /// Whether a line sample is drawn (false for a scatter series: the marker alone).
    public var line: Bool
    /// Whether the marker is a ring (a series drawn over another with the same points).
    public var hollow: Bool

    /// An entry from its name and style.
    public init(
      name: String, color: String, dash: String? = nil, marker: MarkerShape? = nil, line: Bool = true,
      hollow: Bool = false
    ) {
      self.name = name
      self.color = color
      self.dash = dash
      self.marker = marker
      self.line = line
      self.hollow = hollow
    }
  }

  /// The entries, in order.
  public var entries: [Entry]

  /// A legend of `entries`.
  public init(_ entries: [Entry]) {
    self.entries = entries
  }

  /// Height of one row in pixels.
  public static let rowHeight = 18.0
  /// The narrowest a column may be, in pixels.
  static let minimumColumnWidth = 190.0

  /// Entries per row across `width` pixels: as many columns of at least 190 pixels as fit, at
  /// least one, at most the entry count.
  public func columns(width: Double) -> Int {
    max(1, min(entries.count, Int(width / Self.minimumColumnWidth)))
  }

  /// The height the legend takes across `width` pixels.
  public func height(width: Double) -> Double {
    guard !entries.isEmpty else { return 0 }
    let columns = columns(width: width)
    return Self.rowHeight * Double((entries.count + columns - 1) / columns)
  }

  /// Draws the entries in rows starting at (`x`, `top`) across `width` pixels, as one SVG group
  /// of class `legend` (each entry a group of class `legend-entry` named after it).
  public func draw(into svg: inout SVGDocument, x: Double, top: Double, width: Double) {
    guard !entries.isEmpty else { return }
    let columns = columns(width: width)
    let column = width / Double(columns)
    svg.group(className: "legend") { group in
      for (index, entry) in entries.enumerated() {
        let lx = x + Double(index % columns) * column
        let ly = top + Self.rowHeight * Double(index / columns)
        group.group(className: "legend-entry", name: entry.name) { item in
          if entry.line {
            item.line(x1: lx, y1: ly - 4, x2: lx + 28, y2: ly - 4, stroke: entry.color, width: 2.5, dash: entry.dash)
          }
          entry.marker?.draw(into: &item, x: lx + 14, y: ly - 4, color: entry.color, hollow: entry.hollow)
          item.text(entry.name, x: lx + 34, y: ly, size: 12)
        }
      }
    }
  }
}

/// The series colour for the `index`th series, unless `color` names one.
func resolvedColor(_ color: String?, index: Int) -> String {
  color ?? seriesColors[index % seriesColors.count]
}
