import GrawaTensor
import XCTest
import _TestSupport

final class ArithmeticTests: XCTestCase {
  func testAdd_broadcastsBiasOverBatch() throws {
    let a = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    let b = Tensor([10, 20, 30])
    XCTAssertEqual(try (a + b).scalars, [11, 22, 33, 14, 25, 36])
    XCTAssertEqual(try (b + a).scalars, [11, 22, 33, 14, 25, 36])
    XCTAssertEqual(try (a - b).scalars, [-9, -18, -27, -6, -15, -24])
  }

  func testMultiply_broadcastsPerChannel() throws {
    let x = try Tensor(shape: [1, 2, 1, 2], scalars: [1, 2, 3, 4])
    let s = try Tensor(shape: [1, 2, 1, 1], scalars: [10, -1])
    XCTAssertEqual(try (x * s).scalars, [10, 20, -3, -4])
  }

  func testIncompatibleShapes_throwNamingBothShapes() {
    let a = Tensor.zeros([2, 3])
    let b = Tensor.zeros([4])
    XCTAssertThrowsError(try a + b) { error in
      XCTAssertEqual("\(error)", "add: shapes [2, 3] and [4] do not broadcast")
    }
  }

  func testAddGradient_reducesBroadcastDimensions() throws {
    var random = TestRandom(seed: 1)
    try checkGradient(of: { try $0[0] + $0[1] }, at: [random.tensor([3, 4, 5]), random.tensor([4, 1])])
    try checkGradient(of: { try $0[0] - $0[1] }, at: [random.tensor([2, 3, 2, 2]), random.tensor([1, 3, 1, 1])])
  }

  func testMultiplyGradient_withBroadcasting() throws {
    var random = TestRandom(seed: 2)
    try checkGradient(of: { try $0[0] * $0[1] }, at: [random.tensor([3, 4]), random.tensor([3, 4])])
    try checkGradient(of: { try $0[0] * $0[1] }, at: [random.tensor([2, 3, 2, 2]), random.tensor([1, 3, 1, 1])])
  }

  func testScaleAndAddScalarGradients() throws {
    var random = TestRandom(seed: 3)
    try checkGradient(of: { $0[0].scaled(by: -2.5) }, at: [random.tensor([7])])
    try checkGradient(of: { $0[0].adding(3) }, at: [random.tensor([7])])
  }

  func testReluGradient_awayFromKink() throws {
    var random = TestRandom(seed: 4)
    // Keep inputs at least 0.1 away from 0 so the finite difference never straddles the kink.
    let values = random.uniforms(50).map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 }
    try checkGradient(of: { $0[0].relu() }, at: [Tensor(values)])
  }

  func testBackward_accumulatesIntoLeavesAcrossPasses() throws {
    let x = Tensor([1, 2, 3]).requiringGradient()
    try (x * x).backward(seed: Tensor([1, 1, 1]))
    try (x.scaled(by: 2)).backward(seed: Tensor([1, 1, 1]))
    XCTAssertEqual(x.gradient?.scalars, [4, 6, 8])
    x.zeroGradient()
    XCTAssertNil(x.gradient)
  }

  func testBackward_twiceOnSameGraph_throws() throws {
    let x = Tensor([1, 2]).requiringGradient()
    let y = x.scaled(by: 3)
    try y.backward(seed: Tensor([1, 1]))
    XCTAssertThrowsError(try y.backward(seed: Tensor([1, 1])))
  }

  func testNoGradMode_recordsNothing() {
    let x = Tensor([1, 2]).requiringGradient()
    let y = GradientRecording.withoutGradients { x.scaled(by: 3) }
    XCTAssertFalse(y.requiresGradient)
    XCTAssertTrue(x.scaled(by: 3).requiresGradient)
  }

  func testDeepChain_backwardDoesNotOverflowTheStack() throws {
    var y = Tensor([1]).requiringGradient()
    let x = y
    for _ in 0..<200_000 { y = y.adding(0) }
    try y.backward()
    XCTAssertEqual(x.gradient?.scalars, [1])
  }
}
