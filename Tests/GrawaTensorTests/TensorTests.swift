import GrawaTensor
import XCTest
import _TestSupport

final class TensorTests: XCTestCase {
  // MARK: - Creation

  func testZerosOnesFull_fillEveryElement() {
    let zeros = Tensor.zeros([2, 3])
    XCTAssertEqual(zeros.shape, [2, 3])
    XCTAssertEqual(zeros.scalars, [Float](repeating: 0, count: 6))
    let ones = Tensor.ones([4])
    XCTAssertEqual(ones.shape, [4])
    XCTAssertEqual(ones.scalars, [1, 1, 1, 1])
    let full = Tensor.full([1, 2, 2], -2.5)
    XCTAssertEqual(full.shape, [1, 2, 2])
    XCTAssertEqual(full.scalars, [-2.5, -2.5, -2.5, -2.5])
    XCTAssertFalse(full.requiresGradient)
  }

  func testRankCountAndScalar_ofScalarVectorAndEmptyTensors() throws {
    let scalar = Tensor(3.5)
    XCTAssertEqual(scalar.shape, [])
    XCTAssertEqual(scalar.rank, 0)
    XCTAssertEqual(scalar.count, 1)
    XCTAssertEqual(scalar.scalar, 3.5)
    let vector = Tensor([1, 2, 3])
    XCTAssertEqual(vector.shape, [3])
    XCTAssertEqual(vector.rank, 1)
    let empty = Tensor.zeros([3, 0, 2])
    XCTAssertEqual(empty.count, 0)
    XCTAssertEqual(empty.rank, 3)
    let rank0 = try Tensor(shape: [], scalars: [7])
    XCTAssertEqual(rank0.scalar, 7)
  }

  func testInitShapeScalars_keepsRowMajorOrder() throws {
    let t = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    XCTAssertEqual(t.shape, [2, 3])
    XCTAssertEqual(t.scalars, [1, 2, 3, 4, 5, 6])
    t.withUnsafeScalars { p in
      XCTAssertEqual(p.count, 6)
      // Element [1, 0] is at 1 * 3 + 0.
      XCTAssertEqual(p[3], 4)
    }
  }

