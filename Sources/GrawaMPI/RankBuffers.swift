#if MPI
  /// One buffer per rank, received by a gather: stored end to end as MPI delivered them.
  ///
  /// Keeping MPI's receive buffer whole avoids copying every rank's part out of it (at
  /// WRN-28-10 size that is 146 MB per rank); `self[rank]` is a slice into it.
  public struct RankBuffers<Element: MPIElement>: Sendable {
    /// Every rank's buffer, rank 0 first, end to end.
    public let elements: [Element]
    /// The number of elements each rank sent, indexed by rank.
    public let counts: [Int]
    /// Where each rank's buffer starts in `elements`, indexed by rank.
    public let offsets: [Int]

    /// Buffers of `counts[r]` elements each, laid out in rank order in `elements`.
    /// - Precondition: `elements.count` is the sum of `counts`.
    public init(elements: [Element], counts: [Int]) {
      precondition(elements.count == counts.reduce(0, +), "counts must add up to elements.count")
      self.elements = elements
      self.counts = counts
      var start = 0
      var offsets: [Int] = []
      offsets.reserveCapacity(counts.count)
      for count in counts {
        offsets.append(start)
        start += count
      }
      self.offsets = offsets
    }

    /// The number of ranks that contributed.
    public var rankCount: Int { counts.count }

    /// The buffer sent by `rank`.
    public subscript(rank: Int) -> ArraySlice<Element> {
      elements[offsets[rank]..<(offsets[rank] + counts[rank])]
    }

    /// Every rank's buffer as its own array, rank 0 first (copies).
    public var arrays: [[Element]] {
      (0..<rankCount).map { Array(self[$0]) }
    }
  }
#endif
