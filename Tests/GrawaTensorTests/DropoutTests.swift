import GrawaTensor
import XCTest
import _TestSupport

final class DropoutTests: XCTestCase {
  func testDropout_sameSeedGivesSameMask() throws {
    var random = TestRandom(seed: 51)
    let x = random.tensor([8, 32], 0.5, 1.5)
    var g1 = RandomGenerator(seed: 123)
    var g2 = RandomGenerator(seed: 123)
    let y1 = try x.dropout(probability: 0.4, using: &g1)
    let y2 = try x.dropout(probability: 0.4, using: &g2)
    XCTAssertEqual(y1, y2)
    XCTAssertEqual(g1, g2, "both generators advanced by the same amount")
    // A different seed gives a different mask (256 elements: equal masks have probability ~0).
    var g3 = RandomGenerator(seed: 124)
    XCTAssertNotEqual(try x.dropout(probability: 0.4, using: &g3), y1)
    // The next call on the same generator draws a fresh mask.
    XCTAssertNotEqual(try x.dropout(probability: 0.4, using: &g1), y1)
  }

  func testDropout_zeroProbabilityIsIdentity() throws {
    var random = TestRandom(seed: 52)
    let x = random.tensor([3, 5])
    var generator = RandomGenerator(seed: 1)
    let y = try x.dropout(probability: 0, using: &generator)
    XCTAssertEqual(y, x)
    let leaf = x.requiringGradient()
    try leaf.dropout(probability: 0, using: &generator).backward(seed: Tensor.full([3, 5], 2))
    XCTAssertEqual(leaf.gradient?.scalars, [Float](repeating: 2, count: 15))
  }

  func testDropout_survivorsAreScaledByInverseKeepProbability() throws {
    var random = TestRandom(seed: 53)
    let x = random.tensor([1000], 0.5, 1.5)
    var generator = RandomGenerator(seed: 9)
    let p: Float = 0.25
    let y = try x.dropout(probability: p, using: &generator)
    let keep: Float = 1 / (1 - p)
    // Inputs are nonzero, so every output is either dropped (0) or the scaled input.
    let expected = zip(x.scalars, y.scalars).map { input, output in output == 0 ? 0 : input * keep }
    XCTAssertEqual(y.scalars, expected)
    XCTAssertGreaterThan(y.scalars.filter { $0 != 0 }.count, 600, "most elements survive p = 0.25")
  }

  func testDropout_fractionZeroedIsCloseToProbability() throws {
    let n = 200_000
    let x = Tensor.ones([n])
    for (seed, p) in [(UInt64(1), Float(0.1)), (2, 0.5), (3, 0.9)] {
      var generator = RandomGenerator(seed: seed)
      let y = try x.dropout(probability: p, using: &generator)
      let zeroed = y.scalars.filter { $0 == 0 }.count
      // Zeroed count ~ Binomial(n, p): standard deviation sqrt(n p (1 - p)); allow 6 sigma.
      let sigma = (Double(n) * Double(p) * Double(1 - p)).squareRoot()
      XCTAssertEqual(Double(zeroed), Double(n) * Double(p), accuracy: 6 * sigma, "p \(p)")
    }
  }

  func testDropout_preservesExpectationOverALargeTensor() throws {
    let n = 200_000
    var random = TestRandom(seed: 54)
    let x = random.tensor([n], 0.5, 1.5)
    let inputMean = x.scalars.reduce(0.0) { $0 + Double($1) } / Double(n)
    for (seed, p) in [(UInt64(11), Float(0.2)), (12, 0.5), (13, 0.8)] {
      var generator = RandomGenerator(seed: seed)
      let y = try x.dropout(probability: p, using: &generator)
      let outputMean = y.scalars.reduce(0.0) { $0 + Double($1) } / Double(n)
      // Each output is x_i * B_i / (1 - p), B_i ~ Bernoulli(1 - p), so the mean's variance is
      // sum_i x_i^2 p / (1 - p) / n^2 <= 1.5^2 p / ((1 - p) n). Allow 6 sigma.
      let sigma = (1.5 * 1.5 * Double(p) / (Double(1 - p) * Double(n))).squareRoot()
      XCTAssertEqual(outputMean, inputMean, accuracy: 6 * sigma, "p \(p)")
    }
  }

  func testDropoutGradient_isTheMask() throws {
    var random = TestRandom(seed: 55)
    let x = random.tensor([4, 25], 0.5, 1.5)
    // Re-create the generator inside so every evaluation (analytic and numeric) uses one mask.
    try checkGradient(
      of: { inputs in
        var generator = RandomGenerator(seed: 77)
        return try inputs[0].dropout(probability: 0.3, using: &generator)
      }, at: [x])
    // Closed form: dL/dx with a seed of ones equals mask = y / x.
    var generator = RandomGenerator(seed: 78)
    let leaf = x.requiringGradient()
    let y = try leaf.dropout(probability: 0.3, using: &generator)
    try y.backward(seed: Tensor.ones([4, 25]))
    let keep: Float = 1 / (1 - 0.3)
    let expectedMask = y.scalars.map { $0 == 0 ? 0 : keep }
    XCTAssertEqual(leaf.gradient?.scalars, expectedMask)
  }

  func testDropout_invalidProbabilityThrows() {
    let x = Tensor.ones([4])
    var generator = RandomGenerator(seed: 1)
    XCTAssertThrowsError(try x.dropout(probability: 1, using: &generator)) { error in
      XCTAssertEqual("\(error)", "dropout: probability must be in [0, 1), got 1.0")
    }
    XCTAssertThrowsError(try x.dropout(probability: -0.1, using: &generator)) { error in
      XCTAssertEqual("\(error)", "dropout: probability must be in [0, 1), got -0.1")
    }
    XCTAssertThrowsError(try x.dropout(probability: 1.5, using: &generator))
    XCTAssertThrowsError(try x.dropout(probability: .nan, using: &generator))
    XCTAssertThrowsError(try x.dropout(probability: .infinity, using: &generator))
  }
}
