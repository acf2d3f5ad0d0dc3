import Foundation

/// A seedable pseudo-random generator (xoshiro256**, seeded through SplitMix64).
///
/// The bit stream depends only on the seed (and stream), never on the platform, the Swift version
/// or the thread, so runs reproduce exactly. Floating-point draws are derived from the bits with
/// explicit arithmetic (uniforms from the top 24 or 53 bits; normals by the Box-Muller transform
/// in `Double`), not with the standard library's unspecified algorithms. The whole state is four
/// `UInt64`s and can be saved with ``state`` and restored with ``init(state:)``.
public struct RandomGenerator: RandomNumberGenerator, Sendable, Equatable {
  private var s0: UInt64
  private var s1: UInt64
  private var s2: UInt64
  private var s3: UInt64
  /// A second normal deviate left over from the last Box-Muller pair (kept for exact resume).
  private var spareNormal: Double?

  /// A generator for `seed`, optionally on an independent `stream` (e.g. one per worker).
  public init(seed: UInt64, stream: UInt64 = 0) {
    var mixer = seed ^ (stream &* 0xD1B5_4A32_D192_ED03)
    func splitMix(_ x: inout UInt64) -> UInt64 {
      x &+= 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    s0 = splitMix(&mixer)
    s1 = splitMix(&mixer)
    s2 = splitMix(&mixer)
    s3 = splitMix(&mixer)
    spareNormal = nil
  }

  /// The complete state, for checkpoints: four state words, then a flag and the spare normal's bits.
  public var state: [UInt64] {
    [s0, s1, s2, s3, spareNormal == nil ? 0 : 1, spareNormal?.bitPattern ?? 0]
  }

  /// Restores a generator from ``state``.
  /// - Throws: ``TensorError`` when `state` is not six words or the state words are all zero.
  public init(state: [UInt64]) throws {
    guard state.count == 6 else {
      throw TensorError("RandomGenerator(state:)", "expected 6 state words, got \(state.count)")
    }
    guard state[0...3].contains(where: { $0 != 0 }) else {
      throw TensorError("RandomGenerator(state:)", "the four generator words are all zero (not a valid xoshiro256** state)")
    }
    s0 = state[0]
    s1 = state[1]
    s2 = state[2]
    s3 = state[3]
    spareNormal = state[4] == 0 ? nil : Double(bitPattern: state[5])
  }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = s3 << 45 | s3 >> 19
    return result
  }

  /// A uniform `Float` in `[0, 1)` from the top 24 bits.
  public mutating func nextUnitFloat() -> Float {
    Float(next() >> 40) * 0x1p-24
  }

  /// A uniform `Double` in `[0, 1)` from the top 53 bits.
  public mutating func nextUnitDouble() -> Double {
    Double(next() >> 11) * 0x1p-53
  }

  /// A uniform integer in `0..<bound` (Lemire's multiply-shift with rejection; unbiased).
  public mutating func nextInt(below bound: Int) -> Int {
    precondition(bound > 0, "nextInt(below:) needs a positive bound, got \(bound)")
    let b = UInt64(bound)
    var product = next().multipliedFullWidth(by: b)
    if product.low < b {
      let threshold = (0 &- b) % b
      while product.low < threshold {
        product = next().multipliedFullWidth(by: b)
      }
    }
    return Int(product.high)
  }

  /// A standard normal deviate (Box-Muller in `Double`; the pair's second value is kept).
  public mutating func nextNormal() -> Double {
    if let spare = spareNormal {
      spareNormal = nil
      return spare
    }
    // 1 - u lies in (0, 1], so the logarithm is finite.
    let u1 = 1 - nextUnitDouble()
    let u2 = nextUnitDouble()
    let radius = (-2 * Foundation.log(u1)).squareRoot()
    let angle = 2 * Double.pi * u2
    spareNormal = radius * Foundation.sin(angle)
    return radius * Foundation.cos(angle)
  }

  /// Shuffles `values` in place with the Fisher-Yates algorithm driven by this generator.
  ///
  /// Used instead of the standard library's `shuffle(using:)`, whose algorithm is unspecified.
  public mutating func shuffle<T>(_ values: inout [T]) {
    guard values.count > 1 else { return }
    for i in stride(from: values.count - 1, to: 0, by: -1) {
      let j = nextInt(below: i + 1)
      values.swapAt(i, j)
    }
  }
}
