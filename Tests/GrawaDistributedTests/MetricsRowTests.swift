import Foundation
import GrawaDistributed
import XCTest

/// A metrics row carries the strategy's own metrics as columns and keys of their own.
final class MetricsRowTests: XCTestCase {
  private func row(_ metrics: [StrategyMetric]) -> MetricsRow {
    MetricsRow(
      seconds: 1.5, trainingSeconds: 1, epoch: 0.5, step: 4, syncs: 2, learningRate: 0.1, trainLoss: 2.25,
      trainError: 0.5, testLoss: 1.75, testError: 0.25, strategyMetrics: metrics, localSeconds: 3,
      distributedSeconds: 1, waitSeconds: 0.5)
  }

  func testJSON_roundTripsStrategyMetricsAsTopLevelKeys() throws {
    let original = row([StrategyMetric("weights", .vector([0.25, 0.75])), StrategyMetric("leader", .scalar(1))])
    let data = try RunJSON.encoder(pretty: false).encode(original)
    let text = try XCTUnwrap(String(data: data, encoding: .utf8))
    XCTAssertTrue(text.contains("\"weights\":[0.25,0.75]"), text)
    XCTAssertTrue(text.contains("\"leader\":1"), text)
    let decoded = try RunJSON.decoder().decode(MetricsRow.self, from: data)
    XCTAssertEqual(decoded.metric("weights"), .vector([0.25, 0.75]))
    XCTAssertEqual(decoded.metric("leader"), .scalar(1))
    XCTAssertEqual(decoded.testError, 0.25)
    XCTAssertEqual(decoded.waitSeconds, 0.5)
    XCTAssertNil(decoded.metric("spread"))
  }

  func testCSV_hasAColumnPerNamedMetric_emptyWhenAbsent() {
    let header = MetricsRow.csvHeader(metricNames: ["weights", "spread"]).split(separator: ",")
    XCTAssertEqual(Array(header[12...13]), ["weights", "spread"], "between the test figures and the timings")
    let line = row([StrategyMetric("weights", .vector([0.25, 0.75]))]).csvLine(metricNames: ["weights", "spread"])
    let fields = line.split(separator: ",", omittingEmptySubsequences: false)
    XCTAssertEqual(fields.count, header.count)
    XCTAssertEqual(fields[12], "0.25;0.75")
    XCTAssertEqual(fields[13], "", "a metric the row lacks is an empty field")
  }

  func testMetricNamedLikeARowField_isRefused() {
    XCTAssertThrowsError(try RunJSON.encoder().encode(row([StrategyMetric("testError", .scalar(0))])))
  }
}
