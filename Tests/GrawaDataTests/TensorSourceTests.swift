import GrawaData
import GrawaTensor
import XCTest

/// Samples in memory as a distributed run's data: disjoint shards, reshuffled per epoch, full
/// batches, reproducible.
final class TensorSourceTests: XCTestCase {
  /// Sample i is the row [i, -i], label i % 2.
  private func source(count: Int = 12, batchSize: Int = 2) throws -> TensorSource {
    let values = (0..<count).flatMap { [Float($0), -Float($0)] }
    return try TensorSource(
      inputs: try Tensor(shape: [count, 2], scalars: values), labels: (0..<count).map { $0 % 2 }, batchSize: batchSize,
      seed: 5)
  }

  func testShards_areDisjointFullBatchesOfTheRightRows() throws {
    let data = try source()
    var seen: [Int] = []
    for worker in 0..<3 {
      let shard = try data.shard(worker: worker, of: 3)
      XCTAssertEqual(shard.batchesPerEpoch, 2, "12 samples / 3 workers / 2 per batch")
      for index in 0..<2 {
        let batch = try shard.batch(epoch: 0, index: index)
        XCTAssertEqual(batch.images.shape, [2, 2])
        for (slot, sample) in batch.sampleIndices.enumerated() {
          XCTAssertEqual(Array(batch.images.scalars[(2 * slot)..<(2 * slot + 2)]), [Float(sample), -Float(sample)])
          XCTAssertEqual(batch.labels[slot], sample % 2)
        }
        seen += batch.sampleIndices
      }
    }
    XCTAssertEqual(seen.sorted(), Array(0..<12), "every sample once per epoch, no worker shares one")
  }

  func testBatches_reproduceAndReshuffleByEpoch() throws {
    let data = try source()
    let a = try data.shard(worker: 1, of: 3)
    let b = try data.shard(worker: 1, of: 3)
    XCTAssertEqual(try a.batch(epoch: 3, index: 1), try b.batch(epoch: 3, index: 1), "a function of (epoch, index)")
    let epochs = try (0..<4).map { epoch in try (0..<2).flatMap { try a.batch(epoch: epoch, index: $0).sampleIndices } }
    XCTAssertGreaterThan(Set(epochs).count, 1, "the order changes between epochs")
  }

  func testProbeBatch_drawsDistinctSamplesFromTheWholeSet() throws {
    var generator = RandomGenerator(seed: 1)
    let probe = try source(batchSize: 5).probeBatch(using: &generator)
    XCTAssertEqual(Set(probe.sampleIndices).count, 5)
    XCTAssertTrue(probe.sampleIndices.allSatisfy { (0..<12).contains($0) })
  }

  func testBadShapesAndTooManyWorkers_areRefused() throws {
    XCTAssertThrowsError(try TensorSource(inputs: Tensor([1, 2, 3]), labels: [0, 1, 2], batchSize: 1))
    XCTAssertThrowsError(try TensorSource(inputs: try Tensor(shape: [3, 1], scalars: [1, 2, 3]), labels: [0], batchSize: 1))
    XCTAssertThrowsError(try source().shard(worker: 0, of: 7)) { error in
      XCTAssertTrue("\(error)".contains("fewer than one batch (2)"), "\(error)")
    }
  }

  func testAsASequence_visitsEverySampleOnceInOrder_lastBatchPartial() throws {
    let data = try source(count: 7, batchSize: 3)
    var sizes: [Int] = []
    var samples: [Int] = []
    try data.forEachBatch { batch in
      sizes.append(batch.count)
      samples += batch.sampleIndices
      for (slot, sample) in batch.sampleIndices.enumerated() {
        XCTAssertEqual(Array(batch.images.scalars[(2 * slot)..<(2 * slot + 2)]), [Float(sample), -Float(sample)])
        XCTAssertEqual(batch.labels[slot], sample % 2)
      }
    }
    XCTAssertEqual(sizes, [3, 3, 1])
    XCTAssertEqual(samples, Array(0..<7))
  }
}
