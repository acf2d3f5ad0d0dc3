#if MPI
  /// A flat parameter (or gradient) vector together with a few scores, packed into one message.
  ///
  /// The GRAWA family weights each worker by scores computed next to its parameters (inverse
  /// gradient norms, per model or per layer); LSGD picks the leader by training loss. Sending
  /// the scores in the same message as the vector saves a second collective per sync.
  ///
  /// Wire layout, in the host's byte order (every rank of a run must share it; x86-64 and
  /// arm64 are both little-endian): the score count as an `Int64`, the scores as `Double`s, then
  /// the values as `Float`s, with nothing between them.
  public struct ScoredVector: Sendable, Equatable {
    /// The flat vector, e.g. a worker's parameters in the model's declared order.
    public var values: [Float]
    /// Scores travelling with it, e.g. `[trainingLoss, inverseGradientNorm]`.
    public var scores: [Double]

    /// A message carrying `values` and `scores`.
    public init(values: [Float], scores: [Double]) {
      self.values = values
      self.scores = scores
    }

    /// The size in bytes of the encoded message.
    public var encodedByteCount: Int {
      MemoryLayout<Int64>.size + scores.count * MemoryLayout<Double>.size
        + values.count * MemoryLayout<Float>.size
    }

    /// The message as bytes, in the layout described on the type.
    public func encoded() -> [UInt8] {
      var bytes: [UInt8] = []
      bytes.reserveCapacity(encodedByteCount)
      withUnsafeBytes(of: Int64(scores.count)) { bytes.append(contentsOf: $0) }
      scores.withUnsafeBytes { bytes.append(contentsOf: $0) }
      values.withUnsafeBytes { bytes.append(contentsOf: $0) }
      return bytes
    }

    /// Decodes a message produced by `encoded()`.
    /// - Throws: `ScoredVectorDecodingError` when the bytes are not such a message.
    public init<Bytes: Collection>(decoding bytes: Bytes) throws where Bytes.Element == UInt8 {
      let raw = Array(bytes)
      let headerSize = MemoryLayout<Int64>.size
      guard raw.count >= headerSize else {
        throw ScoredVectorDecodingError(byteCount: raw.count, reason: "shorter than its header")
      }
      let scoreCount = raw.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }
      let bytesAfterHeader = raw.count - headerSize
      guard scoreCount >= 0, scoreCount <= bytesAfterHeader / MemoryLayout<Double>.size else {
        throw ScoredVectorDecodingError(
          byteCount: raw.count, reason: "header says \(scoreCount) scores, which do not fit")
      }
      let scoreBytes = Int(scoreCount) * MemoryLayout<Double>.size
      let valueBytes = bytesAfterHeader - scoreBytes
      guard valueBytes % MemoryLayout<Float>.size == 0 else {
        throw ScoredVectorDecodingError(
          byteCount: raw.count, reason: "\(valueBytes) bytes of values are not whole floats")
      }
      var scores = [Double](repeating: 0, count: Int(scoreCount))
      var values = [Float](repeating: 0, count: valueBytes / MemoryLayout<Float>.size)
      raw.withUnsafeBytes { source in
        scores.withUnsafeMutableBytes { target in
          target.copyMemory(
            from: UnsafeRawBufferPointer(rebasing: source[headerSize..<(headerSize + scoreBytes)]))
        }
        values.withUnsafeMutableBytes { target in
          target.copyMemory(
            from: UnsafeRawBufferPointer(rebasing: source[(headerSize + scoreBytes)...]))
        }
      }
      self.init(values: values, scores: scores)
    }
  }

  /// Bytes that `ScoredVector(decoding:)` could not read as a message.
  public struct ScoredVectorDecodingError: Error, CustomStringConvertible, Sendable {
    /// How many bytes were offered.
    public var byteCount: Int
    /// What was wrong with them.
    public var reason: String

    /// A one-line explanation.
    public var description: String {
      "cannot decode a ScoredVector from \(byteCount) bytes: \(reason)"
    }
  }
#endif
