import GrawaTensor
import XCTest

/// A small seeded generator for test inputs (xorshift64*), independent of the library's RNG so a
/// bug there cannot hide a bug elsewhere.
public struct TestRandom {
  private var state: UInt64

  /// A generator seeded with `seed` (any value; 0 is remapped).
  public init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    state ^= state >> 12
    state ^= state << 25
    state ^= state >> 27
    return state &* 0x2545_F491_4F6C_DD1D
  }

  /// A uniform Float in `[low, high)`.
  public mutating func uniform(_ low: Float = -1, _ high: Float = 1) -> Float {
    let unit = Float(next() >> 40) / Float(1 << 24)
    return low + (high - low) * unit
  }

  /// `count` uniform Floats in `[low, high)`.
  public mutating func uniforms(_ count: Int, _ low: Float = -1, _ high: Float = 1) -> [Float] {
    (0..<count).map { _ in uniform(low, high) }
  }

  /// A tensor of `shape` with uniform elements in `[low, high)`.
  public mutating func tensor(_ shape: [Int], _ low: Float = -1, _ high: Float = 1) -> Tensor {
    // The element count always matches the shape, so this cannot throw.
    (try? Tensor(shape: shape, scalars: uniforms(shape.reduce(1, *), low, high))) ?? Tensor.zeros(shape)
  }
}

/// Checks the reverse-mode gradient of `function` at `inputs` against central finite differences.
///
/// The scalar differentiated is `L = sum_j w_j * y_j`, where `y = function(inputs)` and `w` is a
/// fixed random projection, accumulated in `Double`. The analytic side seeds `backward` with `w`;
/// the numeric side perturbs each checked element by `±epsilon` and evaluates `function` with
/// recording off. Every checked element must satisfy `|analytic - numeric| <= atol + rtol * |numeric|`.
/// - Parameters:
///   - function: the computation under test; must be deterministic (re-seed any randomness inside).
///   - inputs: the point to differentiate at; all get gradients checked unless `checked` says otherwise.
///   - checked: indices of the inputs whose gradients are verified (default: all).
///   - maxElementsPerInput: checks at most this many elements per input (spread evenly) to bound time.
public func checkGradient(
  of function: ([Tensor]) throws -> Tensor,
  at inputs: [Tensor],
  checked: [Int]? = nil,
  epsilon: Float = 1e-2,
  rtol: Float = 2e-2,
  atol: Float = 2e-3,
  maxElementsPerInput: Int = 400,
  seed: UInt64 = 7,
  file: StaticString = #filePath, line: UInt = #line
) throws {
  let checkedInputs = checked ?? Array(inputs.indices)
  let leaves = inputs.enumerated().map { index, tensor in
    checkedInputs.contains(index) ? tensor.requiringGradient() : tensor
  }
  let output = try function(leaves)
  var random = TestRandom(seed: seed)
  let weights = random.uniforms(output.count, 0.5, 1.5).enumerated().map { $0.offset % 2 == 0 ? $0.element : -$0.element }
  let seedTensor = try Tensor(shape: output.shape, scalars: weights)
  try output.backward(seed: seedTensor)

  func projectedLoss(_ values: [Tensor]) throws -> Double {
    let y = try GradientRecording.withoutGradients { try function(values) }
    var total: Double = 0
    for (w, v) in zip(weights, y.scalars) { total += Double(w) * Double(v) }
    return total
  }

  for index in checkedInputs {
    guard let analytic = leaves[index].gradient else {
      XCTFail("input \(index): no gradient reached it", file: file, line: line)
      continue
    }
    XCTAssertEqual(analytic.shape, inputs[index].shape, "input \(index): gradient shape", file: file, line: line)
    let n = inputs[index].count
    let stride = max(1, n / maxElementsPerInput)
    var failures = 0
    for element in Swift.stride(from: 0, to: n, by: stride) {
      var plus = inputs
      var minus = inputs
      var up = inputs[index].scalars
      var down = up
      up[element] += epsilon
      down[element] -= epsilon
      try plus[index].assign(up)
      try minus[index].assign(down)
      let numeric = (try projectedLoss(plus) - projectedLoss(minus)) / (2 * Double(epsilon))
      let value = Double(analytic.scalars[element])
      if !(abs(value - numeric) <= Double(atol) + Double(rtol) * abs(numeric)) {
        failures += 1
        if failures <= 3 {
          XCTFail(
            "input \(index) element \(element): analytic \(value) vs numeric \(numeric)",
            file: file, line: line)
        }
      }
    }
    if failures > 3 {
      XCTFail("input \(index): \(failures) elements disagree in total", file: file, line: line)
    }
  }
}
