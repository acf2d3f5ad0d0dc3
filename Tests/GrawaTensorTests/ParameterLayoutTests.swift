import GrawaTensor
import XCTest
import _TestSupport

final class ParameterLayoutTests: XCTestCase {
  private let names = ["conv.weight", "bn.gamma", "fc.bias"]
  private let shapes = [[2, 3], [4], [1, 2, 2]]

  private func makeLayout() throws -> ParameterLayout {
    try ParameterLayout(names: names, shapes: shapes)
  }

  private func makeTensors() throws -> [Tensor] {
    [
      try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]),
      Tensor([7, 8, 9, 10]),
      try Tensor(shape: [1, 2, 2], scalars: [11, 12, 13, 14]),
    ]
  }

  func testOffsetsAndRanges_packTensorsBackToBack() throws {
    let layout = try makeLayout()
    // Sizes 6, 4, 4: offsets 0, 6, 10; total 14.
    XCTAssertEqual(layout.offsets, [0, 6, 10])
    XCTAssertEqual(layout.totalCount, 14)
    XCTAssertEqual(layout.tensorCount, 3)
    XCTAssertEqual(layout.names, names)
    XCTAssertEqual(layout.shapes, shapes)
    XCTAssertEqual(layout.range(of: 0), 0..<6)
    XCTAssertEqual(layout.range(of: 1), 6..<10)
    XCTAssertEqual(layout.range(of: 2), 10..<14)
  }

  func testEmptyAndScalarLayouts() throws {
    let empty = try ParameterLayout(names: [], shapes: [])
    XCTAssertEqual(empty.totalCount, 0)
    XCTAssertEqual(try empty.flatten([]), [])
    let scalar = try ParameterLayout(names: ["s", "v"], shapes: [[], [0]])
    XCTAssertEqual(scalar.offsets, [0, 1])
    XCTAssertEqual(scalar.totalCount, 1)
    XCTAssertEqual(scalar.range(of: 1), 1..<1)
  }

  func testFlatten_concatenatesInDeclarationOrder() throws {
    let flat = try makeLayout().flatten(makeTensors())
    XCTAssertEqual(flat, (1...14).map(Float.init))
  }

  func testFlattenThenScatter_roundTrips() throws {
    let layout = try makeLayout()
    let original = try makeTensors()
    var target = [Tensor.zeros([2, 3]), Tensor.zeros([4]), Tensor.zeros([1, 2, 2])]
    try layout.scatter(try layout.flatten(original), into: &target)
    XCTAssertEqual(target, original)
  }

  func testScatter_writesEachSliceToItsTensor() throws {
    let layout = try makeLayout()
    var tensors = try makeTensors()
    let flat = (0..<14).map { Float(-$0) }
    try layout.scatter(flat, into: &tensors)
    XCTAssertEqual(tensors[0].scalars, [0, -1, -2, -3, -4, -5])
    XCTAssertEqual(tensors[1].scalars, [-6, -7, -8, -9])
    XCTAssertEqual(tensors[2].scalars, [-10, -11, -12, -13])
    XCTAssertEqual(tensors[2].shape, [1, 2, 2])
    for (index, tensor) in tensors.enumerated() {
      XCTAssertEqual(Array(flat[layout.range(of: index)]), tensor.scalars)
    }
  }

  func testScatter_keepsGradientLeaves() throws {
    let layout = try makeLayout()
    var tensors = try makeTensors().map { $0.requiringGradient() }
    let leaves = tensors
    try layout.scatter([Float](repeating: 2, count: 14), into: &tensors)
    XCTAssertTrue(tensors.allSatisfy(\.requiresGradient))
    // Still the same leaves: a backward pass through the scattered tensor reaches the originals.
    try tensors[1].scaled(by: 3).backward(seed: Tensor.ones([4]))
    XCTAssertEqual(leaves[1].gradient?.scalars, [3, 3, 3, 3])
    XCTAssertEqual(tensors[1].gradient?.scalars, [3, 3, 3, 3])
    // The originals' values are untouched (copy on write).
    XCTAssertEqual(leaves[1].scalars, [7, 8, 9, 10])
  }

  func testScatter_doesNotChangeTheFlatBufferOrOtherCopies() throws {
    let layout = try makeLayout()
    let originals = try makeTensors()
    var tensors = originals
    let flat = [Float](repeating: 5, count: 14)
    try layout.scatter(flat, into: &tensors)
    XCTAssertEqual(originals, try makeTensors())
    XCTAssertEqual(flat, [Float](repeating: 5, count: 14))
  }

  // MARK: - Errors

  func testInit_duplicateNames_throws() {
    XCTAssertThrowsError(try ParameterLayout(names: ["a", "b", "a"], shapes: [[1], [2], [3]])) {
      error in
      XCTAssertEqual("\(error)", "ParameterLayout: duplicate tensor name 'a'")
    }
  }

  func testInit_countMismatch_throws() {
    XCTAssertThrowsError(try ParameterLayout(names: ["a", "b"], shapes: [[1], [2], [3]])) { error in
      XCTAssertEqual("\(error)", "ParameterLayout: 2 names for 3 shapes")
    }
  }

  func testInit_negativeDimension_throws() {
    // A layout read from a corrupt checkpoint header must be rejected, not trap later in range(of:).
    XCTAssertThrowsError(try ParameterLayout(names: ["a", "b"], shapes: [[3], [-1, 2]])) { error in
      XCTAssertEqual("\(error)", "ParameterLayout: tensor 1 'b' has a negative dimension in [-1, 2]")
    }
  }

  func testFlatten_wrongShapeOrCount_throws() throws {
    let layout = try makeLayout()
    var tensors = try makeTensors()
    tensors[1] = Tensor.zeros([5])
    XCTAssertThrowsError(try layout.flatten(tensors)) { error in
      XCTAssertEqual(
        "\(error)", "ParameterLayout.flatten: tensor 1 'bn.gamma' has shape [5], layout says [4]")
    }
    XCTAssertThrowsError(try layout.flatten(Array(try makeTensors().prefix(2)))) { error in
      XCTAssertEqual("\(error)", "ParameterLayout.flatten: 2 tensors for a layout of 3")
    }
    // Same element count, different shape: still rejected.
    tensors[1] = Tensor.zeros([2, 2])
    XCTAssertThrowsError(try layout.flatten(tensors)) { error in
      XCTAssertEqual(
        "\(error)", "ParameterLayout.flatten: tensor 1 'bn.gamma' has shape [2, 2], layout says [4]"
      )
    }
  }

  func testScatter_wrongFlatLengthOrShape_throwsAndWritesNothing() throws {
    let layout = try makeLayout()
    var tensors = try makeTensors()
    XCTAssertThrowsError(try layout.scatter([Float](repeating: 0, count: 13), into: &tensors)) {
      error in
      XCTAssertEqual(
        "\(error)", "ParameterLayout.scatter: flat buffer has 13 elements, layout needs 14")
    }
    XCTAssertEqual(tensors, try makeTensors())
    tensors[2] = Tensor.zeros([4])
    XCTAssertThrowsError(try layout.scatter([Float](repeating: 9, count: 14), into: &tensors)) {
      error in
      XCTAssertEqual(
        "\(error)",
        "ParameterLayout.scatter: tensor 2 'fc.bias' has shape [4], layout says [1, 2, 2]")
    }
    XCTAssertEqual(tensors[0], try makeTensors()[0], "nothing written before the shape check")
    var short = Array(try makeTensors().prefix(1))
    XCTAssertThrowsError(try layout.scatter([Float](repeating: 0, count: 14), into: &short)) {
      error in
      XCTAssertEqual("\(error)", "ParameterLayout.scatter: 1 tensors for a layout of 3")
    }
  }

  func testEquatable_comparesNamesAndShapes() throws {
    XCTAssertEqual(try makeLayout(), try makeLayout())
    XCTAssertNotEqual(
      try makeLayout(), try ParameterLayout(names: ["x", "bn.gamma", "fc.bias"], shapes: shapes))
    XCTAssertNotEqual(
      try makeLayout(), try ParameterLayout(names: names, shapes: [[3, 2], [4], [1, 2, 2]]))
  }
}
