#if MPI
  import Foundation
  import XCTest

  /// A running `mpirun` of a built program, with its output collected as it arrives.
  final class MPIRun: @unchecked Sendable {
    // @unchecked: `collected` is only touched with `lock` held; `process` is set up before it
    // starts and only queried afterwards.
    private let lock = NSLock()
    private var collected = Data()
    private let process = Process()
    private let exited = DispatchSemaphore(value: 0)

    /// The directory holding the built products (the test bundle sits beside the executables).
    static var productsDirectory: URL {
      Bundle.main.bundleURL
    }

    /// Starts `mpirun --allow-run-as-root --oversubscribe -np ranks program arguments...`, or
    /// with `ranks` `nil` the program alone (no MPI job).
    /// - Throws: when `mpirun` or the program is missing, or the process cannot start.
    init(ranks: Int?, program: String, arguments: [String]) throws {
      let executable = MPIRun.productsDirectory.appendingPathComponent(program)
      guard FileManager.default.isExecutableFile(atPath: executable.path) else {
        throw MPIRunError.missing(executable.path)
      }
      if let ranks {
        guard let mpirun = MPIRun.findInPath("mpirun") else {
          throw MPIRunError.missing("mpirun (apt-get install openmpi-bin)")
        }
        process.executableURL = mpirun
        process.arguments =
          ["--allow-run-as-root", "--oversubscribe", "-np", String(ranks), executable.path]
          + arguments
      } else {
        process.executableURL = executable
        process.arguments = arguments
      }
      let pipe = Pipe()
      process.standardOutput = pipe
      process.standardError = pipe
      pipe.fileHandleForReading.readabilityHandler = { [self] handle in
        let data = handle.availableData
        lock.lock()
        collected.append(data)
        lock.unlock()
      }
      process.terminationHandler = { [self] _ in
        exited.signal()
      }
      try process.run()
    }

    /// The pid of `mpirun` (or of the program run alone).
    var pid: pid_t { process.processIdentifier }

    /// Everything written to standard output and standard error so far, interleaved.
    var output: String {
      lock.lock()
      defer { lock.unlock() }
      return String(decoding: collected, as: UTF8.self)
    }

    /// Waits for `mpirun` to exit.
    /// - Returns: its exit status, or `nil` if it is still running after `timeout` seconds (it
    ///   is then killed, with every rank it started).
    func wait(timeout: Double) -> Int32? {
      guard exited.wait(timeout: .now() + timeout) == .success else {
        process.terminate()
        _ = exited.wait(timeout: .now() + 10)
        return nil
      }
      // The last output may still be in the pipe when the process has gone.
      Thread.sleep(forTimeInterval: 0.2)
      return process.terminationStatus
    }

    /// Waits until `predicate` holds for the output so far, or `timeout` seconds pass.
    func waitForOutput(timeout: Double, _ predicate: (String) -> Bool) -> Bool {
      let deadline = Date().addingTimeInterval(timeout)
      while Date() < deadline {
        if predicate(output) {
          return true
        }
        Thread.sleep(forTimeInterval: 0.05)
      }
      return predicate(output)
    }

    /// Runs a program to completion and returns its exit status (nil on timeout) and output.
    static func run(ranks: Int?, program: String, arguments: [String] = [], timeout: Double)
      throws -> (status: Int32?, output: String)
    {
      let run = try MPIRun(ranks: ranks, program: program, arguments: arguments)
      let status = run.wait(timeout: timeout)
      return (status, run.output)
    }

    private static func findInPath(_ name: String) -> URL? {
      let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
      for directory in path.split(separator: ":") {
        let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: candidate.path) {
          return candidate
        }
      }
      return nil
    }
  }

  /// Why an `MPIRun` could not start.
  enum MPIRunError: Error {
    case missing(String)
  }
#endif
