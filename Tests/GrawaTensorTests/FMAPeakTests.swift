import XCTest

@testable import GrawaTensor

/// The FMA peak loop: it runs every iteration (its result says so) and reports a rate.
final class FMAPeakTests: XCTestCase {
  func testLoop_runsEveryIteration_onEveryVariant() {
    // Accumulator a starts at a and gains x * y = 1 * 2^-10 per iteration (seed 0), so the lanes
    // sum to lanes * (sum of starts + accumulators * iterations / 1024), exactly.
    let iterations = 3000
    for variant in KernelVariant.allCases {
      var sink: Float = 0
      FMAPeak.run(variant, iterations: iterations, seed: 0, into: &sink)
      let count = FMAPeak.accumulators(variant)
      let starts = Double(count * (count - 1) / 2)
      let expected = Double(variant.vectorWidth) * (starts + Double(count * iterations) / 1024)
      XCTAssertEqual(Double(sink), expected, "\(variant)")
    }
  }

  func testMeasure_reportsAPositiveRate() {
    let rate = FMAPeak.measure(threads: 1, repetitions: 1)
    XCTAssertGreaterThan(rate, 0)
    XCTAssertTrue(rate.isFinite)
    let simd4 = FMAPeak.measure(threads: 1, loop: .generic, repetitions: 1)
    XCTAssertGreaterThan(simd4, 0)
  }
}
