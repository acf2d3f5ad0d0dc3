// grawa-mpi-check: run under `mpirun -np N`; checks every GrawaMPI collective on values that
// can be checked by hand and exits non-zero with a message on any mismatch.
#if MPI
  import Foundation

  exit(CheckCommand.run(arguments: Array(CommandLine.arguments.dropFirst())))
#else
  import Foundation

  FileHandle.standardError.write(
    Data("grawa-mpi-check was built without MPI; build it with `swift build --traits MPI`\n".utf8))
  exit(2)
#endif
