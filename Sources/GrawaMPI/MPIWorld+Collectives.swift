#if MPI
  import CMPI

  // MARK: - Collectives
  //
  // Each public method is one job on the communication thread, even when it takes two MPI
  // calls (a count, then the data), so no other queued collective can come between them.

  extension MPIWorld {
    /// Blocks until every rank has called `barrier()` (`MPI_Barrier`).
    /// - Throws: `MPIError` if the call fails.
    public func barrier() throws {
      let rank = self.rank
      try perform("MPI_Barrier", byteCount: 0) {
        try MPIWorld.check(MPI_Barrier(cmpi_comm_world()), "MPI_Barrier", rank: rank)
      }
    }

    /// Replaces `values` on every rank by their element-wise sum over all ranks
    /// (`MPI_Allreduce` with `MPI_SUM`, in place).
    ///
    /// Every rank must pass the same count. Open MPI picks the summation order from the message
    /// size and rank count, so the result can differ in the last bits from a sum in rank order;
    /// for the same size, rank count and inputs it is the same every time, and the same on
    /// every rank (`grawa-mpi-check` checks both).
    /// - Throws: `MPIError` if the call fails or the count exceeds MPI's `int`.
    public func allReduceSum<Element: MPIReducible>(_ values: inout [Element]) throws {
      try allReduce(&values, operation: "MPI_SUM") { cmpi_sum() }
    }

    /// Replaces `values` on every rank by their element-wise maximum over all ranks
    /// (`MPI_Allreduce` with `MPI_MAX`, in place).
    /// - Throws: `MPIError` if the call fails or the count exceeds MPI's `int`.
    public func allReduceMax<Element: MPIReducible>(_ values: inout [Element]) throws {
      try allReduce(&values, operation: "MPI_MAX") { cmpi_max() }
    }

    private func allReduce<Element: MPIReducible>(
      _ values: inout [Element], operation: String, _ reduction: @escaping () -> MPI_Op
    ) throws {
      let count = try mpiCount(values.count, "MPI_Allreduce")
      let byteCount = values.count * MemoryLayout<Element>.stride
      let rank = self.rank
      try values.withUnsafeMutableBytes { buffer in
        let base = buffer.baseAddress
        try perform("MPI_Allreduce(\(operation))", byteCount: byteCount) {
          try MPIWorld.check(
            MPI_Allreduce(
              UnsafeRawPointer(cmpi_in_place()), base, count, Element.mpiDatatype, reduction(),
              cmpi_comm_world()),
            "MPI_Allreduce", rank: rank)
        }
      }
    }

    /// Overwrites `values` on every rank with the values of rank `root` (`MPI_Bcast`).
    ///
    /// Every rank must pass an array of the same count (the receivers' contents are ignored).
    /// Use `broadcast(_:from:)` without `inout` when only the root knows the length.
    /// - Throws: `MPIError` if the call fails (an invalid root, a count that differs).
    public func broadcast<Element: MPIElement>(_ values: inout [Element], from root: Int) throws {
      let count = try mpiCount(values.count, "MPI_Bcast")
      let byteCount = values.count * MemoryLayout<Element>.stride
      let rank = self.rank
      let root = Int32(clamping: root)
      try values.withUnsafeMutableBytes { buffer in
        let base = buffer.baseAddress
        try perform("MPI_Bcast", byteCount: byteCount) {
          try MPIWorld.check(
            MPI_Bcast(base, count, Element.mpiDatatype, root, cmpi_comm_world()), "MPI_Bcast",
            rank: rank)
        }
      }
    }

    /// Returns rank `root`'s `values` on every rank, whatever their length: the root sends its
    /// count first (`MPI_Bcast` of an `Int64`), then the data. Other ranks' arguments are
    /// ignored; pass `[]`.
    /// - Throws: `MPIError` if a call fails or the count exceeds MPI's `int`.
    public func broadcast<Element: MPIElement>(_ values: [Element], from root: Int) throws
      -> [Element]
    {
      let rank = self.rank
      let isRoot = rank == root
      let byteCount = isRoot ? values.count * MemoryLayout<Element>.stride : 0
      let mpiRoot = Int32(clamping: root)
      return try perform("MPI_Bcast", byteCount: byteCount) {
        var count = Int64(isRoot ? values.count : 0)
        try MPIWorld.check(
          MPI_Bcast(&count, 1, Int64.mpiDatatype, mpiRoot, cmpi_comm_world()), "MPI_Bcast",
          rank: rank)
        let mpiCount = try self.mpiCount(Int(count), "MPI_Bcast")
        var received =
          isRoot
          ? values
          : [Element](unsafeUninitializedCapacity: Int(count)) {
            _, initialized in
            initialized = Int(count)
          }
        try received.withUnsafeMutableBytes { buffer in
          try MPIWorld.check(
            MPI_Bcast(
              buffer.baseAddress, mpiCount, Element.mpiDatatype, mpiRoot, cmpi_comm_world()),
            "MPI_Bcast", rank: rank)
        }
        return received
      }
    }

    /// Collects every rank's `values` on rank `root`, whatever their lengths (`MPI_Gather` of
    /// the counts, then `MPI_Gatherv`).
    /// - Returns: the buffers of all ranks in rank order on `root`; `nil` on every other rank.
    /// - Throws: `MPIError` if a call fails or the total exceeds MPI's `int`.
    public func gather<Element: MPIElement>(_ values: [Element], to root: Int) throws
      -> RankBuffers<Element>?
    {
      let rank = self.rank
      let size = self.size
      let isRoot = rank == root
      let sendCount = try mpiCount(values.count, "MPI_Gather")
      let mpiRoot = Int32(clamping: root)
      return try perform("MPI_Gatherv", byteCount: values.count * MemoryLayout<Element>.stride) {
        var counts = [Int32](repeating: 0, count: isRoot ? size : 0)
        var mine = sendCount
        try counts.withUnsafeMutableBufferPointer { countBuffer in
          try MPIWorld.check(
            MPI_Gather(
              &mine, 1, Int32.mpiDatatype, countBuffer.baseAddress, 1, Int32.mpiDatatype, mpiRoot,
              cmpi_comm_world()),
            "MPI_Gather", rank: rank)
        }
        let layout =
          try isRoot ? self.displacements(of: counts, "MPI_Gatherv") : (displacements: [], total: 0)
        var received = [Element](unsafeUninitializedCapacity: layout.total) { _, initialized in
          initialized = layout.total
        }
        try values.withUnsafeBytes { sendBuffer in
          try received.withUnsafeMutableBytes { receiveBuffer in
            try MPIWorld.check(
              MPI_Gatherv(
                sendBuffer.baseAddress, sendCount, Element.mpiDatatype, receiveBuffer.baseAddress,
                counts, layout.displacements, Element.mpiDatatype, mpiRoot, cmpi_comm_world()),
              "MPI_Gatherv", rank: rank)
          }
        }
        return isRoot ? RankBuffers(elements: received, counts: counts.map { Int($0) }) : nil
      }
    }

    /// Collects every rank's `values` on every rank, whatever their lengths (`MPI_Allgather`
    /// of the counts, then `MPI_Allgatherv`).
    /// - Returns: the buffers of all ranks, in rank order.
    /// - Throws: `MPIError` if a call fails or the total exceeds MPI's `int`.
    public func allGather<Element: MPIElement>(_ values: [Element]) throws -> RankBuffers<Element> {
      let rank = self.rank
      let size = self.size
      let sendCount = try mpiCount(values.count, "MPI_Allgather")
      return try perform("MPI_Allgatherv", byteCount: values.count * MemoryLayout<Element>.stride) {
        var counts = [Int32](repeating: 0, count: size)
        var mine = sendCount
        try MPIWorld.check(
          MPI_Allgather(
            &mine, 1, Int32.mpiDatatype, &counts, 1, Int32.mpiDatatype, cmpi_comm_world()),
          "MPI_Allgather", rank: rank)
        let layout = try self.displacements(of: counts, "MPI_Allgatherv")
        var received = [Element](unsafeUninitializedCapacity: layout.total) { _, initialized in
          initialized = layout.total
        }
        try values.withUnsafeBytes { sendBuffer in
          try received.withUnsafeMutableBytes { receiveBuffer in
            try MPIWorld.check(
              MPI_Allgatherv(
                sendBuffer.baseAddress, sendCount, Element.mpiDatatype, receiveBuffer.baseAddress,
                counts, layout.displacements, Element.mpiDatatype, cmpi_comm_world()),
              "MPI_Allgatherv", rank: rank)
          }
        }
        return RankBuffers(elements: received, counts: counts.map { Int($0) })
      }
    }

    /// Where each rank's part starts in a gathered buffer, and the total count.
    /// - Throws: `MPIError` when the total does not fit MPI's `int` displacements.
    private func displacements(of counts: [Int32], _ operation: String) throws -> (
      displacements: [Int32], total: Int
    ) {
      var displacements: [Int32] = []
      displacements.reserveCapacity(counts.count)
      var total = 0
      for count in counts {
        displacements.append(try mpiCount(total, operation))
        total += Int(count)
      }
      _ = try mpiCount(total, operation)
      return (displacements, total)
    }

    // MARK: - Scored vectors

    /// `allGather(_:)` of a `ScoredVector`: every rank's vector and scores, in one message.
    /// - Throws: `MPIError`, or `ScoredVectorDecodingError` if a rank sent something else.
    public func allGather(_ message: ScoredVector) throws -> [ScoredVector] {
      let gathered = try allGather(message.encoded())
      return try (0..<gathered.rankCount).map { try ScoredVector(decoding: gathered[$0]) }
    }

    /// `gather(_:to:)` of a `ScoredVector`: every rank's vector and scores on `root`.
    /// - Returns: the messages in rank order on `root`; `nil` on every other rank.
    /// - Throws: `MPIError`, or `ScoredVectorDecodingError` if a rank sent something else.
    public func gather(_ message: ScoredVector, to root: Int) throws -> [ScoredVector]? {
      guard let gathered = try gather(message.encoded(), to: root) else {
        return nil
      }
      return try (0..<gathered.rankCount).map { try ScoredVector(decoding: gathered[$0]) }
    }
  }
#endif
