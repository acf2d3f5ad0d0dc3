import GrawaTensor
import XCTest
import _TestSupport

final class InitializerTests: XCTestCase {
  /// Sample mean and (population) standard deviation in `Double`.
  private func moments(_ t: Tensor) -> (mean: Double, standardDeviation: Double) {
    let n = Double(t.count)
    let mean = t.scalars.reduce(0.0) { $0 + Double($1) } / n
    let variance = t.scalars.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
    return (mean, variance.squareRoot())
  }

  // MARK: - fans

  func testFans_convLinearAndRank1() {
    // Conv [out 64, in 16, 3, 3]: fanIn = 16 * 9 = 144, fanOut = 64 * 9 = 576.
    let conv = Tensor.fans(of: [64, 16, 3, 3])
    XCTAssertEqual(conv.fanIn, 144)
    XCTAssertEqual(conv.fanOut, 576)
    // Linear [out 10, in 64]: fanIn = 64, fanOut = 10.
    let linear = Tensor.fans(of: [10, 64])
    XCTAssertEqual(linear.fanIn, 64)
    XCTAssertEqual(linear.fanOut, 10)
    // Rank 1: both equal to the size.
    let vector = Tensor.fans(of: [7])
    XCTAssertEqual(vector.fanIn, 7)
    XCTAssertEqual(vector.fanOut, 7)
  }

  // MARK: - Kaiming normal

  func testKaimingNormal_standardDeviationIsSqrtTwoOverFan() {
    // [256, 64, 3, 3]: fanIn = 64 * 9 = 576, fanOut = 256 * 9 = 2304; 147,456 samples.
    let shape = [256, 64, 3, 3]
    let n = Double(shape.reduce(1, *))
    for (mode, fan) in [(FanMode.fanIn, 576.0), (.fanOut, 2304.0)] {
      var generator = RandomGenerator(seed: 31)
      let w = Tensor.kaimingNormal(shape, mode: mode, using: &generator)
      XCTAssertEqual(w.shape, shape)
      let expected = (2 / fan).squareRoot()
      let (mean, standardDeviation) = moments(w)
      // Standard errors: sigma / sqrt(n) for the mean, about sigma / sqrt(2n) for the deviation.
      XCTAssertEqual(mean, 0, accuracy: 6 * expected / n.squareRoot(), "\(mode)")
      XCTAssertEqual(
        standardDeviation, expected, accuracy: 6 * expected / (2 * n).squareRoot(), "\(mode)")
    }
  }

  func testKaimingNormal_customGain() {
    var generator = RandomGenerator(seed: 32)
    // Linear [200, 500] with gain 1: std = 1 / sqrt(500).
    let w = Tensor.kaimingNormal([200, 500], gain: 1, using: &generator)
    let expected = (1.0 / 500).squareRoot()
    XCTAssertEqual(
      moments(w).standardDeviation, expected, accuracy: 6 * expected / (2 * 100_000.0).squareRoot())
  }

  // MARK: - Uniform initialisers

  func testKaimingUniform_boundIsGainTimesSqrtThreeOverFan() {
    var generator = RandomGenerator(seed: 33)
    // [100, 300] fanIn: bound = sqrt(2) * sqrt(3 / 300) = sqrt(0.02) = 0.1414.
    let w = Tensor.kaimingUniform([100, 300], using: &generator)
    let bound = Float((0.02 as Double).squareRoot())
    XCTAssertTrue(w.scalars.allSatisfy { $0 >= -bound && $0 <= bound })
    XCTAssertGreaterThan(w.maximum(), 0.99 * bound)
  }

  func testPytorchDefaultWeight_isUniformWithinOneOverSqrtFanIn() {
    // Conv [128, 64, 3, 3]: fanIn = 576, bound = 1 / 24.
    var generator = RandomGenerator(seed: 34)
    let w = Tensor.pytorchDefaultWeight([128, 64, 3, 3], using: &generator)
    let bound: Float = 1.0 / 24
    // Allow one ulp of rounding in gain * sqrt(3 / fan).
    let slack = bound.ulp
    XCTAssertTrue(w.scalars.allSatisfy { $0 >= -bound - slack && $0 <= bound + slack })
    // 73,728 uniform samples: the extremes sit within ~2 bound / n of the ends.
    XCTAssertGreaterThan(w.maximum(), bound * 0.999)
    XCTAssertLessThan(-(-w).maximum(), -bound * 0.999)
    // Uniform(-b, b) has standard deviation b / sqrt(3).
    let n = Double(w.count)
    let expected = Double(bound) / 3.0.squareRoot()
    XCTAssertEqual(moments(w).standardDeviation, expected, accuracy: 6 * expected / n.squareRoot())
  }

