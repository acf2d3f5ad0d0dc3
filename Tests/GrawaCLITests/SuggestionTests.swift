import XCTest

@testable import GrawaCLI

/// The edit distance and the "did you mean" choice built on it.
final class SuggestionTests: XCTestCase {
  func testEditDistance_countsInsertionsDeletionsAndSubstitutions() {
    XCTAssertEqual(editDistance("", ""), 0)
    XCTAssertEqual(editDistance("abc", ""), 3)
    XCTAssertEqual(editDistance("", "ab"), 2)
    XCTAssertEqual(editDistance("steps", "steps"), 0)
    XCTAssertEqual(editDistance("stepz", "steps"), 1)  // one substitution
    XCTAssertEqual(editDistance("step", "steps"), 1)  // one insertion
    XCTAssertEqual(editDistance("stpes", "steps"), 2)  // a swap is two substitutions
    XCTAssertEqual(editDistance("kitten", "sitting"), 3)
  }

  func testNearestSpelling_suggestsOnlyNearMisses() {
    let flags = ["--steps", "--seed", "--epochs", "--lr"]
    XCTAssertEqual(nearestSpelling(of: "--stepz", among: flags), "--steps")
    XCTAssertEqual(nearestSpelling(of: "--stpes", among: flags), "--steps")
    XCTAssertEqual(nearestSpelling(of: "--epoch", among: flags), "--epochs")
    XCTAssertNil(nearestSpelling(of: "--minutes", among: flags))
    // Short words allow one edit only: "--ab" is two from "--lr", too far to be a typo.
    XCTAssertEqual(nearestSpelling(of: "--lrr", among: flags), "--lr")
    XCTAssertNil(nearestSpelling(of: "--ab", among: flags))
  }
}
