import GrawaData
import XCTest
import _TestSupport

final class ShardSamplerTests: XCTestCase {
  func testShards_areDisjointEqualAndCoverThePermutationMinusTheRemainder() throws {
    // 60,000 over 7 workers: 8,571 each, 3 dropped per epoch.
    let sampler = try ShardSampler(datasetCount: 60_000, workerCount: 7, seed: 42)
    XCTAssertEqual(sampler.shardSize, 8571)
    XCTAssertEqual(sampler.droppedPerEpoch, 3)
    let permutation = sampler.epochPermutation(epoch: 3)
    XCTAssertEqual(permutation.sorted(), Array(0..<60_000))
    let shards = sampler.shards(epoch: 3)
    XCTAssertEqual(shards.count, 7)
    XCTAssertTrue(shards.allSatisfy { $0.count == 8571 })
    let union = shards.flatMap { $0 }
    XCTAssertEqual(Set(union).count, union.count, "shards overlap")
    XCTAssertEqual(Set(union), Set(permutation.prefix(59_997)))
    XCTAssertTrue(Set(permutation.suffix(3)).isDisjoint(with: union))
  }

  func testShard_isTheStridedSliceLikeDistributedSampler() throws {
    let sampler = try ShardSampler(datasetCount: 10, workerCount: 3, seed: 7)
    let permutation = sampler.epochPermutation(epoch: 0)
    XCTAssertEqual(
      sampler.shard(worker: 1, epoch: 0), [permutation[1], permutation[4], permutation[7]])
    for worker in 0..<3 {
      XCTAssertEqual(sampler.shard(worker: worker, epoch: 0), sampler.shards(epoch: 0)[worker])
    }
  }

  func testEpochs_differAndSameSeedRepeats() throws {
    let sampler = try ShardSampler(datasetCount: 1000, workerCount: 4, seed: 1)
    XCTAssertNotEqual(sampler.epochPermutation(epoch: 0), sampler.epochPermutation(epoch: 1))
    XCTAssertNotEqual(sampler.shard(worker: 2, epoch: 0), sampler.shard(worker: 2, epoch: 1))
    let again = try ShardSampler(datasetCount: 1000, workerCount: 4, seed: 1)
    XCTAssertEqual(sampler.shards(epoch: 5), again.shards(epoch: 5))
    let otherSeed = try ShardSampler(datasetCount: 1000, workerCount: 4, seed: 2)
    XCTAssertNotEqual(sampler.shards(epoch: 5), otherSeed.shards(epoch: 5))
  }

  func testNoShuffle_keepsNaturalOrder() throws {
    let sampler = try ShardSampler(datasetCount: 7, workerCount: 2, seed: 9, shuffle: false)
    XCTAssertEqual(sampler.shards(epoch: 4), [[0, 2, 4], [1, 3, 5]])
  }

  func testInvalidWorkerCounts_throw() {
    assertDataError(path: nil, contains: ["worker count 0"]) {
      _ = try ShardSampler(datasetCount: 10, workerCount: 0, seed: 0)
    }
    assertDataError(path: nil, contains: ["3 samples", "4 workers"]) {
      _ = try ShardSampler(datasetCount: 3, workerCount: 4, seed: 0)
    }
  }
}
