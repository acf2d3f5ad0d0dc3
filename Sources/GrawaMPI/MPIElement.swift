#if MPI
  import CMPI

  /// A scalar type that crosses MPI as itself: its `MPI_Datatype` is known.
  ///
  /// Conforming types are plain fixed-size values (`Float`, `Double`, `UInt8`, `Int32`,
  /// `Int64`); arrays of them are sent from their contiguous storage without copying.
  public protocol MPIElement: Sendable {
    /// The matching predefined `MPI_Datatype` (`MPI_FLOAT` for `Float`, ...).
    static var mpiDatatype: MPI_Datatype { get }
  }

  /// An `MPIElement` that MPI's arithmetic reductions (`MPI_SUM`, `MPI_MAX`) accept.
  public protocol MPIReducible: MPIElement {}

  extension Float: MPIReducible {
    /// `MPI_FLOAT`.
    public static var mpiDatatype: MPI_Datatype { cmpi_float() }
  }

  extension Double: MPIReducible {
    /// `MPI_DOUBLE`.
    public static var mpiDatatype: MPI_Datatype { cmpi_double() }
  }

  extension Int64: MPIReducible {
    /// `MPI_INT64_T`.
    public static var mpiDatatype: MPI_Datatype { cmpi_int64_t() }
  }

  extension Int32: MPIReducible {
    /// `MPI_INT32_T`.
    public static var mpiDatatype: MPI_Datatype { cmpi_int32_t() }
  }

  extension UInt8: MPIElement {
    /// `MPI_BYTE`: bytes are moved, never reduced.
    public static var mpiDatatype: MPI_Datatype { cmpi_byte() }
  }
#endif
