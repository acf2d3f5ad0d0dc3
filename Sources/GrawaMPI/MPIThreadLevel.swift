#if MPI
  import CMPI

  /// The MPI thread-support level `MPIWorld` asks `MPI_Init_thread` for.
  ///
  /// Both levels suffice because every MPI call goes through one communication thread, the
  /// thread that also initialises and finalises MPI. `funneled` promises Open MPI the least
  /// and is the default; `serialized` is there for MPI builds where `funneled` is slower.
  public enum MPIThreadLevel: String, CaseIterable, Sendable {
    /// `MPI_THREAD_FUNNELED`: only the thread that called `MPI_Init_thread` makes MPI calls.
    case funneled
    /// `MPI_THREAD_SERIALIZED`: any thread may call MPI, never two at once.
    case serialized

    /// The `MPI_THREAD_*` constant for this level.
    var constant: Int32 {
      switch self {
      case .funneled:
        return Int32(MPI_THREAD_FUNNELED)
      case .serialized:
        return Int32(MPI_THREAD_SERIALIZED)
      }
    }

    /// The name of an `MPI_THREAD_*` value, for messages.
    static func name(of constant: Int32) -> String {
      switch constant {
      case Int32(MPI_THREAD_SINGLE):
        return "MPI_THREAD_SINGLE"
      case Int32(MPI_THREAD_FUNNELED):
        return "MPI_THREAD_FUNNELED"
      case Int32(MPI_THREAD_SERIALIZED):
        return "MPI_THREAD_SERIALIZED"
      case Int32(MPI_THREAD_MULTIPLE):
        return "MPI_THREAD_MULTIPLE"
      default:
        return "thread level \(constant)"
      }
    }
  }
#endif
