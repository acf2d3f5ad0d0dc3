import GrawaTensor
import XCTest
import _TestSupport

final class ShapeTests: XCTestCase {
  // MARK: - Naive references

  /// Every multi-index of `shape`, in row-major order.
  private func allIndices(_ shape: [Int]) -> [[Int]] {
    var result: [[Int]] = [[]]
    for extent in shape {
      var next: [[Int]] = []
      for prefix in result {
        for i in 0..<extent { next.append(prefix + [i]) }
      }
      result = next
    }
    return result
  }

  /// The element of `t` at multi-index `index`, via explicitly computed row-major strides.
  private func element(_ t: Tensor, _ index: [Int]) -> Float {
    var offset = 0
    for d in 0..<t.rank {
      offset = offset * t.shape[d] + index[d]
    }
    return t.scalars[offset]
  }

  /// Concatenation by looking up, for every output index, which input owns it.
  private func naiveConcatenate(_ tensors: [Tensor], axis: Int) -> Tensor {
    var outShape = tensors[0].shape
    outShape[axis] = tensors.map { $0.shape[axis] }.reduce(0, +)
    var values: [Float] = []
    for index in allIndices(outShape) {
      var position = index[axis]
      for t in tensors {
        if position < t.shape[axis] {
          var local = index
          local[axis] = position
          values.append(element(t, local))
          break
        }
        position -= t.shape[axis]
      }
    }
    return (try? Tensor(shape: outShape, scalars: values)) ?? Tensor.zeros([0])
  }

  // MARK: - reshape

  func testReshape_keepsElementOrder() throws {
    let t = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    let r = try t.reshaped(to: [3, 1, 2])
    XCTAssertEqual(r.shape, [3, 1, 2])
    XCTAssertEqual(r.scalars, [1, 2, 3, 4, 5, 6])
    XCTAssertThrowsError(try t.reshaped(to: []), "6 elements cannot be a scalar")
  }

  func testReshape_infersTheMinusOneDimension() throws {
    let t = Tensor.zeros([2, 3, 4])
    XCTAssertEqual(try t.reshaped(to: [-1]).shape, [24])
    XCTAssertEqual(try t.reshaped(to: [4, -1]).shape, [4, 6])
    XCTAssertEqual(try t.reshaped(to: [2, -1, 2]).shape, [2, 6, 2])
    XCTAssertEqual(try Tensor.zeros([0, 3]).reshaped(to: [-1, 3]).shape, [0, 3])
  }

  func testReshape_toScalarFromOneElement() throws {
    let t = try Tensor(shape: [1, 1], scalars: [4])
    let s = try t.reshaped(to: [])
    XCTAssertEqual(s.shape, [])
    XCTAssertEqual(s.scalar, 4)
  }

  func testReshape_errorsNameTheShapes() {
    let t = Tensor.zeros([2, 3])
    XCTAssertThrowsError(try t.reshaped(to: [4, 2])) { error in
      XCTAssertEqual("\(error)", "reshape: cannot reshape [2, 3] (6 elements) to [4, 2]")
    }
    XCTAssertThrowsError(try t.reshaped(to: [4, -1])) { error in
      XCTAssertEqual("\(error)", "reshape: cannot reshape [2, 3] to [4, -1]")
    }
    XCTAssertThrowsError(try t.reshaped(to: [-1, -1])) { error in
      XCTAssertEqual("\(error)", "reshape: invalid target shape [-1, -1]")
    }
    XCTAssertThrowsError(try t.reshaped(to: [-2, -3])) { error in
      XCTAssertEqual("\(error)", "reshape: invalid target shape [-2, -3]")
    }
    XCTAssertThrowsError(try t.reshaped(to: [0, -1])) { error in
      XCTAssertEqual("\(error)", "reshape: cannot reshape [2, 3] to [0, -1]")
    }
  }

  func testReshapeGradient_matchesFiniteDifferences() throws {
    var random = TestRandom(seed: 11)
    try checkGradient(of: { try $0[0].reshaped(to: [3, -1]) }, at: [random.tensor([2, 3, 2])])
  }

  // MARK: - flattened

