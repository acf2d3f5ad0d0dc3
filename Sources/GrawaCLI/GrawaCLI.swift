import Foundation
import GrawaTensor

/// A `grawa-train` sub-command: its word, its options (each declared once, see ``Option``), its
/// help made from them, and what it does.
protocol Command: Sendable {
  /// The word that selects it, e.g. `"bench"`.
  static var name: String { get }
  /// One line for the command list.
  static var abstract: String { get }
  /// The usage line of its help.
  static var usage: String { get }
  /// Every option and flag it accepts, in the order help lists them.
  static var options: [any OptionDeclaration] { get }
  /// Help text after the option list: what it reads and writes, examples.
  static var footer: String { get }
  /// Parses `arguments` (after the sub-command word) and runs.
  static func run(_ arguments: [String]) throws
}

extension Command {
  /// Its full help text, made from ``options``.
  static var help: String {
    helpText(usage: usage, abstract: abstract, options: options, footer: footer)
  }

  /// Parses `arguments` against ``options``.
  /// - Throws: ``CLIError/usage(_:)`` as ``ParsedArguments/init(_:options:)`` does.
  static func parse(_ arguments: [String]) throws -> ParsedArguments {
    try ParsedArguments(arguments, options: options)
  }
}

/// Entry point of the `grawa-train` command.
public enum GrawaCLI {
  static let commands: [any Command.Type] = [
    TrainCommand.self, EvaluateCommand.self, ExportCommand.self, CompareCommand.self, AnalyzeCommand.self,
    VincentCommand.self, PlotCommand.self, ModelsCommand.self, BenchCommand.self,
  ]

  /// The top-level help text.
  public static var help: String {
    let width = (commands.map { $0.name.count }.max() ?? 0) + 2
    let list = commands.map { "  " + $0.name.padding(toLength: width, withPad: " ", startingAt: 0) + $0.abstract }
    return ([
      "grawa-train: distributed data-parallel training with GRAWA (MGRAWA, LGRAWA) and its baselines.",
      "",
      "USAGE: grawa-train <subcommand> [options]",
      "",
      "SUBCOMMANDS:",
    ] + list + [
      "",
      "OPTIONS:",
      "  --help      Show this help (`grawa-train help <subcommand>` or",
      "              `grawa-train <subcommand> --help` for a subcommand's).",
      "  --version   Print the version.",
    ]).joined(separator: "\n")
  }

  /// Runs `arguments` (the first element is the program name) and returns the exit code.
  public static func run(_ arguments: [String]) -> Int32 {
    let rest = Array(arguments.dropFirst())
    guard let first = rest.first else {
      // Nothing to do is a usage error: the help goes to standard error, with exit code 2.
      printError(help + "\n\nerror: no subcommand given")
      return 2
    }
    if first == "--help" || first == "-h" {
      say(help)
      return 0
    }
    if first == "help" {
      // `grawa-train help train` is `grawa-train train --help`.
      guard rest.count > 1 else {
        say(help)
        return 0
      }
      guard rest.count == 2, let command = command(named: rest[1]) else {
        printError("error: \(rest.count == 2 ? unknownSubcommandMessage(rest[1]) : "'help' takes one subcommand")"
          + "\nRun 'grawa-train --help' for the list.")
        return 2
      }
      say(command.help)
      return 0
    }
    if first == "--version" {
      say("grawa-train \(GrawaVersion.string)")
      return 0
    }
    guard let command = command(named: first) else {
      printError("error: \(unknownSubcommandMessage(first))\nRun 'grawa-train --help' for the list.")
      return 2
    }
    let commandArguments = Array(rest.dropFirst())
    if commandArguments.contains("--help") || commandArguments.contains("-h") {
      say(command.help)
      return 0
    }
    // Before any thread allocates tensors (bench and evaluate benefit as training does).
    TensorMemory.cacheFreedBuffers()
    do {
      try command.run(commandArguments)
      return 0
    } catch let error as CLIError where error.isInterruption {
      return error.exitCode
    } catch let error as CLIError {
      let hint = error.exitCode == 2 ? "\nRun 'grawa-train \(command.name) --help' for usage." : ""
      printError("error: \(error.description)\(hint)")
      return error.exitCode
    } catch {
      printError("error: \(error)")
      return 1
    }
  }

  /// The sub-command selected by `word`, if any.
  static func command(named word: String) -> (any Command.Type)? {
    commands.first { $0.name == word }
  }

  /// "unknown subcommand 'trian' (did you mean 'train'?)".
  static func unknownSubcommandMessage(_ word: String) -> String {
    guard let suggestion = nearestSpelling(of: word, among: commands.map { $0.name }) else {
      return "unknown subcommand '\(word)'"
    }
    return "unknown subcommand '\(word)' (did you mean '\(suggestion)'?)"
  }

  /// Runs `arguments` and exits the process with the resulting code.
  public static func main(_ arguments: [String]) -> Never {
    tuneAllocator()
    StandardStreams.ignoreOutputSignals()
    do {
      try KernelConfiguration.checkEnvironment()
    } catch {
      printError("error: \(error)")
      exit(2)
    }
    var code = run(arguments)
    if let failure = StandardStreams.standardOutputFailure {
      printError("error: standard output could not be written (\(failure)); output stopped there")
      if code == 0 { code = 1 }
    }
    exit(code)
  }
}

/// Keeps freed tensor memory in the process instead of returning it to the kernel at once.
///
/// Training allocates and frees tensors of the same few sizes every step. With glibc's defaults,
/// blocks above the dynamic mmap threshold come from fresh zero-filled pages each time, which cost
/// about 15% of a convolution step; raising the mmap threshold to its 64-bit maximum (32 MiB) and
/// the trim threshold to 1 GiB lets them be reused.
func tuneAllocator() {
  #if os(Linux)
    // glibc's <malloc.h> constants (not exported by the Glibc module): M_TRIM_THRESHOLD = -1,
    // M_MMAP_THRESHOLD = -3.
    _ = glibcMallopt(-3, 32 * 1024 * 1024)
    _ = glibcMallopt(-1, 1024 * 1024 * 1024)
  #endif
}

#if os(Linux)
  /// glibc's `int mallopt(int param, int value)`.
  @_silgen_name("mallopt")
  func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// Writes `text` and a newline to standard output at once (unbuffered, so progress and results
/// reach a pipe or a log file as they happen, unlike `print` into a redirected stdout).
func say(_ text: String) {
  StandardStreams.writeOutput(text + "\n")
}

/// Writes `message` and a newline to standard error.
func printError(_ message: String) {
  StandardStreams.writeError(message + "\n")
}
