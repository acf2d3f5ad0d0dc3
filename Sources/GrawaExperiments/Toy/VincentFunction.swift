import Foundation
import GrawaData
import GrawaDistributed
import GrawaNN
import GrawaOptim
import GrawaTensor

/// The Vincent function, the paper's toy landscape (section 4.1, appendix A):
/// `f(x) = -(1/n) sum_i sin(10 ln x_i)` on `[0.25, 10]^n`.
///
/// Every coordinate has minimisers `x* = exp((pi/2 + 2 pi k) / 10)` (f = -1 when all coordinates
/// sit on one), but their valleys differ in width: the curvature there is `100 / (n x*^2)`, so
/// valleys further right are flatter.
public struct VincentFunction: Sendable, Equatable {
  /// n, the number of coordinates.
  public let dimension: Int
  /// The domain's bounds, the same for every coordinate.
  public static let domain: ClosedRange<Double> = 0.25...10

  /// The function on `dimension` coordinates.
  /// - Precondition: `dimension >= 1`.
  public init(dimension: Int = 2) {
    precondition(dimension >= 1, "VincentFunction: dimension must be >= 1")
    self.dimension = dimension
  }

  /// f(x).
  public func value(_ x: [Double]) -> Double {
    -x.reduce(0) { $0 + sin(10 * log($1)) } / Double(dimension)
  }

  /// The gradient, `df/dx_i = -(10 / n) cos(10 ln x_i) / x_i`.
  public func gradient(_ x: [Double]) -> [Double] {
    x.map { -10 * cos(10 * log($0)) / ($0 * Double(dimension)) }
  }

  /// The Hessian's diagonal (it is diagonal): `(100 sin(10 ln x) + 10 cos(10 ln x)) / (n x^2)`.
  public func curvature(_ x: [Double]) -> [Double] {
    x.map { (100 * sin(10 * log($0)) + 10 * cos(10 * log($0))) / (Double(dimension) * $0 * $0) }
  }

  /// The minimiser of valley `k` of one coordinate, `exp((pi/2 + 2 pi k) / 10)`.
  public static func minimizer(valley k: Int) -> Double {
    exp((Double.pi / 2 + 2 * Double.pi * Double(k)) / 10)
  }

  /// The valleys whose minimiser lies in the domain (k = -2 ... 3).
  public static var valleys: ClosedRange<Int> {
    var low = 0
    while minimizer(valley: low - 1) >= domain.lowerBound { low -= 1 }
    var high = 0
    while minimizer(valley: high + 1) <= domain.upperBound { high += 1 }
    return low...high
  }

  /// The valley one coordinate is in: the one whose basin (between neighbouring maxima of
  /// `sin(10 ln x)`, at `exp((-pi/2 + 2 pi k) / 10)`) contains `x`.
  public static func valley(of x: Double) -> Int {
    Int(((10 * log(x) + Double.pi / 2) / (2 * Double.pi)).rounded(.down))
  }

  /// Clamps a point into the domain.
  public static func clamp(_ x: [Double]) -> [Double] {
    x.map { min(max($0, domain.lowerBound), domain.upperBound) }
  }
}
