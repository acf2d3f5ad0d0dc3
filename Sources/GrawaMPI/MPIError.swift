#if MPI
  import CMPI

  /// An MPI call that failed and returned an error code instead of ending the process.
  ///
  /// `MPIWorld` installs `MPI_ERRORS_RETURN` on `MPI_COMM_WORLD`, so a failing call (an invalid
  /// root, a truncated message, a count that does not fit) comes back here as a Swift error,
  /// with Open MPI's own text from `MPI_Error_string`.
  public struct MPIError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The MPI function that failed, e.g. `"MPI_Bcast"`.
    public var operation: String
    /// The error code the function returned (an `MPI_ERR_*` value; 0 is never stored here).
    public var code: Int32
    /// Open MPI's description of `code`, from `MPI_Error_string`.
    public var message: String
    /// The rank that saw the failure, or `nil` before `MPI_Comm_rank` could be asked.
    public var rank: Int?

    /// A readable one-line summary naming the rank, the call and Open MPI's text.
    public var description: String {
      let site = rank.map { "rank \($0)" } ?? "MPI"
      return "\(site): \(operation) failed with MPI error \(code): \(message)"
    }

    /// An error for `code` returned by `operation`, with Open MPI's text for it.
    init(operation: String, code: Int32, rank: Int?) {
      self.operation = operation
      self.code = code
      self.message = MPIError.text(for: code)
      self.rank = rank
    }

    /// An error that MPI did not raise but that stops an operation before it reaches MPI (a
    /// count that does not fit MPI's 32-bit `int`, a second initialisation).
    init(operation: String, message: String, rank: Int?) {
      self.operation = operation
      self.code = -1
      self.message = message
      self.rank = rank
    }

    /// `MPI_Error_string` for `code`; the call is allowed on any thread and before `MPI_Init`.
    static func text(for code: Int32) -> String {
      let capacity = Int(cmpi_max_error_string())
      var buffer = [CChar](repeating: 0, count: capacity + 1)
      var length: Int32 = 0
      let status = MPI_Error_string(code, &buffer, &length)
      guard status == MPI_SUCCESS else {
        return "unknown MPI error"
      }
      let bytes = buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }
      return String(decoding: bytes, as: UTF8.self)
    }
  }
#endif
