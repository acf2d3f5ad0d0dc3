#if MPI
  import GrawaDistributed

  /// One rank's contributions to a sync as one message: for each of its workers, in order, the
  /// worker index, the strategy's report (binary property list) and the vector (possibly empty).
  ///
  /// Layout, in the host's byte order (every rank of a run must share it): the contribution
  /// count as an `Int64`; per contribution the worker (`Int64`), the report's byte count
  /// (`Int64`) and bytes, the vector's element count (`Int64`) and `Float`s.
  enum ContributionMessage {
    /// The message of `contributions`; `withVectors: false` leaves every vector out.
    static func encode<Report>(_ contributions: [Contribution<Report>], withVectors: Bool) throws -> [UInt8] {
      var bytes: [UInt8] = []
      let vectorBytes = withVectors ? contributions.reduce(0) { $0 + $1.vector.count * 4 } : 0
      bytes.reserveCapacity(vectorBytes + 64 * contributions.count + 8)
      append(Int64(contributions.count), to: &bytes)
      for contribution in contributions {
        append(Int64(contribution.worker), to: &bytes)
        let report = try StateCoding.encode(contribution.report)
        append(Int64(report.count), to: &bytes)
        bytes.append(contentsOf: report)
        let vector = withVectors ? contribution.vector : []
        append(Int64(vector.count), to: &bytes)
        vector.withUnsafeBytes { bytes.append(contentsOf: $0) }
      }
      return bytes
    }

    /// The contributions of a message from rank `rank`.
    /// - Throws: ``DistributedError`` when the bytes are not such a message.
    static func decode<Report: Codable & Sendable>(
      _ bytes: ArraySlice<UInt8>, as type: Report.Type, rank: Int
    ) throws -> [Contribution<Report>] {
      var reader = Reader(bytes: Array(bytes), rank: rank)
      let count = try reader.count()
      var contributions: [Contribution<Report>] = []
      for _ in 0..<count {
        let worker = try reader.count()
        let report = try StateCoding.decode(Report.self, from: try reader.bytes(reader.count()))
        let vector = try reader.floats(reader.count())
        contributions.append(Contribution(worker: worker, vector: vector, report: report))
      }
      guard reader.offset == reader.bytes.count else {
        throw DistributedError.countMismatch("rank \(rank)'s contributions have \(reader.bytes.count - reader.offset) bytes too many")
      }
      return contributions
    }

    private static func append(_ value: Int64, to bytes: inout [UInt8]) {
      withUnsafeBytes(of: value) { bytes.append(contentsOf: $0) }
    }

    /// Reads a message front to back, every length checked against what is left.
    private struct Reader {
      let bytes: [UInt8]
      let rank: Int
      var offset = 0

      init(bytes: [UInt8], rank: Int) {
        self.bytes = bytes
        self.rank = rank
      }

      mutating func count() throws -> Int {
        let raw = try take(8)
        let value = raw.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }
        guard value >= 0, value <= Int64(bytes.count) else {
          throw DistributedError.countMismatch("rank \(rank)'s contributions hold an implausible count \(value)")
        }
        return Int(value)
      }

      mutating func bytes(_ count: Int) throws -> [UInt8] {
        Array(try take(count))
      }

      mutating func floats(_ count: Int) throws -> [Float] {
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: 4)
        guard !overflow else {
          throw DistributedError.countMismatch("rank \(rank)'s contributions hold an implausible vector")
        }
        let raw = try take(byteCount)
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
          raw.withUnsafeBytes { source in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source)
          }
          initialized = count
        }
      }

      private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count <= bytes.count - offset else {
          throw DistributedError.countMismatch("rank \(rank)'s contributions end early")
        }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
      }
    }
  }
#endif
