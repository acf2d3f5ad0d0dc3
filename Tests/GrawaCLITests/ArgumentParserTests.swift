import XCTest

@testable import GrawaCLI

final class ArgumentParserTests: XCTestCase {
  enum Color: String, CaseIterable { case red, green }

  let specs: [OptionSpec] = [
    .option("count", "N", help: "a number"),
    .option("color", "C", help: "a color"),
    .option("list", "L", help: "numbers"),
    .flag("verbose", help: "talk"),
  ]

  func testParsesSpacedAndInlineValuesAndFlags() throws {
    let parsed = try ParsedArguments(["--count", "3", "--color=green", "--verbose", "file"], specs: specs)
    XCTAssertEqual(try parsed.int("count", default: 0), 3)
    XCTAssertEqual(try parsed.choice("color", default: Color.red), .green)
    XCTAssertTrue(parsed.flag("verbose"))
    XCTAssertEqual(parsed.positional, ["file"])
  }

  func testDefaultsWhenAbsent() throws {
    let parsed = try ParsedArguments([], specs: specs)
    XCTAssertEqual(try parsed.int("count", default: 7), 7)
    XCTAssertEqual(try parsed.intList("list", default: [1, 2], in: 0...9), [1, 2])
    XCTAssertFalse(parsed.flag("verbose"))
  }

  func testErrorsNameTheFlag() {
    XCTAssertThrowsError(try ParsedArguments(["--nope"], specs: specs)) {
      XCTAssertEqual($0 as? CLIError, .usage("unknown option '--nope'"))
    }
    XCTAssertThrowsError(try ParsedArguments(["--count"], specs: specs)) {
      XCTAssertEqual($0 as? CLIError, .usage("option '--count' needs a value (N)"))
    }
    XCTAssertThrowsError(try ParsedArguments(["--count", "1", "--count", "2"], specs: specs)) {
      XCTAssertEqual($0 as? CLIError, .usage("option '--count' given more than once"))
    }
    XCTAssertThrowsError(try ParsedArguments(["--verbose=yes"], specs: specs))
    XCTAssertThrowsError(try ParsedArguments(["--color", "blue"], specs: specs).choice("color", default: Color.red)) {
      XCTAssertEqual($0 as? CLIError, .usage("invalid value 'blue' for '--color': choose one of red, green"))
    }
    XCTAssertThrowsError(try ParsedArguments(["--count", "12"], specs: specs).int("count", default: 0, in: 1...10)) {
      XCTAssertEqual($0 as? CLIError, .usage("invalid value '12' for '--count': expected an integer in 1...10"))
    }
    XCTAssertThrowsError(try ParsedArguments(["--list", "1,x"], specs: specs).intList("list", default: [], in: 0...9))
  }

  func testHelpTextListsOptionsWithDefaults() {
    let text = helpText(usage: "tool", abstract: "Does things.", specs: [.option("count", "N", help: "a number", default: "3")])
    XCTAssertTrue(text.contains("--count <N>"))
    XCTAssertTrue(text.contains("a number (default: 3)"))
    XCTAssertTrue(text.contains("--help"))
  }
}
