import GrawaData
import XCTest

final class DataErrorTests: XCTestCase {
  func testDescription_namesTheFileFirst() {
    XCTAssertEqual(DataError(path: "/tmp/x.gz", "truncated").description, "/tmp/x.gz: truncated")
    XCTAssertEqual(DataError(path: nil, "no data").description, "no data")
  }
}
