// swift-tools-version: 6.1
// swift-grawa: distributed data-parallel training with the GRAWA family of algorithms, in pure Swift.
//
// Build flags: this manifest carries no unsafe flags, so other packages can depend on it by version.
// Wide SIMD (AVX-512 on Zen 4/5) comes from the command line; see README.md, "Building fast".
//
// Traits: `MPI` (off by default) builds the Open MPI layer (`GrawaMPI`, `grawa-mpi-check`,
// `grawa-mpi-bench`) against the system Open MPI: `swift build --traits MPI`. Without it those
// targets compile empty and nothing needs Open MPI; see README.md, "Clusters (MPI)".
import PackageDescription

let package = Package(
  name: "swift-grawa",
  products: [
    // Everything below in one import (`import Grawa`).
    .library(name: "Grawa", targets: ["Grawa"]),
    .library(name: "GrawaTensor", targets: ["GrawaTensor"]),
    .library(name: "GrawaNN", targets: ["GrawaNN"]),
    .library(name: "GrawaOptim", targets: ["GrawaOptim"]),
    .library(name: "GrawaData", targets: ["GrawaData"]),
    .library(name: "GrawaDistributed", targets: ["GrawaDistributed"]),
    .library(name: "GrawaExperiments", targets: ["GrawaExperiments"]),
    .library(name: "GrawaPlot", targets: ["GrawaPlot"]),
    .library(name: "GrawaMPI", targets: ["GrawaMPI"]),
    .library(name: "GrawaDistributedMPI", targets: ["GrawaDistributedMPI"]),
    .executable(name: "grawa-train", targets: ["grawa-train"]),
    .executable(name: "grawa-mpi-check", targets: ["grawa-mpi-check"]),
    .executable(name: "grawa-mpi-train-check", targets: ["grawa-mpi-train-check"]),
    .executable(name: "grawa-mpi-bench", targets: ["grawa-mpi-bench"]),
  ],
  traits: [
    .trait(
      name: "MPI",
      description: "Build GrawaMPI and its check and benchmark programs against the system Open MPI."),
    .default(enabledTraits: []),
  ],
  dependencies: [],
  targets: [
    // Layer 0: tensors, autograd and the SIMD kernels under them.
    .target(
      name: "GrawaTensor",
      // Without a target-CPU flag, SIMD fused multiply-adds may lower to libm's fmaf.
      linkerSettings: [.linkedLibrary("m")]
    ),
    // Layer 1: layers and models; optimizers; datasets (which know nothing of models).
    .target(name: "GrawaNN", dependencies: ["GrawaTensor"]),
    .target(name: "GrawaOptim", dependencies: ["GrawaTensor", "GrawaNN"]),
    .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
    .target(name: "GrawaData", dependencies: ["GrawaTensor", "CZlib"]),
    // Layer 2: the distributed engine and the strategies (GRAWA, MGRAWA, LGRAWA, baselines),
    // generic over the user's model, data, loss and optimizer.
    .target(name: "GrawaDistributed", dependencies: ["GrawaTensor", "GrawaNN", "GrawaOptim", "GrawaData", "CZlib"]),
    // Layer 3: experiments on the engine: the paper's models and datasets by name, the run
    // configuration and run files, the analyses, the Vincent toy, the model benchmark.
    .target(
      name: "GrawaExperiments", dependencies: ["GrawaTensor", "GrawaNN", "GrawaOptim", "GrawaData", "GrawaDistributed"]),
    // Layer 2, beside the engine: collectives over Open MPI, every call on one thread (trait MPI).
    .systemLibrary(
      name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
    .target(name: "GrawaMPI", dependencies: [.target(name: "CMPI", condition: .when(traits: ["MPI"]))]),
    // The engine over MPI: the trainer's process group and a synchronous transport (trait MPI).
    .target(
      name: "GrawaDistributedMPI",
      dependencies: ["GrawaMPI", "GrawaDistributed", "GrawaTensor"]),
    .executableTarget(name: "grawa-mpi-check", dependencies: ["GrawaMPI"]),
    // Every strategy under every rank layout, fingerprinted (run by GrawaMPITests).
    .executableTarget(
      name: "grawa-mpi-train-check",
      dependencies: [
        "GrawaMPI", "GrawaDistributedMPI", "GrawaDistributed", "GrawaExperiments", "GrawaNN", "GrawaOptim",
        "GrawaData", "GrawaTensor",
      ]),
    .executableTarget(name: "grawa-mpi-bench", dependencies: ["GrawaMPI"], path: "Benchmarks/grawa-mpi-bench"),
    // SVG drawing: line charts, contour maps (no dependencies).
    .target(name: "GrawaPlot"),
    // The umbrella module: re-exports every library above.
    .target(
      name: "Grawa",
      dependencies: ["GrawaTensor", "GrawaNN", "GrawaOptim", "GrawaData", "GrawaDistributed", "GrawaExperiments", "GrawaPlot"]),
    // The command-line driver's logic; with the trait MPI, `train` runs under mpirun.
    .target(
      name: "GrawaCLI",
      dependencies: [
        "GrawaTensor", "GrawaNN", "GrawaOptim", "GrawaData", "GrawaDistributed", "GrawaExperiments", "GrawaPlot",
        .target(name: "GrawaMPI", condition: .when(traits: ["MPI"])),
        .target(name: "GrawaDistributedMPI", condition: .when(traits: ["MPI"])),
      ]),
    .executableTarget(name: "grawa-train", dependencies: ["GrawaCLI"]),
    // Examples: small programs that use the libraries as a user would.
    .executableTarget(name: "tensor-basics", dependencies: ["GrawaTensor"], path: "Examples/tensor-basics"),
    .executableTarget(
      name: "vincent", dependencies: ["GrawaExperiments", "GrawaPlot"], path: "Examples/vincent"),
    .executableTarget(
      name: "custom-strategy", dependencies: ["GrawaDistributed", "GrawaExperiments", "GrawaTensor"],
      path: "Examples/custom-strategy"),
    // Fuzz targets (Fuzz/README.md): in an ordinary build, programs that replay the files they
    // are given through the harness; Fuzz/run.sh builds them as libFuzzer binaries
    // (-sanitize=fuzzer,address -DGRAWA_FUZZ). fuzz-seeds writes their seed corpora.
    .target(name: "_FuzzSupport", path: "Fuzz/_FuzzSupport"),
    .executableTarget(name: "fuzz-idx", dependencies: ["GrawaData", "_FuzzSupport"], path: "Fuzz/fuzz-idx"),
    .executableTarget(name: "fuzz-gzip", dependencies: ["GrawaData", "_FuzzSupport"], path: "Fuzz/fuzz-gzip"),
    .executableTarget(name: "fuzz-cifar", dependencies: ["GrawaData", "_FuzzSupport"], path: "Fuzz/fuzz-cifar"),
    .executableTarget(
      name: "fuzz-checkpoint", dependencies: ["GrawaDistributed", "CZlib", "_FuzzSupport"],
      path: "Fuzz/fuzz-checkpoint"),
    .executableTarget(name: "fuzz-seeds", dependencies: ["GrawaDistributed", "GrawaOptim"], path: "Fuzz/fuzz-seeds"),
    // Helpers shared by the test targets: tolerance asserts, finite-difference gradient checks.
    .target(
      name: "_TestSupport", dependencies: ["GrawaTensor", "GrawaNN", "GrawaData", "CZlib"], path: "Sources/_TestSupport"),
    .testTarget(name: "GrawaTensorTests", dependencies: ["GrawaTensor", "_TestSupport"]),
    .testTarget(name: "GrawaNNTests", dependencies: ["GrawaNN", "_TestSupport"]),
    .testTarget(name: "GrawaOptimTests", dependencies: ["GrawaOptim", "GrawaNN", "_TestSupport"]),
    .testTarget(name: "GrawaDataTests", dependencies: ["GrawaData", "_TestSupport"]),
    .testTarget(name: "GrawaDistributedTests", dependencies: ["GrawaDistributed", "_TestSupport"]),
    .testTarget(name: "GrawaExperimentsTests", dependencies: ["GrawaExperiments", "Grawa", "_TestSupport"]),
    .testTarget(name: "GrawaPlotTests", dependencies: ["GrawaPlot"]),
    .testTarget(
      name: "GrawaCLITests",
      dependencies: ["GrawaCLI", "GrawaExperiments", "GrawaNN", "GrawaTensor", "_TestSupport"]),
    // grawa-mpi-check and grawa-mpi-train-check under mpirun (and, with them built, grawa-train), and
    // GrawaMPI's pure types; compiles empty without trait MPI.
    .testTarget(
      name: "GrawaMPITests", dependencies: ["GrawaMPI", "GrawaDistributed", "GrawaDistributedMPI", "GrawaExperiments"]),
  ]
)
