// libFuzzer target: the CIFAR-10 and CIFAR-100 binary readers (plain or gzip) on arbitrary
// bytes. Every input must end in records or a DataError; a trap, a sanitizer report or a
// broken invariant below is a bug. See Fuzz/README.md.
import GrawaData
import _FuzzSupport

/// The per-input harness of `fuzz-cifar`.
enum CIFARHarness {
  static let scratch = ScratchFile(target: "fuzz-cifar")

  /// Writes `input` to the scratch file and reads it as a CIFAR-10 and as a CIFAR-100 file.
  static func run(_ input: UnsafeRawBufferPointer) {
    scratch.write(input)
    let pixels = CIFARReader.imageShape.elementCount
    if let records = try? CIFARReader.readCIFAR10File(at: scratch.path) {
      precondition(records.count > 0 && records.images.count == records.count * pixels)
      precondition(records.labels.allSatisfy { (0..<10).contains($0) })
      precondition(records.coarseLabels == nil)
    }
    if let records = try? CIFARReader.readCIFAR100File(at: scratch.path) {
      precondition(records.count > 0 && records.images.count == records.count * pixels)
      precondition(records.labels.allSatisfy { (0..<100).contains($0) })
      precondition(records.coarseLabels?.count == records.count)
      precondition(records.coarseLabels?.allSatisfy { (0..<20).contains($0) } == true)
    }
  }
}

/// The program: libFuzzer on ``CIFARHarness/run(_:)`` with `GRAWA_FUZZ`, else a replay of the
/// files named on the command line.
@main
enum FuzzCIFAR {
  static func main() {
    #if GRAWA_FUZZ
      FuzzDriver.run { data, size in
        CIFARHarness.run(UnsafeRawBufferPointer(start: data, count: size))
        return 0
      }
    #else
      FuzzReplay.main(
        arguments: CommandLine.arguments, scratch: CIFARHarness.scratch, harness: CIFARHarness.run)
    #endif
  }
}