  func testFlattened_keepsBatchDimension() throws {
    let t = try Tensor(shape: [2, 2, 1, 3], scalars: (0..<12).map(Float.init))
    let f = t.flattened()
    XCTAssertEqual(f.shape, [2, 6])
    XCTAssertEqual(f.scalars, t.scalars)
    XCTAssertEqual(Tensor.zeros([5]).flattened().shape, [5, 1])
    XCTAssertEqual(Tensor.zeros([4, 7]).flattened().shape, [4, 7])
  }

  func testFlattenGradient_matchesFiniteDifferences() throws {
    var random = TestRandom(seed: 12)
    try checkGradient(of: { $0[0].flattened() }, at: [random.tensor([2, 3, 2, 2])])
  }

  // MARK: - permuted and transposed

  func testPermuted_matchesNaiveIndexingOnRank4() throws {
    var random = TestRandom(seed: 13)
    let shape = [2, 3, 4, 5]
    let t = random.tensor(shape)
    for axes in [[0, 1, 2, 3], [3, 2, 1, 0], [0, 2, 3, 1], [2, 0, 3, 1], [1, 3, 0, 2]] {
      let p = try t.permuted(axes)
      let outShape = axes.map { shape[$0] }
      XCTAssertEqual(p.shape, outShape, "axes \(axes)")
      var expected: [Float] = []
      for outIndex in allIndices(outShape) {
        // Output dimension i is input dimension axes[i].
        var inIndex = [Int](repeating: 0, count: 4)
        for i in 0..<4 { inIndex[axes[i]] = outIndex[i] }
        expected.append(element(t, inIndex))
      }
      XCTAssertEqual(p.scalars, expected, "axes \(axes)")
    }
  }

  func testPermuted_thenInversePermutation_roundTrips() throws {
    var random = TestRandom(seed: 14)
    let t = random.tensor([2, 3, 4, 5])
    let p = try t.permuted([2, 0, 3, 1])
    // Inverse of [2, 0, 3, 1]: input axis 0 went to position 1, 1 to 3, 2 to 0, 3 to 2.
    XCTAssertEqual(try p.permuted([1, 3, 0, 2]), t)
  }

  func testPermuted_rejectsNonPermutations() {
    let t = Tensor.zeros([2, 3, 4])
    XCTAssertThrowsError(try t.permuted([0, 0, 1])) { error in
      XCTAssertEqual(
        "\(error)", "permute: axes [0, 0, 1] are not a permutation of 0..<3 for shape [2, 3, 4]")
    }
    XCTAssertThrowsError(try t.permuted([0, 1])) { error in
      XCTAssertEqual(
        "\(error)", "permute: axes [0, 1] are not a permutation of 0..<3 for shape [2, 3, 4]")
    }
    XCTAssertThrowsError(try t.permuted([1, 2, 3]))
    XCTAssertThrowsError(try t.permuted([-1, 0, 1]))
  }

  func testTransposed_swapsRowsAndColumns() throws {
    let t = try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    let tt = try t.transposed()
    XCTAssertEqual(tt.shape, [3, 2])
    XCTAssertEqual(tt.scalars, [1, 4, 2, 5, 3, 6])
    XCTAssertThrowsError(try Tensor.zeros([2, 3, 4]).transposed()) { error in
      XCTAssertEqual("\(error)", "transpose: needs a rank-2 tensor, got shape [2, 3, 4]")
    }
  }

  func testPermuteGradient_matchesFiniteDifferences() throws {
    var random = TestRandom(seed: 15)
    try checkGradient(of: { try $0[0].permuted([2, 0, 3, 1]) }, at: [random.tensor([2, 3, 4, 5])])
    try checkGradient(of: { try $0[0].transposed() }, at: [random.tensor([3, 5])])
  }

  // MARK: - slicingBatch

  func testSlicingBatch_takesLeadingRows() throws {
    let t = try Tensor(shape: [4, 2, 1], scalars: (0..<8).map(Float.init))
    let s = try t.slicingBatch(1..<3)
    XCTAssertEqual(s.shape, [2, 2, 1])
    XCTAssertEqual(s.scalars, [2, 3, 4, 5])
    let empty = try t.slicingBatch(4..<4)
    XCTAssertEqual(empty.shape, [0, 2, 1])
    XCTAssertEqual(try t.slicingBatch(0..<4), t)
  }

