import GrawaTensor
import XCTest
import _TestSupport

@testable import GrawaData

final class BatchLoaderTests: XCTestCase {
  private static let dataset: Dataset? = try? SyntheticDataset(trainCount: 600, testCount: 1)
    .makeSplits().train

  private func plan(seed: UInt64 = 7, epoch: Int = 0, dropLast: Bool = false) throws -> BatchPlan {
    let dataset = try XCTUnwrap(Self.dataset)
    let order = try ShardSampler(datasetCount: dataset.count, workerCount: 2, seed: seed).shard(
      worker: 1, epoch: epoch)
    let recipe = AugmentationRecipe.paperDefault(normalization: .cifar10)
    return try BatchPlan(
      dataset: dataset, order: order, batchSize: 64, dropLast: dropLast, pipeline: recipe.training,
      seed: seed,
      epoch: epoch, stream: 1)
  }

  func testPrefetchingLoader_givesExactlyTheSynchronousBatches() throws {
    for dropLast in [false, true] {
      let plan = try plan(dropLast: dropLast)
      let synchronous = Array(plan)
      XCTAssertEqual(synchronous.count, dropLast ? 4 : 5)
      for depth in [1, 3] {
        XCTAssertEqual(Array(try BatchLoader(plan: plan, prefetchDepth: depth)), synchronous)
      }
    }
  }

  func testTwoLoadersWithTheSameSeed_giveIdenticalBatches() throws {
    let first = Array(try BatchLoader(plan: try plan(seed: 3, epoch: 1)))
    let second = Array(try BatchLoader(plan: try plan(seed: 3, epoch: 1)))
    XCTAssertEqual(first, second)
    let otherEpoch = Array(try BatchLoader(plan: try plan(seed: 3, epoch: 2)))
    XCTAssertNotEqual(first.map(\.images), otherEpoch.map(\.images))
  }

  func testSlowConsumer_stillGetsEveryBatchInOrder() throws {
    let plan = try plan()
    let loader = try BatchLoader(plan: plan, prefetchDepth: 1)
    var indices: [Int] = []
    while let batch = loader.next() {
      // Work on the consumer side while the producer waits for room.
      _ = batch.images.scalars.reduce(0, +)
      indices.append(batch.index)
    }
    XCTAssertEqual(indices, Array(0..<plan.batchCount))
    XCTAssertNil(loader.next())
  }

  func testAbandonedLoader_stopsItsThread() throws {
    XCTAssertEqual(BatchLoader.liveProducers.load(ordering: .sequentiallyConsistent), 0)
    do {
      let loader = try BatchLoader(plan: try plan(), prefetchDepth: 2)
      XCTAssertNotNil(loader.next())
      XCTAssertEqual(BatchLoader.liveProducers.load(ordering: .sequentiallyConsistent), 1)
    }
    // The loader's deinit cancelled the producer and waited for it.
    XCTAssertEqual(BatchLoader.liveProducers.load(ordering: .sequentiallyConsistent), 0)
  }

  func testCancel_endsTheEpochAndIsIdempotent() throws {
    let loader = try BatchLoader(plan: try plan())
    XCTAssertEqual(loader.next()?.index, 0)
    loader.cancel()
    loader.cancel()
    XCTAssertNil(loader.next())
    XCTAssertEqual(BatchLoader.liveProducers.load(ordering: .sequentiallyConsistent), 0)
  }

  func testDocumentationExample_runsAnEpochOfOneWorker() throws {
    let train = try XCTUnwrap(Self.dataset)
    let (seed, worker, epoch): (UInt64, Int, Int) = (9, 3, 1)
    let recipe = AugmentationRecipe.paperResNet20(normalization: .cifar10)
    let sampler = try ShardSampler(datasetCount: train.count, workerCount: 4, seed: seed)
    let plan = try BatchPlan(
      dataset: train, order: sampler.shard(worker: worker, epoch: epoch), batchSize: 128,
      pipeline: recipe.training, seed: seed, epoch: epoch, stream: UInt64(worker))
    var shapes: [[Int]] = []
    for batch in try BatchLoader(plan: plan) {
      shapes.append(batch.images.shape)
    }
    XCTAssertEqual(shapes, [[128, 3, 28, 28], [22, 3, 28, 28]])
  }

  func testEmptyPlanAndBadDepth() throws {
    let dataset = try XCTUnwrap(Self.dataset)
    let empty = try BatchPlan(dataset: dataset, order: [], batchSize: 8)
    XCTAssertNil(try BatchLoader(plan: empty).next())
    assertDataError(path: nil, contains: ["prefetch depth 0"]) {
      _ = try BatchLoader(plan: empty, prefetchDepth: 0)
    }
  }
}
