import Foundation
import GrawaDistributed
import GrawaExperiments

/// The options that pick a trained model out of a run directory, declared once for `evaluate`
/// and `export`.
enum ModelSourceOptions {
  static let worker = Option<Int?>(
    "worker", "K", in: .from(0, to: 1 << 20),
    help: "Worker K's own model instead of the center.",
    shownAs: "the center")
  static let dataDirectory = Option<String?>(
    "data-dir", "DIR", help: "Dataset directory, when not where the run read it.",
    shownAs: "the run's")
  static let threads = Option<Int>(
    "threads", "N", default: 0, in: .from(0, to: 256), help: "Compute threads (0: all cores).",
    shownAs: "0, all cores")

  /// Every option, in the order help lists them.
  static let all: [any OptionDeclaration] = [worker, dataDirectory, threads]

  /// The model the options choose.
  static func choice(_ parsed: ParsedArguments) throws -> TrainedRun.ModelChoice {
    try parsed[worker].map { .worker($0) } ?? .center
  }

  /// Opens the run directory given as the one positional argument.
  /// - Throws: ``CLIError/usage(_:)`` without exactly one directory; ``CLIError/failure(_:)``
  ///   naming what cannot be read.
  static func openRun(_ parsed: ParsedArguments) throws -> TrainedRun {
    guard parsed.positional.count == 1 else {
      throw CLIError.usage(parsed.positional.isEmpty ? "give a run directory" : "give exactly one run directory")
    }
    let directory = parsed.positional[0]
    guard !directory.isEmpty else { throw CLIError.usage("the run directory is empty (an unset shell variable?)") }
    let run: TrainedRun
    do {
      run = try TrainedRun(
        directory: URL(fileURLWithPath: directory), dataDirectory: try parsed[dataDirectory],
        threads: try parsed[threads])
    } catch let error as SettingError {
      throw CLIError.usage("\(error)")
    } catch let mismatch as TrainingSetMismatch {
      throw TrainCommand.usageError(mismatch, given: try parsed[dataDirectory])
    } catch {
      throw CLIError.failure("\(error)")
    }
    if let index = try parsed[worker], index >= run.configuration.workers {
      throw CLIError.usage(
        "'--worker \(index)': the run has \(run.configuration.workers) workers (0...\(run.configuration.workers - 1))")
    }
    return run
  }
}
