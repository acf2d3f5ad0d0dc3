// swift-tools-version: 6.0
// A package of its own that uses swift-grawa as a library, the way a researcher would: its own
// model, data, loss and strategy on the library's distributed engine. CI builds and runs it:
//
//   cd Examples/toolkit && swift run -c release -Xswiftc -target-cpu -Xswiftc native toolkit-example
//
// and the README's program (Sources/quickstart/main.swift is the README's code block, kept
// identical to it by a test): `swift run -c release ... quickstart`.
import PackageDescription

let package = Package(
  name: "toolkit-example",
  dependencies: [
    .package(name: "swift-grawa", path: "../..")
  ],
  targets: [
    .executableTarget(
      name: "toolkit-example",
      dependencies: [
        // The umbrella product: every library of swift-grawa in one import.
        .product(name: "Grawa", package: "swift-grawa")
      ]),
    .executableTarget(
      name: "quickstart",
      dependencies: [.product(name: "Grawa", package: "swift-grawa")]),
  ]
)
