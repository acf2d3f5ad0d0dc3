import XCTest

@testable import GrawaCLI

/// `ParsedArguments`: the hand-rolled parser's forms (`--name value`, `--name=value`, `-o value`,
/// flags), its usage errors, and typed reads through the declarations.
final class ParsedArgumentsTests: XCTestCase {
  enum Color: String, CaseIterable, ChoiceOptionValue { case red, green }

  static let count = Option<Int>("count", "N", default: 7, in: .atLeast(1), help: "A number.")
  static let color = Option<Color>("color", "C", default: .red, help: "A color.")
  static let list = Option<[Int]>(
    "list", "L", default: [1, 2], in: .from(0, to: 9), help: "Digits.")
  static let limit = Option<Int?>("limit", "N", in: .atLeast(1), help: "A limit.", shownAs: "all")
  static let output = Option<String>(
    "output", "FILE", default: "out.svg", help: "Where.", short: "o")
  static let verbose = Flag("verbose", help: "Talk.")
  static let all: [any OptionDeclaration] = [count, color, list, limit, output, verbose]

  private func parse(_ arguments: [String]) throws -> ParsedArguments {
    try ParsedArguments(arguments, options: Self.all)
  }

  /// Asserts that parsing `arguments` fails with exactly `message`.
  private func assertUsage(
    _ arguments: [String], _ message: String, file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertThrowsError(try parse(arguments), file: file, line: line) {
      XCTAssertEqual($0 as? CLIError, .usage(message), file: file, line: line)
    }
  }

  func testParsesSpacedInlineAndShortValuesAndFlags() throws {
    let parsed = try parse([
      "--count", "3", "--color=green", "-o", "chart.svg", "--verbose", "file", "--list=4,5",
    ])
    XCTAssertEqual(try parsed[Self.count], 3)
    XCTAssertEqual(try parsed[Self.color], .green)
    XCTAssertEqual(try parsed[Self.output], "chart.svg")
    XCTAssertEqual(try parsed[Self.list], [4, 5])
    XCTAssertTrue(try parsed[Self.verbose])
    XCTAssertEqual(parsed.positional, ["file"])
    XCTAssertEqual(parsed.given.map(\.name), ["count", "color", "list", "output", "verbose"])
  }

  func testAbsentOptions_readTheirDeclaredDefaults() throws {
    let parsed = try parse([])
    XCTAssertEqual(try parsed[Self.count], 7)
    XCTAssertEqual(try parsed[Self.color], .red)
    XCTAssertEqual(try parsed[Self.list], [1, 2])
    XCTAssertNil(try parsed[Self.limit])
    XCTAssertFalse(try parsed[Self.verbose])
    XCTAssertNil(try parsed.valueIfGiven(Self.count))
    XCTAssertEqual(try self.parse(["--count", "2"]).valueIfGiven(Self.count), 2)
  }

  func testUnknownFlags_areRefusedWithANearSuggestion() {
    assertUsage(["--nope"], "unknown option '--nope'")
    assertUsage(["--cuont", "3"], "unknown option '--cuont' (did you mean '--count'?)")
    assertUsage(["--colour", "red"], "unknown option '--colour' (did you mean '--color'?)")
    assertUsage(["--verbos"], "unknown option '--verbos' (did you mean '--verbose'?)")
    assertUsage(["-x"], "unknown option '-x'")
  }

  func testMissingRepeatedAndMisplacedValues_areUsageErrors() {
    assertUsage(["--count"], "option '--count' needs a value (N)")
    assertUsage(["--count", "1", "--count", "2"], "option '--count' given more than once")
    assertUsage(["--count", "1", "--count=1"], "option '--count' given more than once")
    assertUsage(["--verbose", "--verbose"], "option '--verbose' given more than once")
    assertUsage(["--verbose=yes"], "option '--verbose' takes no value")
  }

  func testBadValues_nameTheFlagAndWhatIsValid() {
    assertUsage(
      ["--color", "blue"], "invalid value 'blue' for '--color': choose one of red, green")
    assertUsage(["--count", "0"], "invalid value '0' for '--count': expected an integer >= 1")
    assertUsage(["--count", "x"], "invalid value 'x' for '--count': expected an integer >= 1")
    assertUsage(["--limit", "-3"], "invalid value '-3' for '--limit': expected an integer >= 1")
    assertUsage(
      ["--list", "1,x"], "invalid value '1,x' for '--list': 'x' is not an integer from 0 to 9")
    assertUsage(
      ["--list", "1,12"], "invalid value '1,12' for '--list': '12' is not an integer from 0 to 9")
  }

  func testReadingAnUndeclaredOption_failsLoudly() throws {
    let parsed = try parse(["--count", "3"])
    // Same name, another declaration: never silently read as this command's option.
    let impostor = Option<Int>("count", "N", default: 99, help: "Another count.")
    XCTAssertThrowsError(try parsed[impostor]) {
      guard case .failure(let message) = $0 as? CLIError else { return XCTFail("\($0)") }
      XCTAssertTrue(message.contains("'--count'") && message.contains("does not declare"), message)
    }
    XCTAssertThrowsError(try parsed[Flag("verbose", help: "Another.")])
  }

  func testArgumentsFor_passOptionsOnAsTyped() throws {
    let parsed = try parse(["--count=3", "--verbose", "--limit", "5"])
    XCTAssertEqual(
      parsed.arguments(for: [Self.limit, Self.count, Self.color, Self.verbose]),
      ["--limit", "5", "--count", "3", "--verbose"])
    XCTAssertEqual(parsed.argument(of: Self.count), "3")
  }

  func testInvalidValue_quotesTheArgumentOrNamesTheDefault() throws {
    let parsed = try parse(["--count", "3"])
    XCTAssertEqual(
      parsed.invalidValue(Self.count, "too many"),
      .usage("invalid value '3' for '--count': too many"))
    XCTAssertEqual(parsed.invalidValue(Self.limit, "too few"), .usage("'--limit': too few"))
  }
}