  func testInitShapeScalars_countMismatch_throwsNamingShapeAndCounts() {
    XCTAssertThrowsError(try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5])) { error in
      XCTAssertEqual(
        error as? TensorError,
        TensorError("Tensor(shape:scalars:)", "shape [2, 3] needs 6 scalars, got 5"))
      XCTAssertEqual("\(error)", "Tensor(shape:scalars:): shape [2, 3] needs 6 scalars, got 5")
    }
    XCTAssertThrowsError(try Tensor(shape: [], scalars: [])) { error in
      XCTAssertEqual("\(error)", "Tensor(shape:scalars:): shape [] needs 1 scalars, got 0")
    }
  }

  func testInitShapeScalars_negativeDimension_throws() {
    // [-1, -2] has a positive product (2), so only the explicit sign check can catch it.
    XCTAssertThrowsError(try Tensor(shape: [-1, -2], scalars: [1, 2])) { error in
      XCTAssertEqual("\(error)", "Tensor(shape:scalars:): negative dimension in shape [-1, -2]")
    }
    XCTAssertThrowsError(try Tensor(shape: [3, -1], scalars: [])) { error in
      XCTAssertEqual("\(error)", "Tensor(shape:scalars:): negative dimension in shape [3, -1]")
    }
  }

  // MARK: - Value semantics

  func testCopyOnWrite_mutatingACopyLeavesTheOriginal() throws {
    let original = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
    var copy = original
    copy.withUnsafeMutableScalars { p in
      for i in p.indices { p[i] *= 10 }
    }
    XCTAssertEqual(original.scalars, [1, 2, 3, 4])
    XCTAssertEqual(copy.scalars, [10, 20, 30, 40])
    XCTAssertEqual(copy.shape, [2, 2])
  }

  func testCopyOnWrite_assignOnACopyLeavesTheOriginal() throws {
    let original = Tensor([1, 2, 3])
    var copy = original
    try copy.assign([7, 8, 9])
    XCTAssertEqual(original.scalars, [1, 2, 3])
    XCTAssertEqual(copy.scalars, [7, 8, 9])
  }

  func testWithUnsafeMutableScalars_keepsTheGradientLeaf() throws {
    var leaf = Tensor([1, 2]).requiringGradient()
    let alias = leaf
    leaf.withUnsafeMutableScalars { p in p[0] = 5 }
    XCTAssertTrue(leaf.requiresGradient)
    // The mutated tensor and its unmutated copy are still the same leaf: a gradient reaching one
    // is visible through the other.
    try leaf.scaled(by: 2).backward(seed: Tensor([1, 1]))
    XCTAssertEqual(alias.gradient?.scalars, [2, 2])
    XCTAssertEqual(alias.scalars, [1, 2])
    XCTAssertEqual(leaf.scalars, [5, 2])
  }

  // MARK: - assign

  func testAssign_replacesElementsKeepingShape() throws {
    var t = Tensor.zeros([2, 2])
    try t.assign([1, 2, 3, 4])
    XCTAssertEqual(t.shape, [2, 2])
    XCTAssertEqual(t.scalars, [1, 2, 3, 4])
  }

  func testAssign_wrongCount_throwsAndLeavesTensorUnchanged() {
    var t = Tensor.ones([2, 3])
    XCTAssertThrowsError(try t.assign([1, 2, 3])) { error in
      XCTAssertEqual("\(error)", "assign: tensor of shape [2, 3] has 6 elements, got 3")
    }
    XCTAssertEqual(t.scalars, [Float](repeating: 1, count: 6))
  }

  // MARK: - description and Equatable

  func testDescription_showsShapeAndAtMostEightElements() throws {
    let short = try Tensor(shape: [1, 3], scalars: [1, -2.5, 0])
    XCTAssertEqual(short.description, "Tensor(shape: [1, 3], [1.0, -2.5, 0.0])")
    let long = Tensor((0..<10).map { Float($0) })
    XCTAssertEqual(
      long.description, "Tensor(shape: [10], [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, ...])")
    let exactlyEight = Tensor([Float](repeating: 1, count: 8))
    XCTAssertEqual(
      exactlyEight.description, "Tensor(shape: [8], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0])")
    XCTAssertEqual(Tensor(2).description, "Tensor(shape: [], [2.0])")
  }

  func testEquatable_comparesShapeAndElementsButNotGradientState() throws {
    let a = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
    XCTAssertEqual(a, try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
    XCTAssertNotEqual(a, try Tensor(shape: [4], scalars: [1, 2, 3, 4]))
    XCTAssertNotEqual(a, try Tensor(shape: [2, 2], scalars: [1, 2, 3, 5]))
    XCTAssertEqual(a, a.requiringGradient())
    XCTAssertEqual(Tensor.zeros([0]), Tensor.zeros([0]))
    XCTAssertNotEqual(Tensor.zeros([0, 2]), Tensor.zeros([2, 0]))
    // Elements compare with IEEE `==`: a tensor holding NaN is not equal to itself, and -0 == 0.
    // Compare bit patterns when NaN must match.
    XCTAssertNotEqual(Tensor([.nan]), Tensor([.nan]))
    XCTAssertEqual(Tensor([-0.0]), Tensor([0.0]))
  }

  func testRequiringGradientAndDetached_toggleOnlyTheGraph() {
    let t = Tensor([1, 2, 3])
    XCTAssertFalse(t.requiresGradient)
    XCTAssertNil(t.gradient)
    let leaf = t.requiringGradient()
    XCTAssertTrue(leaf.requiresGradient)
    XCTAssertNil(leaf.gradient)
    let plain = leaf.detached()
    XCTAssertFalse(plain.requiresGradient)
    XCTAssertEqual(plain, t)
  }
}
