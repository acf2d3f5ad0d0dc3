import Foundation
import GrawaDistributed
import XCTest

/// How checkpoints keep a run's description without knowing its type.
final class JSONValueTests: XCTestCase {
  private struct Description: Codable, Equatable {
    var name: String
    var seed: UInt64
    var workers: Int
    var rate: Float
    var fraction: Double
    var limit: Int?
    var tags: [String]
  }

  func testRoundTrip_keepsLargeIntegersAndFloatsExact() throws {
    let original = Description(
      name: "run", seed: UInt64.max - 6, workers: 4, rate: 1.0 / 3.0, fraction: 0.1 + 0.2, limit: nil, tags: ["a"])
    let value = try JSONValue(encoding: original)
    guard case .object(let fields) = value else { return XCTFail("not an object: \(value)") }
    XCTAssertEqual(fields["seed"], .unsigned(UInt64.max - 6), "above Int64.max: kept unsigned, not rounded to Double")
    XCTAssertEqual(fields["workers"], .integer(4))
    XCTAssertNil(fields["limit"], "an absent optional stays absent")
    XCTAssertEqual(try value.decode(Description.self), original)
  }

  func testEncoding_isTheSameTextAsTheValueItHolds() throws {
    let original = Description(name: "x", seed: 7, workers: 2, rate: 0.1, fraction: 1, limit: 3, tags: [])
    let direct = try RunJSON.encoder().encode(original)
    let viaValue = try RunJSON.encoder().encode(try JSONValue(encoding: original))
    XCTAssertEqual(String(data: viaValue, encoding: .utf8), String(data: direct, encoding: .utf8))
  }
}