  func testPytorchDefaultWeight_linear() {
    // Linear [10, 64]: bound = 1 / sqrt(64) = 1 / 8.
    var generator = RandomGenerator(seed: 35)
    let w = Tensor.pytorchDefaultWeight([10, 64], using: &generator)
    XCTAssertEqual(w.shape, [10, 64])
    XCTAssertTrue(w.scalars.allSatisfy { abs($0) <= 0.125 + Float(0.125).ulp })
    XCTAssertGreaterThan(w.maximum(), 0.1)
  }

  func testPytorchDefaultBias_boundsFromWeightFanIn() {
    var generator = RandomGenerator(seed: 36)
    // Linear weight [10, 64]: bound 1/8; conv weight [16, 3, 3, 3]: fanIn = 27, bound 1/sqrt(27).
    let linearBias = Tensor.pytorchDefaultBias(
      count: 10_000, weightShape: [10, 64], using: &generator)
    XCTAssertEqual(linearBias.shape, [10_000])
    XCTAssertTrue(linearBias.scalars.allSatisfy { $0 >= -0.125 && $0 < 0.125 })
    XCTAssertGreaterThan(linearBias.maximum(), 0.124)
    XCTAssertLessThan(-(-linearBias).maximum(), -0.124)
    let convBias = Tensor.pytorchDefaultBias(
      count: 10_000, weightShape: [16, 3, 3, 3], using: &generator)
    let bound = 1 / Float(27).squareRoot()
    XCTAssertTrue(convBias.scalars.allSatisfy { abs($0) <= bound })
    XCTAssertGreaterThan(convBias.maximum(), 0.99 * bound)
  }

  // MARK: - Basic distributions

  func testRandomNormal_usesMeanAndStandardDeviation() {
    var generator = RandomGenerator(seed: 37)
    let t = Tensor.randomNormal([100_000], mean: 3, standardDeviation: 0.5, using: &generator)
    let (mean, standardDeviation) = moments(t)
    let n = 100_000.0
    XCTAssertEqual(mean, 3, accuracy: 6 * 0.5 / n.squareRoot())
    XCTAssertEqual(standardDeviation, 0.5, accuracy: 6 * 0.5 / (2 * n).squareRoot())
  }

  func testRandomUniform_staysInRange() {
    var generator = RandomGenerator(seed: 38)
    let t = Tensor.randomUniform([2, 50_000], low: -2, high: 6, using: &generator)
    XCTAssertEqual(t.shape, [2, 50_000])
    XCTAssertTrue(t.scalars.allSatisfy { $0 >= -2 && $0 < 6 })
    // Mean 2, standard deviation 8 / sqrt(12).
    XCTAssertEqual(
      moments(t).mean, 2, accuracy: 6 * (8 / 12.0.squareRoot()) / 100_000.0.squareRoot())
  }

  // MARK: - Reproducibility

  func testInitialisers_areReproducibleGivenTheSeed() {
    func draw(_ seed: UInt64) -> [Tensor] {
      var generator = RandomGenerator(seed: seed)
      return [
        Tensor.kaimingNormal([8, 4, 3, 3], using: &generator),
        Tensor.kaimingUniform([8, 4], mode: .fanOut, using: &generator),
        Tensor.pytorchDefaultWeight([5, 7], using: &generator),
        Tensor.pytorchDefaultBias(count: 5, weightShape: [5, 7], using: &generator),
      ]
    }
    XCTAssertEqual(draw(40), draw(40))
    let other = draw(41)
    for (a, b) in zip(draw(40), other) {
      XCTAssertNotEqual(a, b)
    }
  }
}
