/// Contour lines of a function sampled on a grid, by marching squares.
public enum ContourLines {
  /// The segments where `values` crosses `level`: `values[row][column]` sampled at `xs[column]`,
  /// `ys[row]`; each segment is two data points.
  public static func segments(
    xs: [Double], ys: [Double], values: [[Double]], level: Double
  ) -> [((x: Double, y: Double), (x: Double, y: Double))] {
    var result: [((x: Double, y: Double), (x: Double, y: Double))] = []
    guard xs.count >= 2, ys.count >= 2 else { return result }
    func crossing(_ a: (x: Double, y: Double, v: Double), _ b: (x: Double, y: Double, v: Double)) -> (x: Double, y: Double) {
      let t = (level - a.v) / (b.v - a.v)
      return (a.x + t * (b.x - a.x), a.y + t * (b.y - a.y))
    }
    for row in 0..<(ys.count - 1) {
      for column in 0..<(xs.count - 1) {
        let corners = [
          (x: xs[column], y: ys[row], v: values[row][column]),
          (x: xs[column + 1], y: ys[row], v: values[row][column + 1]),
          (x: xs[column + 1], y: ys[row + 1], v: values[row + 1][column + 1]),
          (x: xs[column], y: ys[row + 1], v: values[row + 1][column]),
        ]
        var points: [(x: Double, y: Double)] = []
        for edge in 0..<4 {
          let a = corners[edge]
          let b = corners[(edge + 1) % 4]
          if (a.v < level) != (b.v < level) { points.append(crossing(a, b)) }
        }
        // Two crossings: one segment; four (a saddle): pair them along the cell's edges.
        if points.count == 2 {
          result.append((points[0], points[1]))
        } else if points.count == 4 {
          result.append((points[0], points[1]))
          result.append((points[2], points[3]))
        }
      }
    }
    return result
  }
}
