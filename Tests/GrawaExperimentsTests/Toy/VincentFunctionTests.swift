import Foundation
import GrawaDistributed
import GrawaExperiments
import XCTest

final class VincentFunctionTests: XCTestCase {
  func testMinimizers_haveValueMinusOneZeroGradientAndCurvature100OverNX2() {
    let f = VincentFunction(dimension: 2)
    for k in VincentFunction.valleys {
      let x = VincentFunction.minimizer(valley: k)
      XCTAssertEqual(f.value([x, x]), -1, accuracy: 1e-12)
      for g in f.gradient([x, x]) { XCTAssertEqual(g, 0, accuracy: 1e-9) }
      // sin = 1, cos = 0 there: f'' = 100 / (n x^2).
      XCTAssertEqual(f.curvature([x, x])[0], 100 / (2 * x * x), accuracy: 1e-9)
      XCTAssertEqual(VincentFunction.valley(of: x), k)
    }
    XCTAssertEqual(VincentFunction.valleys, -2...3)
    XCTAssertEqual(VincentFunction.minimizer(valley: 3), exp((Double.pi / 2 + 6 * Double.pi) / 10), accuracy: 1e-12)
  }

  func testGradientAndCurvature_matchFiniteDifferences() {
    let f = VincentFunction(dimension: 3)
    let x = [0.4, 2.7, 8.1]
    let h = 1e-6
    let gradient = f.gradient(x)
    let curvature = f.curvature(x)
    for i in 0..<3 {
      var plus = x
      var minus = x
      plus[i] += h
      minus[i] -= h
      XCTAssertEqual(gradient[i], (f.value(plus) - f.value(minus)) / (2 * h), accuracy: 1e-6)
      let second = (f.gradient(plus)[i] - f.gradient(minus)[i]) / (2 * h)
      XCTAssertEqual(curvature[i], second, accuracy: 1e-4)
    }
  }

  func testValleyBoundaries_areTheMaximaOfTheSine() {
    // The basin of valley k spans exp((-pi/2 + 2 pi k)/10) ... exp((3 pi/2 + 2 pi k)/10).
    let lower = exp((-Double.pi / 2 + 2 * Double.pi) / 10)
    XCTAssertEqual(VincentFunction.valley(of: lower * 1.0001), 1)
    XCTAssertEqual(VincentFunction.valley(of: lower * 0.9999), 0)
  }

  func testClamp_keepsPointsInTheDomain() {
    XCTAssertEqual(VincentFunction.clamp([0.1, 5, 12]), [0.25, 5, 10])
  }
}
