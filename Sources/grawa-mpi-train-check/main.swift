// grawa-mpi-train-check: trains every strategy on a tiny task with the run's workers spread over
// the ranks of `mpirun` (or all in this process with --in-process) and prints, on rank 0, one
// fingerprint line per strategy (metrics rows and final parameters). Runs of different layouts
// must print the same lines; Tests/GrawaMPITests compares them.
#if MPI
  import Foundation

  exit(LayoutCheck.run(arguments: Array(CommandLine.arguments.dropFirst())))
#else
  import Foundation

  FileHandle.standardError.write(
    Data("grawa-mpi-train-check was built without MPI; build it with `swift build --traits MPI`\n".utf8))
  exit(2)
#endif
