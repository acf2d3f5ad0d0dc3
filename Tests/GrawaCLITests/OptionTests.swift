import GrawaExperiments
import XCTest

@testable import GrawaCLI

/// `Option`, `Bounds` and `OptionValue`: each declaration reads its values, refuses others with
/// a readable range, and shows its default in help from the same typed value.
final class OptionTests: XCTestCase {
  func testBounds_readAsAPersonWouldSayThem() {
    XCTAssertEqual(expectationPhrase(Int.self, bounds: .atLeast(1)), "an integer >= 1")
    XCTAssertEqual(
      expectationPhrase(Int.self, bounds: .from(1, to: 1024)), "an integer from 1 to 1024")
    XCTAssertEqual(expectationPhrase(Double.self, bounds: .greaterThan(0)), "a number > 0")
    XCTAssertEqual(
      expectationPhrase(Double.self, bounds: .from(0, below: 1)), "a number >= 0 and < 1")
    XCTAssertEqual(
      expectationPhrase(Double.self, bounds: .from(1e-9, to: 10)), "a number from 1e-09 to 10")
    XCTAssertEqual(expectationPhrase(UInt64.self, bounds: nil), "a non-negative integer")
  }

  func testBounds_includeAndExcludeTheirEnds() {
    let halfOpen = Bounds<Double>.from(0, below: 1)
    XCTAssertTrue(halfOpen.contains(0))
    XCTAssertTrue(halfOpen.contains(0.999))
    XCTAssertFalse(halfOpen.contains(1))
    XCTAssertFalse(Bounds<Double>.greaterThan(0).contains(0))
    XCTAssertTrue(Bounds<Int>.from(1, to: 3).contains(3))
    XCTAssertFalse(Bounds<Int>.from(1, to: 3).contains(4))
  }

  func testParse_refusesMalformedAndOutOfRangeValues() throws {
    let momentum = Option<Double>(
      "momentum", "MU", default: 0.9, in: .from(0, below: 1), help: "Momentum.")
    XCTAssertEqual(try momentum.parse("0.5"), 0.5)
    for bad in ["1", "-0.1", "nan", "inf", "x", ""] {
      XCTAssertThrowsError(try momentum.parse(bad), bad) {
        XCTAssertEqual(
          $0 as? InvalidOptionValue, InvalidOptionValue("expected a number >= 0 and < 1"), bad)
      }
    }
    let seeds = Option<[UInt64]>("seeds", "LIST", default: [0], unique: true, help: "Seeds.")
    XCTAssertEqual(try seeds.parse("3,1"), [3, 1])
    XCTAssertThrowsError(try seeds.parse("1,1")) {
      XCTAssertEqual($0 as? InvalidOptionValue, InvalidOptionValue("'1' is listed twice"))
    }
  }

  func testDefaults_areShownFromTheTypedValue() {
    XCTAssertEqual(Option<Double>("x", "X", default: 1, help: "").defaultText, "1")
    XCTAssertEqual(Option<Double>("x", "X", default: 1e-4, help: "").defaultText, "0.0001")
    XCTAssertEqual(Option<[Int]>("x", "X", default: [256, 512], help: "").defaultText, "256,512")
    XCTAssertEqual(
      Option<StrategyKind>("x", "X", default: .localMGRAWA, help: "").defaultText, "local-mgrawa")
    XCTAssertEqual(Option<Int?>("x", "X", help: "", shownAs: "all").defaultText, "all")
    XCTAssertEqual(
      Option<Int>("x", "X", default: 0, help: "", shownAs: "all cores").defaultText, "all cores")
  }

  func testChoices_areListedInHelp() {
    let option = Option<BufferPolicy>("bn-policy", "NAME", default: .recompute, help: "Batch norm.")
    XCTAssertEqual(option.choices, ["recompute", "average"])
    XCTAssertEqual(
      optionDescription(option), "Batch norm (values: recompute, average; default: recompute).")
    XCTAssertEqual(optionLabel(PlotOptions.output), "-o, --output <FILE>")
  }

  func testRenamed_keepsTypeDefaultAndRange() throws {
    let renamed = AnalyzeOptions.step.renamed("hvp-step", help: "Step.")
    XCTAssertEqual(renamed.name, "hvp-step")
    XCTAssertEqual(renamed.defaultValue, AnalyzeOptions.step.defaultValue)
    XCTAssertThrowsError(try renamed.parse("20"))
    XCTAssertFalse(renamed === AnalyzeOptions.step)
  }

  func testSchedule_parsesTheTextFormAndReportsItsError() throws {
    XCTAssertEqual(try TrainOptions.schedule.parse("constant"), .constant)
    XCTAssertThrowsError(try TrainOptions.schedule.parse("cosine:x")) {
      let reason = ($0 as? InvalidOptionValue)?.reason ?? ""
      XCTAssertTrue(reason.contains("'cosine:x'"), reason)
    }
  }
}

/// `bench --conv`'s layer syntax: channels, map, optional stride and kernel.
final class ConvLayerShapeTests: XCTestCase {
  func testLayers_readWithTheirStrideAndKernel() throws {
    let plain = try ConvLayerShape(argument: "64-128@16")
    XCTAssertEqual(plain, ConvLayerShape(inChannels: 64, outChannels: 128, size: 16, stride: 1))
    XCTAssertEqual(plain.padding, 1)
    XCTAssertEqual(plain.label, "64->128 @ 16x16")
    let pointwise = try ConvLayerShape(argument: "512-2048@1:1")
    XCTAssertEqual(
      pointwise, ConvLayerShape(inChannels: 512, outChannels: 2048, size: 1, stride: 1, kernel: 1))
    XCTAssertEqual(pointwise.padding, 0)
    XCTAssertEqual(pointwise.label, "512->2048 @ 1x1 k1")
    XCTAssertEqual(pointwise.argumentText, "512-2048@1:1")
    let stem = try ConvLayerShape(argument: "3-64@32/2:7")
    XCTAssertEqual(stem.kernel, 7)
    XCTAssertEqual(stem.stride, 2)
    XCTAssertEqual(stem.padding, 3)
    XCTAssertEqual(stem.argumentText, "3-64@32/2:7")
  }

  func testMalformedLayers_areRefused() {
    for bad in ["64-128@16:", "64-128@16:0", "64-128@16:x", "64-128@16:3:3", "64-128@16/0", "64@16"] {
      XCTAssertThrowsError(try ConvLayerShape(argument: bad), bad)
    }
  }
}
