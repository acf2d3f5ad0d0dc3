import GrawaData
import GrawaTensor
import XCTest
import _TestSupport

final class BatchPlanTests: XCTestCase {
  /// Ten 1x2x2 images: image i holds bytes 10i...10i+3 and has label i % 3.
  private func tenImages() throws -> Dataset {
    try Dataset(
      name: "ten", imageShape: ImageShape(channels: 1, height: 2, width: 2), classCount: 3,
      images: (0..<10).flatMap { i in (0..<4).map { UInt8(10 * i + $0) } },
      labels: (0..<10).map { $0 % 3 })
  }

  func testBatches_followTheOrderAndKeepTheLastPartialBatch() throws {
    let order = [9, 0, 4, 1, 8, 2, 7, 3, 6, 5]
    let plan = try BatchPlan(dataset: try tenImages(), order: order, batchSize: 4)
    XCTAssertEqual(plan.batchCount, 3)
    let batches = Array(plan)
    XCTAssertEqual(batches.map(\.sampleIndices), [[9, 0, 4, 1], [8, 2, 7, 3], [6, 5]])
    XCTAssertEqual(batches.map(\.index), [0, 1, 2])
    XCTAssertEqual(batches[2].labels, [0, 2])
    XCTAssertEqual(batches[2].images.shape, [2, 1, 2, 2])
    XCTAssertEqual(
      batches[2].images.scalars, [60, 61, 62, 63, 50, 51, 52, 53].map { Float($0) / 255 })
  }

  func testDropLast_leavesOutTheIncompleteBatch() throws {
    let plan = try BatchPlan(
      dataset: try tenImages(), order: Array(0..<10), batchSize: 4, dropLast: true)
    XCTAssertEqual(plan.batchCount, 2)
    XCTAssertEqual(Array(plan).map(\.count), [4, 4])
    let exact = try BatchPlan(
      dataset: try tenImages(), order: Array(0..<8), batchSize: 4, dropLast: false)
    XCTAssertEqual(exact.batchCount, 2)
  }

  func testBatches_dependOnSeedEpochAndStreamOnlyNotOnTheOrderTheyAreMade() throws {
    let dataset = try SyntheticDataset(
      imageShape: ImageShape(channels: 3, height: 8, width: 8), trainCount: 64, testCount: 1
    )
    .makeSplits().train
    let pipeline = AugmentationPipeline([
      .randomCrop(size: 8, padding: 2), .horizontalFlip(probability: 0.5),
    ])
    func plan(seed: UInt64, epoch: Int, stream: UInt64 = 0) throws -> BatchPlan {
      try BatchPlan(
        dataset: dataset, order: Array(0..<64), batchSize: 16, pipeline: pipeline, seed: seed,
        epoch: epoch, stream: stream)
    }
    let reference = try plan(seed: 1, epoch: 2)
    let inOrder = Array(reference)
    let backwards = (0..<reference.batchCount).reversed().map { reference.batch(at: $0) }.reversed()
    XCTAssertEqual(inOrder, Array(backwards))
    XCTAssertEqual(inOrder, Array(try plan(seed: 1, epoch: 2)))
    XCTAssertNotEqual(inOrder[0].images, try plan(seed: 1, epoch: 3).batch(at: 0).images)
    XCTAssertNotEqual(inOrder[0].images, try plan(seed: 2, epoch: 2).batch(at: 0).images)
    XCTAssertNotEqual(inOrder[0].images, try plan(seed: 1, epoch: 2, stream: 1).batch(at: 0).images)
    // Different batches of one epoch draw from different generators.
    XCTAssertNotEqual(
      reference.augmentationGenerator(batch: 0), reference.augmentationGenerator(batch: 1))
  }

  func testBatchImages_areThePipelineAppliedWithTheBatchGenerator() throws {
    let dataset = try tenImages()
    let pipeline = AugmentationPipeline([
      .randomCrop(size: 2, padding: 1), .normalize(Normalization(mean: [0.1], std: [0.3])),
    ])
    let plan = try BatchPlan(
      dataset: dataset, order: [3, 7, 1], batchSize: 3, pipeline: pipeline, seed: 5, epoch: 1)
    var generator = plan.augmentationGenerator(batch: 0)
    var expected: [Float] = []
    for index in [3, 7, 1] {
      expected += try pipeline.apply(
        to: Array(dataset.pixels(at: index)), shape: dataset.imageShape, using: &generator)
    }
    XCTAssertEqual(plan.batch(at: 0).images.scalars, expected)
  }

  func testOutputShape_followsThePipeline() throws {
    let dataset = try SyntheticDataset(trainCount: 4, testCount: 1).makeSplits().train
    let recipe = AugmentationRecipe.paperResNet20(normalization: .cifar10)
    let plan = try BatchPlan(
      dataset: dataset, order: [0, 1, 2], batchSize: 2, pipeline: recipe.training)
    XCTAssertEqual(plan.outputShape, ImageShape(channels: 3, height: 28, width: 28))
    XCTAssertEqual(plan.batch(at: 0).images.shape, [2, 3, 28, 28])
  }

  func testMakeBatch_buildsAProbeBatchFromSampledIndices() throws {
    let dataset = try tenImages()
    var generator = RandomGenerator(seed: 2)
    let indices = try SubsetSampler(populationCount: dataset.count, sampleCount: 4).sample(
      using: &generator)
    let batch = try dataset.makeBatch(indices: indices, pipeline: .identity, using: &generator)
    XCTAssertEqual(batch.sampleIndices, indices)
    XCTAssertEqual(batch.labels, indices.map { $0 % 3 })
    XCTAssertEqual(
      batch.images.scalars, indices.flatMap { i in (0..<4).map { Float(10 * i + $0) / 255 } })
    assertDataError(path: nil, contains: ["batch index 10", "10 images"]) {
      _ = try dataset.makeBatch(indices: [10], pipeline: .identity, using: &generator)
    }
  }

  func testInvalidPlans_throw() throws {
    let dataset = try tenImages()
    assertDataError(path: nil, contains: ["batch size 0"]) {
      _ = try BatchPlan(dataset: dataset, order: [0], batchSize: 0)
    }
    assertDataError(path: nil, contains: ["index 10 is out of range for ten"]) {
      _ = try BatchPlan(dataset: dataset, order: [1, 10], batchSize: 2)
    }
    assertDataError(path: nil, contains: ["centerCrop(3)"]) {
      _ = try BatchPlan(
        dataset: dataset, order: [1], batchSize: 2,
        pipeline: AugmentationPipeline([.centerCrop(size: 3)]))
    }
  }

  func testEmptyOrder_hasNoBatches() throws {
    let plan = try BatchPlan(dataset: try tenImages(), order: [], batchSize: 3)
    XCTAssertEqual(plan.batchCount, 0)
    XCTAssertTrue(Array(plan).isEmpty)
  }
}
