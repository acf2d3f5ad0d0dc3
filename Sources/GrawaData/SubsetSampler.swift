import GrawaTensor

/// Draws `sampleCount` distinct indices uniformly from `0..<populationCount`: GRAWA's probe batch,
/// taken from the whole training set rather than the worker's shard (docs/algorithms.md, "Probe batch").
///
/// Like Python's `random.sample(range(N), k)` in the authors' code, but driven by a generator the
/// caller owns (and can checkpoint with ``RandomGenerator/state``), so runs reproduce. The
/// algorithm is a partial Fisher-Yates shuffle over a virtual `0..<N` array whose displaced
/// entries live in a dictionary: O(k) time and memory whatever N, every ordered k-subset equally
/// likely, exactly `k` draws of `nextInt(below:)`.
public struct SubsetSampler: Sendable, Equatable {
  /// The population size `N` (the training set's count).
  public let populationCount: Int
  /// The number of indices per draw `k` (the batch size).
  public let sampleCount: Int

  /// A sampler of `sampleCount` out of `populationCount`.
  /// - Throws: ``DataError`` when `sampleCount` is negative or exceeds `populationCount`.
  public init(populationCount: Int, sampleCount: Int) throws {
    guard sampleCount >= 0, sampleCount <= populationCount else {
      throw DataError(
        path: nil,
        "subset sampler: cannot draw \(sampleCount) distinct indices from \(populationCount)")
    }
    self.populationCount = populationCount
    self.sampleCount = sampleCount
  }

  /// One draw: `sampleCount` distinct indices in random order.
  public func sample(using generator: inout RandomGenerator) -> [Int] {
    // displaced[i] is the value at virtual position i when it is no longer i.
    var displaced: [Int: Int] = [:]
    displaced.reserveCapacity(2 * sampleCount)
    var result: [Int] = []
    result.reserveCapacity(sampleCount)
    for position in 0..<sampleCount {
      let chosen = position + generator.nextInt(below: populationCount - position)
      let value = displaced[chosen] ?? chosen
      displaced[chosen] = displaced[position] ?? position
      result.append(value)
    }
    return result
  }
}
