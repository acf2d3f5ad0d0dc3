import GrawaData
import GrawaTensor
import XCTest
import _TestSupport

final class SubsetSamplerTests: XCTestCase {
  func testSample_hasNoDuplicatesAndStaysInRange() throws {
    let sampler = try SubsetSampler(populationCount: 60_000, sampleCount: 128)
    var generator = RandomGenerator(seed: 3)
    for _ in 0..<50 {
      let draw = sampler.sample(using: &generator)
      XCTAssertEqual(draw.count, 128)
      XCTAssertEqual(Set(draw).count, 128)
      XCTAssertTrue(draw.allSatisfy { $0 >= 0 && $0 < 60_000 })
    }
  }

  func testSample_isUniformOverIndicesAndPositions() throws {
    // 3 of 10, 20,000 draws: each index is drawn with probability 0.3 (expected 6,000, sd 65)
    // and lands in each of the 3 positions with probability 0.1 (expected 2,000, sd 42).
    let sampler = try SubsetSampler(populationCount: 10, sampleCount: 3)
    var generator = RandomGenerator(seed: 11)
    var byIndex = [Int](repeating: 0, count: 10)
    var byPosition = [[Int]](repeating: [Int](repeating: 0, count: 10), count: 3)
    for _ in 0..<20_000 {
      for (position, index) in sampler.sample(using: &generator).enumerated() {
        byIndex[index] += 1
        byPosition[position][index] += 1
      }
    }
    for count in byIndex {
      XCTAssertEqual(Double(count), 6000, accuracy: 6 * 65)
    }
    for count in byPosition.joined() {
      XCTAssertEqual(Double(count), 2000, accuracy: 6 * 42)
    }
  }

  func testFullSample_isAPermutation() throws {
    var generator = RandomGenerator(seed: 5)
    let draw = try SubsetSampler(populationCount: 100, sampleCount: 100).sample(using: &generator)
    XCTAssertEqual(draw.sorted(), Array(0..<100))
  }

  func testSample_resumesExactlyFromACheckpointedGenerator() throws {
    let sampler = try SubsetSampler(populationCount: 1000, sampleCount: 16)
    var generator = RandomGenerator(seed: 8)
    _ = sampler.sample(using: &generator)
    var restored = try RandomGenerator(state: generator.state)
    XCTAssertEqual(sampler.sample(using: &generator), sampler.sample(using: &restored))
    XCTAssertNotEqual(sampler.sample(using: &generator), sampler.sample(using: &generator))
  }

  func testTooLargeSample_throws() {
    assertDataError(path: nil, contains: ["11 distinct indices from 10"]) {
      _ = try SubsetSampler(populationCount: 10, sampleCount: 11)
    }
  }
}
