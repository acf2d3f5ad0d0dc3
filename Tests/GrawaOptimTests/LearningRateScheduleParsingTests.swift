import Foundation
import GrawaOptim
import XCTest

/// The text form of schedules: parsing, printing, Codable, and the errors for bad text.
final class LearningRateScheduleParsingTests: XCTestCase {
  func testParsing_validTexts() throws {
    let cases: [(String, LearningRateSchedule)] = [
      ("constant", .constant),
      ("  constant \n", .constant),
      ("step-epochs:0.1@100,150", .stepDecay(factor: 0.1, milestones: [100, 150], clock: .epochs)),
      (
        "step-epochs: 0.1 @ 100, 150",
        .stepDecay(factor: 0.1, milestones: [100, 150], clock: .epochs)
      ),
      ("step-seconds:0.1@500", .stepDecay(factor: 0.1, milestones: [500], clock: .seconds)),
      (
        "step-steps:0.5@1000,2500.5",
        .stepDecay(factor: 0.5, milestones: [1000, 2500.5], clock: .steps)
      ),
      ("cosine:200", .cosine(length: 200, clock: .epochs, minimum: 0, warmup: 0)),
      ("cosine-epochs:200", .cosine(length: 200, clock: .epochs, minimum: 0, warmup: 0)),
      ("cosine:200,warmup=5", .cosine(length: 200, clock: .epochs, minimum: 0, warmup: 5)),
      (
        "cosine:200,min=1e-3,warmup=5",
        .cosine(length: 200, clock: .epochs, minimum: 0.001, warmup: 5)
      ),
      (
        "cosine-steps:10000,warmup=500",
        .cosine(length: 10000, clock: .steps, minimum: 0, warmup: 500)
      ),
      ("cosine-seconds:900", .cosine(length: 900, clock: .seconds, minimum: 0, warmup: 0)),
    ]
    for (text, expected) in cases {
      XCTAssertEqual(try LearningRateSchedule(parsing: text), expected, "parsing '\(text)'")
    }
  }

  func testDescription_isCanonicalAndParsesBack() throws {
    let cases: [(LearningRateSchedule, String)] = [
      (.constant, "constant"),
      (.stepDecay(factor: 0.1, milestones: [100, 150], clock: .epochs), "step-epochs:0.1@100,150"),
      (.stepDecay(factor: 0.1, milestones: [500], clock: .seconds), "step-seconds:0.1@500"),
      (.stepDecay(factor: 0.5, milestones: [2.5], clock: .steps), "step-steps:0.5@2.5"),
      (.cosine(length: 200, clock: .epochs, minimum: 0, warmup: 0), "cosine:200"),
      (
        .cosine(length: 200, clock: .epochs, minimum: 1e-5, warmup: 5),
        "cosine:200,warmup=5,min=1e-05"
      ),
      (.cosine(length: 900, clock: .seconds, minimum: 0, warmup: 0), "cosine-seconds:900"),
    ]
    for (schedule, text) in cases {
      XCTAssertEqual(schedule.description, text)
      XCTAssertEqual(try LearningRateSchedule(parsing: text), schedule, "round trip of '\(text)'")
    }
  }

  func testCodable_usesTheTextForm() throws {
    struct Config: Codable, Equatable {
      var schedule: LearningRateSchedule
    }
    let config = Config(schedule: .cosine(length: 200, clock: .epochs, minimum: 0, warmup: 5))
    let json = try JSONEncoder().encode(config)
    XCTAssertEqual(String(decoding: json, as: UTF8.self), #"{"schedule":"cosine:200,warmup=5"}"#)
    XCTAssertEqual(try JSONDecoder().decode(Config.self, from: json), config)
    let bad = Data(#"{"schedule":"cosine:abc"}"#.utf8)
    XCTAssertThrowsError(try JSONDecoder().decode(Config.self, from: bad)) { error in
      guard case DecodingError.dataCorrupted(let context) = error else {
        return XCTFail("expected dataCorrupted, got \(error)")
      }
      XCTAssertEqual(
        context.debugDescription, "LearningRateSchedule: 'cosine:abc': length 'abc' is not a number"
      )
    }
  }

  func testParsing_invalidTexts_nameTheBadPart() {
    let cases: [(String, String)] = [
      ("constant:5", "'constant:5': 'constant' takes no arguments"),
      ("step-epochs", "'step-epochs': missing ':FACTOR@MILESTONES', e.g. step-epochs:0.1@100,150"),
      (
        "step-hours:0.1@5",
        "'step-hours:0.1@5': unknown clock 'hours' (expected epochs, steps or seconds)"
      ),
      (
        "step-epochs:0.1",
        "'step-epochs:0.1': expected FACTOR@MILESTONE[,MILESTONE...] after 'step-epochs:', "
          + "e.g. step-epochs:0.1@100,150"
      ),
      ("step-epochs:x@100", "'step-epochs:x@100': factor 'x' is not a number"),
      ("step-epochs:0.1@100,abc", "'step-epochs:0.1@100,abc': milestone 'abc' is not a number"),
      ("step-epochs:0.1@100,", "'step-epochs:0.1@100,': milestone is missing"),
      ("step-epochs:0.1@inf", "'step-epochs:0.1@inf': milestone 'inf' is not a number"),
      (
        "step-epochs:0.1@150,100",
        "'step-epochs:0.1@150,100': milestones must be strictly increasing (150 then 100)"
      ),
      ("step-epochs:-0.1@100", "'step-epochs:-0.1@100': factor -0.1 must be a positive number"),
      ("cosine", "'cosine': missing ':LENGTH', e.g. cosine:200,warmup=5"),
      ("cosine:abc", "'cosine:abc': length 'abc' is not a number"),
      ("cosine:0", "'cosine:0': length 0 must be positive"),
      (
        "cosine:200,warmup=200",
        "'cosine:200,warmup=200': warm-up 200 must be >= 0 and shorter than the length 200"
      ),
      ("cosine:200,min=-1", "'cosine:200,min=-1': minimum rate -1 must be >= 0"),
      ("cosine:200,foo=1", "'cosine:200,foo=1': unknown option 'foo' (expected warmup or min)"),
      (
        "cosine:200,warmup",
        "'cosine:200,warmup': option 'warmup' is not KEY=VALUE (keys: warmup, min)"
      ),
      (
        "cosine:200,warmup=1,warmup=2",
        "'cosine:200,warmup=1,warmup=2': option 'warmup' given twice"
      ),
      (
        "cosine-hours:3",
        "'cosine-hours:3': unknown clock 'hours' (expected epochs, steps or seconds)"
      ),
    ]
    for (text, message) in cases {
      XCTAssertThrowsError(try LearningRateSchedule(parsing: text), "parsing '\(text)'") { error in
        XCTAssertEqual((error as? OptimizerError)?.description, "LearningRateSchedule: " + message)
      }
    }
  }

  func testParsing_unknownName_listsTheSyntax() {
    for text in ["linear", "", "Constant"] {
      XCTAssertThrowsError(try LearningRateSchedule(parsing: text)) { error in
        let name = text
        XCTAssertEqual(
          (error as? OptimizerError)?.description,
          "LearningRateSchedule: '\(text)': unknown schedule '\(name)' (expected "
            + LearningRateSchedule.syntaxSummary + ")")
      }
    }
    XCTAssertTrue(LearningRateSchedule.syntaxSummary.contains("step-seconds:FACTOR@"))
  }
}
