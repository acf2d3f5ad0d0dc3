// libFuzzer target: the IDX reader (MNIST-style images and labels files, plain or gzip) on
// arbitrary bytes. Every input must end in a result or a DataError; a trap, a sanitizer report
// or a broken invariant below is a bug. See Fuzz/README.md.
import GrawaData
import _FuzzSupport

/// The per-input harness of `fuzz-idx`.
enum IDXHarness {
  static let scratch = ScratchFile(target: "fuzz-idx")

  /// Writes `input` to the scratch file and reads it as an images file and as a labels file.
  static func run(_ input: UnsafeRawBufferPointer) {
    scratch.write(input)
    if let images = try? IDXReader.readImages(at: scratch.path) {
      // A successful read describes exactly the pixels it returns.
      precondition(images.count > 0 && images.height > 0 && images.width > 0)
      precondition(images.pixels.count == images.count * images.height * images.width)
    }
    if let labels = try? IDXReader.readLabels(at: scratch.path, classCount: 10) {
      precondition(!labels.isEmpty && labels.allSatisfy { (0..<10).contains($0) })
    }
  }
}

/// The program: libFuzzer on ``IDXHarness/run(_:)`` with `GRAWA_FUZZ`, else a replay of the
/// files named on the command line.
@main
enum FuzzIDX {
  static func main() {
    #if GRAWA_FUZZ
      FuzzDriver.run { data, size in
        IDXHarness.run(UnsafeRawBufferPointer(start: data, count: size))
        return 0
      }
    #else
      FuzzReplay.main(
        arguments: CommandLine.arguments, scratch: IDXHarness.scratch, harness: IDXHarness.run)
    #endif
  }
}
