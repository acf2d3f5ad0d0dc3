import XCTest

@testable import GrawaCLI

/// Help and usage errors of the built `grawa-train`, checked against the option declarations:
/// every option of every command appears in its `--help` with its default and choices; a bad
/// value names the flag and a readable range; a typo gets a suggestion.
final class CommandHelpTests: XCTestCase {
  typealias Outcome = CommandLineTests.Outcome

  /// The help line of `option` in `help`: the line that starts with its label.
  private func helpLine(_ option: any OptionDeclaration, in help: String) -> String? {
    let label = optionLabel(option)
    return help.split(separator: "\n").map(String.init).first {
      $0.trimmingCharacters(in: .whitespaces).hasPrefix(label + " ")
    }
  }

  func testEveryCommandsHelp_listsEveryOptionWithItsDefaultAndChoices() throws {
    XCTAssertEqual(GrawaCLI.commands.count, 9)
    for command in GrawaCLI.commands {
      let outcome = try CommandLineTests.run([command.name, "--help"])
      XCTAssertEqual(outcome.status, 0, "\(command.name): \(outcome.standardError)")
      XCTAssertFalse(command.options.isEmpty, command.name)
      for option in command.options {
        guard let line = helpLine(option, in: outcome.standardOutput) else {
          XCTFail("\(command.name) --help lacks \(option.flag):\n\(outcome.standardOutput)")
          continue
        }
        XCTAssertTrue(
          line.contains(option.help.dropLast()), "\(command.name) \(option.flag): \(line)")
        if let defaultText = option.defaultText {
          XCTAssertTrue(
            line.contains("default: \(defaultText))"), "\(command.name) \(option.flag): \(line)")
        } else {
          XCTAssertFalse(line.contains("default:"), "\(command.name) \(option.flag): \(line)")
        }
        for choice in option.choices ?? [] {
          XCTAssertTrue(
            line.contains(choice), "\(command.name) \(option.flag) lacks \(choice): \(line)")
        }
      }
    }
  }

  func testEveryCommand_declaresEachFlagOnceAndParsesNoArguments() throws {
    for command in GrawaCLI.commands {
      let names = command.options.map(\.name)
      XCTAssertEqual(
        Set(names).count, names.count, "\(command.name) declares a flag twice: \(names)")
      XCTAssertEqual(try command.parse([]).given.count, 0, command.name)
    }
  }

  func testHelpSubcommand_showsThatCommandsHelp() throws {
    let viaHelp = try CommandLineTests.run(["help", "train"])
    let viaFlag = try CommandLineTests.run(["train", "--help"])
    XCTAssertEqual(viaHelp.status, 0, viaHelp.standardError)
    XCTAssertTrue(viaHelp.standardOutput.hasPrefix(TrainCommand.abstract), viaHelp.standardOutput)
    XCTAssertTrue(viaHelp.standardOutput.contains("--comm-period <TAU>"), viaHelp.standardOutput)
    XCTAssertEqual(viaHelp.standardOutput, viaFlag.standardOutput)
    let unknown = try CommandLineTests.run(["help", "trian"])
    XCTAssertEqual(unknown.status, 2)
    XCTAssertTrue(
      unknown.standardError.contains("unknown subcommand 'trian' (did you mean 'train'?)"),
      unknown.standardError)
  }

  func testBareInvocation_printsTheHelpAndExitsTwo() throws {
    let outcome = try CommandLineTests.run([])
    XCTAssertEqual(outcome.status, 2)
    XCTAssertTrue(
      outcome.standardError.contains("USAGE: grawa-train <subcommand>"), outcome.standardError)
    XCTAssertTrue(outcome.standardError.contains("no subcommand given"), outcome.standardError)
    XCTAssertEqual(outcome.standardOutput, "")
  }

  func testMistypedFlag_suggestsTheNearOne() throws {
    let outcome = try CommandLineTests.run(["train", "--stepz", "3"])
    XCTAssertEqual(outcome.status, 2)
    XCTAssertTrue(
      outcome.standardError.contains("unknown option '--stepz' (did you mean '--steps'?)"),
      outcome.standardError)
    let bench = try CommandLineTests.run(["bench", "--repetition", "3"])
    XCTAssertEqual(bench.status, 2)
    XCTAssertTrue(
      bench.standardError.contains("unknown option '--repetition' (did you mean '--repetitions'?)"),
      bench.standardError)
    let subcommand = try CommandLineTests.run(["trian", "--steps", "3"])
    XCTAssertEqual(subcommand.status, 2)
    XCTAssertTrue(
      subcommand.standardError.contains("unknown subcommand 'trian' (did you mean 'train'?)"),
      subcommand.standardError)
  }

  func testBadValue_namesTheFlagAndAReadableRange() throws {
    let cases: [(arguments: [String], message: String)] = [
      (["train", "--steps", "0"], "invalid value '0' for '--steps': expected an integer >= 1"),
      (
        ["train", "--workers", "0", "--steps", "1"],
        "invalid value '0' for '--workers': expected an integer from 1 to 1024"
      ),
      (
        ["train", "--momentum", "1", "--steps", "1"],
        "invalid value '1' for '--momentum': expected a number >= 0 and < 1"
      ),
      (["train", "--epochs", "-2"], "invalid value '-2' for '--epochs': expected a number > 0"),
      (
        ["train", "--seed", "-1", "--steps", "1"],
        "invalid value '-1' for '--seed': expected a non-negative integer"
      ),
      (
        ["analyze", "run", "--samples", "0"],
        "invalid value '0' for '--samples': expected an integer from 1 to 10000000"
      ),
      (
        ["models", "--classes", "0"], "invalid value '0' for '--classes': expected an integer >= 1"
      ),
      (
        ["vincent", "--lsgd-proximity", "5"],
        "invalid value '5' for '--lsgd-proximity': expected a number from 0 to the communication period (4)"
      ),
    ]
    for (arguments, message) in cases {
      let outcome = try CommandLineTests.run(arguments)
      XCTAssertEqual(outcome.status, 2, arguments.joined(separator: " "))
      XCTAssertTrue(outcome.standardError.contains("error: \(message)\n"), outcome.standardError)
      XCTAssertFalse(outcome.standardError.contains("9223372036854775807"), outcome.standardError)
    }
  }

  func testLibrarySettingError_isReportedAgainstTheFlag() throws {
    // p2 5 passes the flag's own range (>= 0) but not the library's (at most tau = 4).
    let outcome = try CommandLineTests.run([
      "train", "--strategy", "lsgd", "--proximity", "5", "--dataset", "synthetic", "--steps", "1",
    ])
    XCTAssertEqual(outcome.status, 2)
    XCTAssertTrue(
      outcome.standardError.contains(
        "invalid value '5' for '--proximity': proximity strength must be in [0, communication period = 4]"
      ),
      outcome.standardError)
  }
}
