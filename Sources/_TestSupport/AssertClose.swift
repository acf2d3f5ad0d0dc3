import GrawaTensor
import XCTest

/// Asserts that `actual` and `expected` have the same count and every pair satisfies
/// `|a - e| <= atol + rtol * |e|`; reports the worst element.
public func assertClose(
  _ actual: [Float], _ expected: [Float], rtol: Float = 1e-5, atol: Float = 1e-6,
  _ message: String = "", file: StaticString = #filePath, line: UInt = #line
) {
  guard actual.count == expected.count else {
    XCTFail("count \(actual.count) != expected \(expected.count) \(message)", file: file, line: line)
    return
  }
  var worst = -1
  var worstExcess: Float = 0
  for i in actual.indices {
    let allowed = atol + rtol * abs(expected[i])
    let error = abs(actual[i] - expected[i])
    if !(error <= allowed) {
      let excess = error.isNaN ? .infinity : error - allowed
      if worst < 0 || excess > worstExcess {
        worst = i
        worstExcess = excess
      }
    }
  }
  if worst >= 0 {
    XCTFail(
      "element \(worst): \(actual[worst]) vs expected \(expected[worst]) (rtol \(rtol), atol \(atol)) \(message)",
      file: file, line: line)
  }
}

/// Asserts that two tensors have the same shape and close elements (see the array overload).
public func assertClose(
  _ actual: Tensor, _ expected: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6,
  _ message: String = "", file: StaticString = #filePath, line: UInt = #line
) {
  guard actual.shape == expected.shape else {
    XCTFail("shape \(actual.shape) != expected \(expected.shape) \(message)", file: file, line: line)
    return
  }
  assertClose(actual.scalars, expected.scalars, rtol: rtol, atol: atol, message, file: file, line: line)
}
