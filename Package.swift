// swift-tools-version: 6.0
// swift-grawa: distributed data-parallel training with the GRAWA family of algorithms, in pure Swift.
//
// Build flags: this manifest carries no unsafe flags, so other packages can depend on it by version.
// Wide SIMD (AVX-512 on Zen 4/5) comes from the command line; see README.md, "Building fast".
import PackageDescription

let package = Package(
  name: "swift-grawa",
  products: [
    .library(name: "GrawaTensor", targets: ["GrawaTensor"]),
    .executable(name: "grawa-train", targets: ["grawa-train"]),
  ],
  dependencies: [],
  targets: [
    // Layer 0: tensors, autograd and the SIMD kernels under them.
    .target(
      name: "GrawaTensor",
      // Without a target-CPU flag, SIMD fused multiply-adds may lower to libm's fmaf.
      linkerSettings: [.linkedLibrary("m")]
    ),
    // The command-line driver's logic (argument parsing, sub-commands, benchmarks).
    .target(name: "GrawaCLI", dependencies: ["GrawaTensor"]),
    .executableTarget(name: "grawa-train", dependencies: ["GrawaCLI"]),
    // Helpers shared by the test targets: tolerance asserts, finite-difference gradient checks.
    .target(name: "_TestSupport", dependencies: ["GrawaTensor"], path: "Sources/_TestSupport"),
    .testTarget(name: "GrawaTensorTests", dependencies: ["GrawaTensor", "_TestSupport"]),
    .testTarget(name: "GrawaCLITests", dependencies: ["GrawaCLI"]),
  ]
)
