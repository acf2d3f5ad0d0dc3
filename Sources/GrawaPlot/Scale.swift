import Foundation

/// Maps a data interval linearly onto a pixel interval, with "nice" tick values.
public struct LinearScale: Sendable, Equatable {
  /// The data interval.
  public let domain: ClosedRange<Double>
  /// The pixel interval (its ends may be given in either order: `range.0` is where the domain's
  /// lower end lands).
  public let range: (Double, Double)

  /// A scale from `domain` to pixels `range.0 ... range.1`; an empty domain is widened.
  public init(domain: ClosedRange<Double>, range: (Double, Double)) {
    if domain.lowerBound == domain.upperBound {
      let pad = max(abs(domain.lowerBound) * 0.05, 1e-9)
      self.domain = (domain.lowerBound - pad)...(domain.upperBound + pad)
    } else {
      self.domain = domain
    }
    self.range = range
  }

  /// The pixel position of `value`.
  public func callAsFunction(_ value: Double) -> Double {
    let t = (value - domain.lowerBound) / (domain.upperBound - domain.lowerBound)
    return range.0 + t * (range.1 - range.0)
  }

  /// About `count` round tick values inside the domain: the step of 1, 2 or 5 times a power of 10
  /// nearest (by ratio) to span / `count`, so between about `count` / 1.6 and 1.6 `count` ticks.
  public func ticks(count: Int = 5) -> [Double] {
    let span = domain.upperBound - domain.lowerBound
    let rough = span / Double(max(count, 1))
    let magnitude = pow(10, floor(log10(rough)))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.min { abs(log($0 / rough)) < abs(log($1 / rough)) }!
    var tick = ceil(domain.lowerBound / step) * step
    var ticks: [Double] = []
    while tick <= domain.upperBound + step * 1e-9 {
      ticks.append(abs(tick) < step * 1e-9 ? 0 : tick)
      tick += step
    }
    return ticks
  }

  /// A tick label with no more digits than the tick spacing needs.
  public static func label(_ value: Double, step: Double) -> String {
    let decimals = max(0, Int(-floor(log10(step)).rounded()) + (step / pow(10, floor(log10(step))) >= 1 ? 0 : 1))
    return String(format: "%.\(min(decimals, 6))f", value)
  }

  public static func == (lhs: LinearScale, rhs: LinearScale) -> Bool {
    lhs.domain == rhs.domain && lhs.range == rhs.range
  }
}
