// libFuzzer target: the checkpoint reader (CheckpointFile.parse, the bytes behind
// CheckpointFile.read(from:)) on arbitrary bytes. Random bytes almost never carry a right CRC-32,
// so by default the harness recomputes it and the mutations reach the header JSON, the counters
// and the section table. A parsed state must write and read back to the same file. A trap, a
// sanitizer report or a failed round trip is a bug. See Fuzz/README.md.
import CZlib
import Foundation
import GrawaDistributed
import _FuzzSupport

/// The per-input harness of `fuzz-checkpoint`.
enum CheckpointHarness {
  static let scratch = ScratchFile(target: "fuzz-checkpoint")

  /// `input[0]`'s low bit: 0 = replace the file's last 4 bytes with the CRC-32 of the rest,
  /// 1 = leave the bytes as they are. The rest is the file.
  static func run(_ input: UnsafeRawBufferPointer) {
    guard let mode = input.first else { return }
    var file = [UInt8](input.dropFirst())
    if mode & 1 == 0 && file.count >= 4 {
      let crc = file.withUnsafeBufferPointer { bytes in
        UInt32(truncatingIfNeeded: crc32(0, bytes.baseAddress, uInt(bytes.count - 4)))
      }
      for index in 0..<4 {
        file[file.count - 4 + index] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(index)))
      }
    }
    let state: RunState
    do {
      state = try file.withUnsafeBytes { try CheckpointFile.parse($0, path: "fuzz-input") }
    } catch {
      precondition(error is CheckpointError, "not a CheckpointError: \(error)")
      return
    }
    // Whatever reads must write, and read back to a file with the same bytes.
    let url = URL(fileURLWithPath: scratch.path)
    do {
      try CheckpointFile.write(state, to: url)
      let first = try Data(contentsOf: url)
      try CheckpointFile.write(try CheckpointFile.read(from: url), to: url)
      let second = try Data(contentsOf: url)
      precondition(second == first, "the round trip changed the file")
    } catch let error as CheckpointError {
      // A configuration that would not read back equal is refused by `write`, by design.
      precondition(
        error.message.hasPrefix("cannot write the checkpoint: the configuration"), "\(error)")
    } catch {
      preconditionFailure("\(error)")
    }
  }
}

/// The program: libFuzzer on ``CheckpointHarness/run(_:)`` with `GRAWA_FUZZ`, else a replay of the
/// files named on the command line.
@main
enum FuzzCheckpoint {
  static func main() {
    #if GRAWA_FUZZ
      FuzzDriver.run { data, size in
        CheckpointHarness.run(UnsafeRawBufferPointer(start: data, count: size))
        return 0
      }
    #else
      FuzzReplay.main(
        arguments: CommandLine.arguments, scratch: CheckpointHarness.scratch, harness: CheckpointHarness.run)
    #endif
  }
}