  func testSlicingBatch_outOfBounds_throws() {
    let t = Tensor.zeros([4, 2])
    XCTAssertThrowsError(try t.slicingBatch(2..<5)) { error in
      XCTAssertEqual("\(error)", "slicingBatch: range 2..<5 out of bounds for shape [4, 2]")
    }
    XCTAssertThrowsError(try t.slicingBatch(-1..<2))
    XCTAssertThrowsError(try Tensor(1).slicingBatch(0..<1)) { error in
      XCTAssertEqual("\(error)", "slicingBatch: range 0..<1 out of bounds for shape []")
    }
  }

  func testSlicingBatchGradient_isZeroOutsideTheSlice() throws {
    var random = TestRandom(seed: 16)
    let x = random.tensor([4, 3])
    try checkGradient(of: { try $0[0].slicingBatch(1..<3) }, at: [x])
    let leaf = x.requiringGradient()
    try leaf.slicingBatch(1..<3).sum().backward()
    XCTAssertEqual(leaf.gradient?.scalars, [0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0])
  }

  // MARK: - concatenate

  func testConcatenate_axis0_stacksBatches() throws {
    let a = try Tensor(shape: [1, 2], scalars: [1, 2])
    let b = try Tensor(shape: [2, 2], scalars: [3, 4, 5, 6])
    let c = try Tensor.concatenate([a, b], axis: 0)
    XCTAssertEqual(c.shape, [3, 2])
    XCTAssertEqual(c.scalars, [1, 2, 3, 4, 5, 6])
  }

  func testConcatenate_axis1_joinsChannelsLikeDenseNet() throws {
    // [N=2, C, H=1, W=2]: channel blocks of each sample are interleaved per sample.
    let a = try Tensor(shape: [2, 1, 1, 2], scalars: [1, 2, 10, 20])
    let b = try Tensor(shape: [2, 2, 1, 2], scalars: [3, 4, 5, 6, 30, 40, 50, 60])
    let c = try Tensor.concatenate([a, b], axis: 1)
    XCTAssertEqual(c.shape, [2, 3, 1, 2])
    XCTAssertEqual(c.scalars, [1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60])
  }

  func testConcatenate_matchesNaiveOnEveryAxis() throws {
    var random = TestRandom(seed: 17)
    let base = [2, 3, 2, 4]
    for axis in 0..<4 {
      let inputs = [1, 3, 2].map { extent -> Tensor in
        var shape = base
        shape[axis] = extent
        return random.tensor(shape)
      }
      let c = try Tensor.concatenate(inputs, axis: axis)
      XCTAssertEqual(c, naiveConcatenate(inputs, axis: axis), "axis \(axis)")
    }
  }

  /// Large enough to be copied on several threads (by batch index; the 17-channel part's
  /// gradient too), forward and backward: the same values as the one-thread copy and as the
  /// definition.
  func testConcatenate_largeOnTwoThreads_matchesNaiveAndOneThread() throws {
    var random = TestRandom(seed: 23)
    let inputs = [5, 17, 3].map { random.tensor([7, $0, 48, 48]) }
    let seed = random.tensor([7, 25, 48, 48])
    func run(threads: Int) throws -> [Tensor] {
      try ComputeThreads.withLimit(threads) {
        let leaves = inputs.map { $0.requiringGradient() }
        let c = try Tensor.concatenate(leaves, axis: 1)
        try c.backward(seed: seed)
        return [c] + leaves.map { $0.gradient! }
      }
    }
    let two = try run(threads: 2)
    XCTAssertEqual(two, try run(threads: 1))
    XCTAssertEqual(two[0], naiveConcatenate(inputs, axis: 1))
    // The gradient of each part is its slice of the seed.
    var offset = 0
    for (part, input) in zip(two.dropFirst(), inputs) {
      let extent = input.shape[1]
      var expected: [Float] = []
      for n in 0..<7 {
        let start = (n * 25 + offset) * 48 * 48
        expected += seed.scalars[start..<(start + extent * 48 * 48)]
      }
      XCTAssertEqual(part.scalars, expected)
      offset += extent
    }
  }

