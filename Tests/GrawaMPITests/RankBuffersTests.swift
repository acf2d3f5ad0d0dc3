#if MPI
  import GrawaMPI
  import XCTest

  final class RankBuffersTests: XCTestCase {
    /// Rank 0 sent nothing, rank 1 sent [7, 8], rank 2 sent [9]: offsets 0, 0, 2.
    func testSubscript_slicesEachRanksPartIncludingAnEmptyOne() {
      let buffers = RankBuffers<Float>(elements: [7, 8, 9], counts: [0, 2, 1])
      XCTAssertEqual(buffers.rankCount, 3)
      XCTAssertEqual(buffers.offsets, [0, 0, 2])
      XCTAssertEqual(Array(buffers[0]), [])
      XCTAssertEqual(Array(buffers[1]), [7, 8])
      XCTAssertEqual(Array(buffers[2]), [9])
      XCTAssertEqual(buffers.arrays, [[], [7, 8], [9]])
    }
  }
#endif
