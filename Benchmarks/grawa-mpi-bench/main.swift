// grawa-mpi-bench: run under `mpirun -np N`; times all-reduce and gather + broadcast of
// model-sized float vectors and prints medians, bytes and effective bandwidth (rank 0).
#if MPI
  import Foundation

  exit(MPIBenchmark.run(arguments: Array(CommandLine.arguments.dropFirst())))
#else
  import Foundation

  FileHandle.standardError.write(
    Data("grawa-mpi-bench was built without MPI; build it with `swift build --traits MPI`\n".utf8))
  exit(2)
#endif
