import GrawaTensor

/// Splits a training set into disjoint, equal-sized shards, one per worker, reshuffled each epoch:
/// torch's `DistributedSampler(dataset, num_replicas: W, rank: r, shuffle: true, seed: s,
/// drop_last: true)`.
///
/// Each epoch a permutation of all `N` indices is drawn from a generator determined by
/// (`seed`, `epoch`) alone (not by any shared state), so every worker computes the same
/// permutation independently and a resumed run redraws it exactly. Worker `r` takes the
/// permutation's positions `r, r + W, r + 2W, ...` (strided, like torch) over the first
/// `W * (N / W)` positions.
///
/// **Remainder:** the last `N mod W` positions of each epoch's permutation are dropped, so all
/// shards have exactly `N / W` indices (60,000 over 7 workers: 8,571 each, 3 dropped per epoch).
/// Because the permutation changes every epoch, a different few samples sit out each time. torch
/// pads by repeating samples instead when `drop_last` is false; we never repeat.
public struct ShardSampler: Sendable, Equatable {
  /// The number of samples in the dataset (`N`).
  public let datasetCount: Int
  /// The number of workers (`W`).
  public let workerCount: Int
  /// The run's seed.
  public let seed: UInt64
  /// Whether to permute each epoch; `false` keeps the natural order (for evaluation sharding).
  public let shuffle: Bool

  /// A sampler of `datasetCount` samples over `workerCount` workers.
  /// - Throws: ``DataError`` when `workerCount` is not positive or exceeds `datasetCount`.
  public init(datasetCount: Int, workerCount: Int, seed: UInt64, shuffle: Bool = true) throws {
    guard workerCount > 0 else {
      throw DataError(path: nil, "shard sampler: worker count \(workerCount) is not positive")
    }
    guard datasetCount >= workerCount else {
      throw DataError(
        path: nil,
        "shard sampler: \(datasetCount) samples cannot give \(workerCount) workers one sample each")
    }
    self.datasetCount = datasetCount
    self.workerCount = workerCount
    self.seed = seed
    self.shuffle = shuffle
  }

  /// Indices per worker per epoch: `N / W`.
  public var shardSize: Int { datasetCount / workerCount }

  /// Samples left out of every epoch: `N mod W`.
  public var droppedPerEpoch: Int { datasetCount % workerCount }

  /// The permutation of `0..<N` for `epoch` (the identity when `shuffle` is false). Seeded by
  /// (`seed`, `epoch`); Fisher-Yates driven by ``RandomGenerator``.
  public func epochPermutation(epoch: Int) -> [Int] {
    var order = Array(0..<datasetCount)
    if shuffle {
      var generator = derivedGenerator(
        seed: seed, purpose: .shardPermutation, UInt64(bitPattern: Int64(epoch)))
      generator.shuffle(&order)
    }
    return order
  }

  /// Worker `worker`'s indices for `epoch`, in the order to visit them.
  /// - Precondition: `0 <= worker < workerCount`.
  public func shard(worker: Int, epoch: Int) -> [Int] {
    precondition(
      worker >= 0 && worker < workerCount, "worker \(worker) out of range 0..<\(workerCount)")
    return Self.take(
      worker: worker, of: workerCount, count: shardSize, from: epochPermutation(epoch: epoch))
  }

  /// Every worker's indices for `epoch` (one permutation drawn for all).
  public func shards(epoch: Int) -> [[Int]] {
    let permutation = epochPermutation(epoch: epoch)
    return (0..<workerCount).map {
      Self.take(worker: $0, of: workerCount, count: shardSize, from: permutation)
    }
  }

  private static func take(worker: Int, of workers: Int, count: Int, from permutation: [Int])
    -> [Int]
  {
    (0..<count).map { permutation[worker + $0 * workers] }
  }
}