  func testConcatenate_axis3_valuesOfRank4() throws {
    let a = try Tensor(shape: [1, 1, 2, 1], scalars: [1, 2])
    let b = try Tensor(shape: [1, 1, 2, 2], scalars: [3, 4, 5, 6])
    let c = try Tensor.concatenate([a, b], axis: 3)
    XCTAssertEqual(c.shape, [1, 1, 2, 3])
    XCTAssertEqual(c.scalars, [1, 3, 4, 2, 5, 6])
  }

  func testConcatenate_withAnEmptyPart() throws {
    let a = try Tensor(shape: [2, 1], scalars: [1, 2])
    let empty = Tensor.zeros([2, 0])
    let c = try Tensor.concatenate([empty, a, empty], axis: 1)
    XCTAssertEqual(c, a)
    let leaf = empty.requiringGradient()
    try Tensor.concatenate([leaf, a], axis: 1).backward(seed: Tensor.ones([2, 1]))
    XCTAssertEqual(leaf.gradient?.shape, [2, 0])
  }

  func testConcatenate_singleInputIsACopy() throws {
    let a = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
    XCTAssertEqual(try Tensor.concatenate([a], axis: 1), a)
  }

  func testConcatenate_errorsNameTheProblem() {
    let a = Tensor.zeros([2, 3])
    XCTAssertThrowsError(try Tensor.concatenate([], axis: 0)) { error in
      XCTAssertEqual("\(error)", "concatenate: needs at least one tensor")
    }
    XCTAssertThrowsError(try Tensor.concatenate([a, Tensor.zeros([2, 3, 1])], axis: 1)) { error in
      XCTAssertEqual("\(error)", "concatenate: shapes [2, 3] and [2, 3, 1] differ in rank")
    }
    XCTAssertThrowsError(try Tensor.concatenate([a, Tensor.zeros([3, 3])], axis: 1)) { error in
      XCTAssertEqual("\(error)", "concatenate: shapes [2, 3] and [3, 3] differ outside axis 1")
    }
    XCTAssertThrowsError(try Tensor.concatenate([a, a], axis: 2)) { error in
      XCTAssertEqual("\(error)", "concatenate: axis 2 out of range for shape [2, 3]")
    }
    XCTAssertThrowsError(try Tensor.concatenate([a, a], axis: -1)) { error in
      XCTAssertEqual("\(error)", "concatenate: axis -1 out of range for shape [2, 3]")
    }
    let x = Tensor.zeros([1, 2, 3, 4])
    XCTAssertThrowsError(try Tensor.concatenate([x, Tensor.zeros([1, 2, 2, 5])], axis: 3)) {
      error in
      XCTAssertEqual(
        "\(error)", "concatenate: shapes [1, 2, 3, 4] and [1, 2, 2, 5] differ outside axis 3")
    }
  }

  func testConcatenateGradient_threeInputsOfDifferentChannelCounts() throws {
    var random = TestRandom(seed: 18)
    let inputs = [
      random.tensor([2, 1, 3, 2]), random.tensor([2, 4, 3, 2]), random.tensor([2, 2, 3, 2]),
    ]
    try checkGradient(of: { try Tensor.concatenate($0, axis: 1) }, at: inputs)
    let last = [random.tensor([2, 3, 1]), random.tensor([2, 3, 3]), random.tensor([2, 3, 2])]
    try checkGradient(of: { try Tensor.concatenate($0, axis: 2) }, at: last)
    let first = [random.tensor([1, 3]), random.tensor([2, 3]), random.tensor([3, 3])]
    try checkGradient(of: { try Tensor.concatenate($0, axis: 0) }, at: first)
  }

  func testConcatenateGradient_onlyForInputsThatRequireIt() throws {
    let a = Tensor([1, 2]).requiringGradient()
    let b = Tensor([3, 4, 5])
    let c = try Tensor.concatenate([a, b], axis: 0)
    try c.backward(seed: Tensor([1, 2, 3, 4, 5]))
    XCTAssertEqual(a.gradient?.scalars, [1, 2])
    XCTAssertNil(b.gradient)
  }
}
