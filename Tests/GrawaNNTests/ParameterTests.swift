import GrawaNN
import GrawaTensor
import XCTest

final class ParameterTests: XCTestCase {
  func testParameter_isAGradientLeafThatKeepsItsValue() throws {
    let parameter = Parameter(Tensor([1, 2, 3]))
    XCTAssertTrue(parameter.value.requiresGradient)
    try (parameter.value * parameter.value).sum().backward()
    XCTAssertEqual(parameter.gradient?.scalars, [2, 4, 6])
    parameter.zeroGradient()
    XCTAssertNil(parameter.gradient)
    XCTAssertEqual(parameter.value.scalars, [1, 2, 3])
  }
}
