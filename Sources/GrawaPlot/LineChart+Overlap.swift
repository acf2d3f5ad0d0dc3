/// Finding lines that run over one another, and telling them apart.
extension LineChart {
  /// Dash patterns given to a series that overlaps an earlier one, in order of preference.
  public static let overlapDashes = ["7 4", "2 3", "10 3 2 3", "4 2 1 2", "1 5"]

  /// Two points coincide when they are this close as a share of the chart's x and y spans (about
  /// a pixel or two on a chart a few hundred pixels across).
  static let overlapTolerance = 0.006

  /// For each series, the earlier series it overlaps: those sharing more than `share` of its
  /// segments (a segment is shared when both its ends coincide with points of the other series;
  /// `share` 0: at least one segment), or, for a series of one finite point, that point.
  static func overlaps(in chart: LineChart, share: Double = 0) -> [[Int]] {
    let (xDomain, yDomain) = chart.domains
    let xTolerance = max(xDomain.upperBound - xDomain.lowerBound, 1e-12) * overlapTolerance
    let yTolerance = max(yDomain.upperBound - yDomain.lowerBound, 1e-12) * overlapTolerance
    let finite = chart.series.map { $0.points.filter { $0.x.isFinite && $0.y.isFinite } }
    func coincide(_ a: (x: Double, y: Double), _ b: (x: Double, y: Double)) -> Bool {
      abs(a.x - b.x) <= xTolerance && abs(a.y - b.y) <= yTolerance
    }
    func overlap(_ later: [(x: Double, y: Double)], _ earlier: [(x: Double, y: Double)]) -> Bool {
      let on = later.map { point in earlier.contains { coincide(point, $0) } }
      if later.count == 1 { return on[0] }
      let shared = zip(on, on.dropFirst()).filter { $0 && $1 }.count
      return shared > 0 && Double(shared) >= share * Double(later.count - 1)
    }
    return finite.indices.map { index in
      (0..<index).filter { overlap(finite[index], finite[$0]) }
    }
  }

  /// Pixels each series is moved up (negative: down) so that overlapping lines lie side by side:
  /// 0 for a series that overlaps no earlier one, then +2.5, -2.5, +5, -5 by how many of the
  /// series it overlaps are already moved. The data are unchanged; a line is at most 5 pixels
  /// from its true place.
  static func overlapOffsets(_ overlaps: [[Int]]) -> [Double] {
    let steps = [0, 2.5, -2.5, 5, -5]
    var offsets: [Double] = []
    for earlier in overlaps {
      guard !earlier.isEmpty else {
        offsets.append(0)
        continue
      }
      let taken = Set(earlier.map { offsets[$0] })
      offsets.append(steps.first { !taken.contains($0) } ?? 0)
    }
    return offsets
  }

  /// Overlapping this share of its segments or more, a series gets a dash pattern of its own.
  public static let dashingShare = 0.5

  /// `charts` with each series that overlaps an earlier series of the same dash along at least
  /// ``dashingShare`` of its segments (in any of the charts, series matched by name) given a dash
  /// pattern of ``overlapDashes`` that none of the series it overlaps has. A figure of several
  /// charts may call this once for all of them, so a series keeps one dash pattern in every
  /// chart and in the shared legend (or turn ``LineChart/dashesOverlaps`` off and rely on offsets).
  public static func distinguishingOverlaps(_ charts: [LineChart]) -> [LineChart] {
    var dashes: [String: String?] = [:]
    for chart in charts {
      for line in chart.series where dashes[line.name] == nil { dashes[line.name] = .some(line.dash) }
    }
    // Which earlier series (by name) each series overlaps, over all charts.
    var overlapped: [String: [String]] = [:]
    var order: [String] = []
    for chart in charts where chart.dashesOverlaps {
      for (index, earlier) in overlaps(in: chart, share: dashingShare).enumerated() {
        let name = chart.series[index].name
        if !order.contains(name) { order.append(name) }
        for other in earlier.map({ chart.series[$0].name }) where other != name {
          if !(overlapped[name] ?? []).contains(other) { overlapped[name, default: []].append(other) }
        }
      }
    }
    for name in order {
      let others = overlapped[name] ?? []
      let taken = Set(others.map { dashes[$0] ?? nil })
      guard taken.contains(dashes[name] ?? nil) else { continue }
      if let free = overlapDashes.first(where: { !taken.contains($0) }) { dashes[name] = .some(free) }
    }
    return charts.map { chart in
      var chart = chart
      for index in chart.series.indices { chart.series[index].dash = dashes[chart.series[index].name] ?? nil }
      return chart
    }
  }
}
