import GrawaData
import GrawaTensor
import XCTest

/// A dataset as a distributed run's data: the shards are the ``ShardSampler``'s, each epoch's
/// batches are a ``BatchPlan``'s with the worker's augmentation stream, the probe batch is drawn
/// from the whole set with the evaluation transform.
final class DatasetSourceTests: XCTestCase {
  private func source(batchSize: Int = 16) throws -> DatasetSource {
    let (train, _) = try SyntheticDataset().makeSplits()
    let subset = try train.subset(Array(0..<200))
    let recipe = AugmentationRecipe(
      training: AugmentationPipeline([.horizontalFlip(probability: 0.5)]), evaluation: .identity)
    return try DatasetSource(dataset: subset, batchSize: batchSize, recipe: recipe, seed: 4)
  }

  func testShardBatches_areTheShardSamplersPlanWithTheWorkersStream() throws {
    let data = try source()
    let sampler = try ShardSampler(datasetCount: 200, workerCount: 3, seed: 4)
    for epoch in [0, 2] {
      let plan = try BatchPlan(
        dataset: data.dataset, order: sampler.shard(worker: 2, epoch: epoch), batchSize: 16, dropLast: true,
        pipeline: data.recipe.training, seed: 4, epoch: epoch, stream: 2)
      let shard = try data.shard(worker: 2, of: 3)
      XCTAssertEqual(shard.batchesPerEpoch, 66 / 16)
      for index in 0..<shard.batchesPerEpoch {
        XCTAssertEqual(try shard.batch(epoch: epoch, index: index), plan.batch(at: index))
      }
    }
  }

  func testProbeBatch_isASubsetSampleWithTheEvaluationTransform() throws {
    let data = try source()
    var a = RandomGenerator(seed: 8)
    var b = RandomGenerator(seed: 8)
    let probe = try data.probeBatch(using: &a)
    let indices = try SubsetSampler(populationCount: 200, sampleCount: 16).sample(using: &b)
    XCTAssertEqual(probe.sampleIndices, indices)
    XCTAssertEqual(a.state, b.state, "the probe draws nothing else from the generator")
  }

  func testTooSmallAShare_isRefused() throws {
    XCTAssertThrowsError(try source(batchSize: 80).shard(worker: 0, of: 3)) { error in
      XCTAssertTrue("\(error)".contains("each of the 3 workers gets 66 of the 200 images"), "\(error)")
    }
    XCTAssertThrowsError(try source(batchSize: 0))
  }
}
