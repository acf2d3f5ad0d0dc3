import XCTest

@testable import GrawaData

final class SeedDerivationTests: XCTestCase {
  func testDerivedGenerators_dependOnEveryInput() {
    let base = derivedGenerator(seed: 1, purpose: .augmentation, 2, 3)
    XCTAssertEqual(base, derivedGenerator(seed: 1, purpose: .augmentation, 2, 3))
    XCTAssertNotEqual(base, derivedGenerator(seed: 2, purpose: .augmentation, 2, 3))
    XCTAssertNotEqual(base, derivedGenerator(seed: 1, purpose: .shardPermutation, 2, 3))
    XCTAssertNotEqual(base, derivedGenerator(seed: 1, purpose: .augmentation, 3, 3))
    XCTAssertNotEqual(base, derivedGenerator(seed: 1, purpose: .augmentation, 2, 4))
  }

  func testMix64_isSplitMix64sOutput() {
    // SplitMix64 seeded with 0: the first output is 0xE220A8397B1DCDAF (Vigna's reference).
    XCTAssertEqual(mix64(0), 0xE220_A839_7B1D_CDAF)
  }
}
