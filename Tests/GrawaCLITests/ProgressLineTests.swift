import GrawaDistributed
import XCTest

@testable import GrawaCLI

final class ProgressLineTests: XCTestCase {
  func testLine_withAKnownBudget_hasABarPercentRateAndTimes() {
    let report = TrainingProgressReport(
      epoch: 1.5, step: 300, trainLoss: 0.43214, trainError: 0.1523, trainingSeconds: 130, secondsLeft: 170)
    XCTAssertEqual(
      ProgressLine.text(report, imagesPerSecond: 812.4, bar: true),
      "[########------------]  43%  epoch 1.50  step 300  loss 0.4321  error 15.23%  812 img/s  0:02:10 trained  ~0:02:50 left")
  }

  func testLine_withoutBarOrBudget_andBeforeTheFirstStep() {
    let first = TrainingProgressReport(epoch: 0, step: 0, trainLoss: .nan, trainError: .nan, trainingSeconds: 0)
    XCTAssertEqual(
      ProgressLine.text(first, imagesPerSecond: nil, bar: true), "epoch 0.00  step 0  loss -  error -  0:00:00 trained")
    let piped = TrainingProgressReport(
      epoch: 2, step: 10, trainLoss: 1, trainError: 0.5, trainingSeconds: 3725, secondsLeft: 5)
    XCTAssertEqual(
      ProgressLine.text(piped, imagesPerSecond: 99.6, bar: false),
      "epoch 2.00  step 10  loss 1.0000  error 50.00%  100 img/s  1:02:05 trained  ~0:00:05 left")
  }

  func testBar_fillsWholeCellsOnly() {
    XCTAssertEqual(ProgressLine.progressBar(0), "[--------------------]")
    XCTAssertEqual(ProgressLine.progressBar(0.049), "[--------------------]")
    XCTAssertEqual(ProgressLine.progressBar(0.05), "[#-------------------]")
    XCTAssertEqual(ProgressLine.progressBar(1), "[####################]")
  }
}
