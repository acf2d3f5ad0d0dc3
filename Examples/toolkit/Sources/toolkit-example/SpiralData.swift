import Foundation
import Grawa

/// Three interleaved spirals in the plane, one class each: a data *generator* (nothing is stored),
/// deterministic in (seed, worker, epoch, batch) so runs reproduce and resume.
struct SpiralSource: BatchSource {
  let batchSize: Int
  let batchesPerEpoch: Int
  let seed: UInt64

  func shard(worker: Int, of workerCount: Int) throws -> any BatchShard {
    SpiralShard(source: self, worker: worker)
  }

  func probeBatch(using generator: inout RandomGenerator) throws -> Batch {
    try Spiral.batch(count: batchSize, index: 0, using: &generator)
  }
}

/// One worker's spirals: batch (epoch, index) comes from its own seeded stream.
final class SpiralShard: BatchShard {
  let source: SpiralSource
  let worker: Int

  init(source: SpiralSource, worker: Int) {
    self.source = source
    self.worker = worker
  }

  var batchesPerEpoch: Int { source.batchesPerEpoch }

  func batch(epoch: Int, index: Int) throws -> Batch {
    let stream = UInt64(worker) << 40 | UInt64(epoch) << 20 | UInt64(index)
    var generator = RandomGenerator(seed: source.seed, stream: stream)
    return try Spiral.batch(count: source.batchSize, index: index, using: &generator)
  }
}

/// A fixed test set of spirals, visited in order.
struct SpiralTestSet: BatchSequence {
  let batches: Int
  let batchSize: Int
  let seed: UInt64

  func forEachBatch(_ body: (Batch) throws -> Void) throws {
    for index in 0..<batches {
      var generator = RandomGenerator(seed: seed, stream: 0xFFFF_0000 + UInt64(index))
      try body(try Spiral.batch(count: batchSize, index: index, using: &generator))
    }
  }
}

enum Spiral {
  static let classes = 3

  /// `count` noisy points on the spirals, classes drawn uniformly.
  static func batch(count: Int, index: Int, using generator: inout RandomGenerator) throws -> Batch {
    var points: [Float] = []
    var labels: [Int] = []
    for _ in 0..<count {
      let label = generator.nextInt(below: classes)
      let t = generator.nextUnitDouble()
      let angle = 4 * t + Double(label) * 2 * Double.pi / Double(classes)
      let noise = 0.1
      points.append(Float(t * cos(angle) + noise * generator.nextNormal()))
      points.append(Float(t * sin(angle) + noise * generator.nextNormal()))
      labels.append(label)
    }
    return Batch(
      index: index, images: try Tensor(shape: [count, 2], scalars: points), labels: labels,
      sampleIndices: Array(0..<count))
  }
}
