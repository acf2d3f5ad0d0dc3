#if MPI
  /// A check whose input one rank can spoil on purpose, to show the checks can fail.
  enum Corruption: String, CaseIterable {
    case allReduce = "all-reduce"
    case broadcast
    case gather
  }

  /// The command line of `grawa-mpi-check`.
  struct CheckOptions {
    /// Seconds any one MPI operation may take before every rank is ended.
    var timeoutSeconds = 60.0
    /// Spoil one rank's input of this check (rank 1, or 0 when alone).
    var corruption: Corruption?
    /// After the checks, this rank sleeps instead of joining the final barrier.
    var stallRank: Int?
    /// After the checks, keep all-reducing for this long (a target for the kill test).
    var holdSeconds = 0.0

    static let usage = """
      USAGE: mpirun -np N grawa-mpi-check [options]

      Checks every GrawaMPI collective on hand-checkable values; exit 0 when all pass.

      OPTIONS:
        --timeout <seconds>     per-operation timeout before MPI_Abort (default: 60)
        --corrupt <check>       spoil one rank's input: \(Corruption.allCases.map(\.rawValue).joined(separator: ", "))
        --stall-rank <rank>     that rank skips the final barrier (tests the timeout)
        --hold <seconds>        after the checks, keep all-reducing (tests a killed rank)
        --help                  show this help
      """

    /// Parses `arguments`.
    /// - Throws: `CheckOptionsError` naming the bad flag or value.
    static func parse(_ arguments: [String]) throws -> CheckOptions {
      var options = CheckOptions()
      var remaining = arguments[...]
      while let flag = remaining.popFirst() {
        if flag == "--help" {
          throw CheckOptionsError.helpRequested
        }
        guard let value = remaining.popFirst() else {
          throw CheckOptionsError.invalid("\(flag) needs a value")
        }
        switch flag {
        case "--timeout":
          guard let seconds = Double(value), seconds > 0 else {
            throw CheckOptionsError.invalid("--timeout wants seconds > 0, got \(value)")
          }
          options.timeoutSeconds = seconds
        case "--corrupt":
          guard let corruption = Corruption(rawValue: value) else {
            throw CheckOptionsError.invalid(
              "--corrupt wants one of \(Corruption.allCases.map(\.rawValue)), got \(value)")
          }
          options.corruption = corruption
        case "--stall-rank":
          guard let rank = Int(value), rank >= 0 else {
            throw CheckOptionsError.invalid("--stall-rank wants a rank, got \(value)")
          }
          options.stallRank = rank
        case "--hold":
          guard let seconds = Double(value), seconds >= 0 else {
            throw CheckOptionsError.invalid("--hold wants seconds >= 0, got \(value)")
          }
          options.holdSeconds = seconds
        default:
          throw CheckOptionsError.invalid("unknown option \(flag)")
        }
      }
      return options
    }
  }

  /// Why the command line was not run.
  enum CheckOptionsError: Error {
    case helpRequested
    case invalid(String)
  }
#endif
