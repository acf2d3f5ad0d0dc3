// What the fuzz targets share: the scratch file they hand path-based readers, the replay
// program an ordinary build makes of each target, and (with GRAWA_FUZZ) the libFuzzer driver.

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A file the fuzz targets rewrite with every input, for readers that take a path.
///
/// It lives in `$TMPDIR` (`Fuzz/run.sh` points that at a fresh directory under `/dev/shm`, so
/// no input touches a disk) and is named after the target and the process id, so two targets
/// can run side by side.
public struct ScratchFile: Sendable {
  /// The file's path.
  public let path: String

  /// The scratch file of `target` in this process (not created until ``write(_:)``).
  public init(target: String) {
    let directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    path = "\(directory)/grawa-\(target)-\(getpid())"
  }

  /// Replaces the file's contents with `bytes`; a failure stops the process, since an input
  /// that never reached the reader would be a silent hole in the run.
  public func write(_ bytes: UnsafeRawBufferPointer) {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard descriptor >= 0 else {
      fatalError("cannot create the scratch file \(path) (errno \(errno))")
    }
    var written = 0
    while written < bytes.count {
      guard let base = bytes.baseAddress else { break }
      let result = systemWrite(descriptor, base + written, bytes.count - written)
      guard result > 0 else {
        fatalError("cannot write the scratch file \(path) (errno \(errno))")
      }
      written += result
    }
    close(descriptor)
  }

  /// Deletes the file.
  public func remove() {
    unlink(path)
  }
}

/// The program a fuzz target is without `-DGRAWA_FUZZ`: it runs its harness once on each file
/// named on the command line (to reproduce a crash or check a corpus under a debugger, with no
/// libFuzzer), and does nothing without arguments, so an ordinary `swift build` stays clean.
public enum FuzzReplay {
  /// Runs `harness` on every file in `arguments` (the program name first, as in
  /// `CommandLine.arguments`), prints how many were replayed, removes `scratch` and exits.
  /// - Parameters:
  ///   - arguments: the command line.
  ///   - scratch: the target's scratch file, removed before exiting.
  ///   - harness: the target's per-input function, the same one `LLVMFuzzerTestOneInput` calls.
  /// - Returns: never; exits 0, or 1 when a file cannot be read.
  public static func main(
    arguments: [String], scratch: ScratchFile, harness: (UnsafeRawBufferPointer) -> Void
  ) -> Never {
    let name = arguments.first.map { String($0.split(separator: "/").last ?? "") } ?? "fuzz"
    let files = arguments.dropFirst()
    guard !files.isEmpty else {
      print("\(name): built without GRAWA_FUZZ; Fuzz/run.sh builds the libFuzzer binary.")
      print("usage: \(name) FILE... (runs the harness once on each file)")
      exit(0)
    }
    for file in files {
      guard let bytes = readFile(file) else {
        print("\(name): cannot read \(file)")
        scratch.remove()
        exit(1)
      }
      bytes.withUnsafeBytes { harness($0) }
    }
    print("\(name): replayed \(files.count) files")
    scratch.remove()
    exit(0)
  }

  private static func readFile(_ path: String) -> [UInt8]? {
    guard let handle = fopen(path, "rb") else { return nil }
    defer { fclose(handle) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = fread(&chunk, 1, chunk.count, handle)
      bytes += chunk[0..<count]
      if count < chunk.count { break }
    }
    return ferror(handle) == 0 ? bytes : nil
  }
}

/// `write(2)` under another name: inside ``ScratchFile`` the method `write(_:)` would shadow it.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
  write(fd, buffer, count)
}

#if GRAWA_FUZZ
  /// libFuzzer's driver, started from the target's own `main`.
  ///
  /// SwiftPM links every executable with its `main` renamed to `<target>_main` and aliased back,
  /// so a target cannot simply leave `main` to libFuzzer; instead each keeps its `@main` and
  /// hands libFuzzer its per-input function through `LLVMFuzzerRunDriver`, libFuzzer's documented
  /// entry for programs with a main of their own.
  public enum FuzzDriver {
    /// Runs libFuzzer on the process's command line (corpus directories and `-flag=value`
    /// options, as for any libFuzzer binary) and exits with its status.
    /// - Parameter testOneInput: called once per input with its bytes; returns 0.
    public static func run(
      _ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Never {
      var argc = CommandLine.argc
      var argv = CommandLine.unsafeArgv
      let status = LLVMFuzzerRunDriver(&argc, &argv, testOneInput)
      exit(status)
    }
  }

  // int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *, size_t));
  // declared by name: the package has no C targets to import a header from. Pointer and
  // 32-bit integer arguments and result are passed alike by the Swift and C conventions.
  @_silgen_name("LLVMFuzzerRunDriver")
  private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
  ) -> Int32
#endif
