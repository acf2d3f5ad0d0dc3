@testable import GrawaTensor
import XCTest
import Dispatch

final class BuildCheckTests: XCTestCase {
  /// The tests run in release with `-target-cpu native` (the README's test command): the check
  /// must see this build as fast, or every user of a fast build would be warned.
  func testThisBuild_isSeenAsFast() {
    XCTAssertTrue(BuildCheck.isOptimized)
    XCTAssertTrue(BuildCheck.fusedMultiplyAddIsInline)
    XCTAssertNil(BuildCheck.warning)
  }

  func testVerdict_separatesInlineFromLibraryCalls() {
    XCTAssertTrue(BuildCheck.verdict(fusedSeconds: 1.3e-6, separateSeconds: 1e-6), "FMA latency 4 against add 3")
    XCTAssertTrue(BuildCheck.verdict(fusedSeconds: 2.5e-6, separateSeconds: 1e-6), "a noisy inline timing")
    XCTAssertFalse(BuildCheck.verdict(fusedSeconds: 20e-6, separateSeconds: 1e-6), "eight fmaf calls a step")
  }

  func testChains_computeTheSameValues() {
    // The two chains differ only in rounding (one rounding per step against two).
    BuildCheck.fusedChain(iterations: 100, b: 0.5, c: 1e-3)
    let fused = BuildCheck.sink
    BuildCheck.separateChain(iterations: 100, b: 0.5, c: 1e-3)
    XCTAssertEqual(fused, BuildCheck.sink, accuracy: 1e-4)
    XCTAssertEqual(fused, 8 * (1 + 100 * 0.5e-3), accuracy: 1e-4)
  }
}
