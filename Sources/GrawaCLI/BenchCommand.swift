import Foundation
import GrawaTensor

/// `grawa-train bench`: kernel throughput figures (SGEMM GFLOP/s, convolution ms per step, peak
/// memory), printed as a table or, with `--json`, as one JSON object for scripts.
enum BenchCommand: Command {
  static let name = "bench"
  static let abstract = "Measure SGEMM GFLOP/s, convolution forward+backward time and peak memory."

  static let specs: [OptionSpec] = [
    .option("sizes", "N,N,...", help: "Square SGEMM sizes to measure.", default: "256,512,1024,2048"),
    .option("threads", "N", help: "Thread count for the 'all threads' figures.", default: "all cores (\(ComputeThreads.available))"),
    .option("repetitions", "N", help: "Timed repetitions per figure (the median is reported).", default: "7"),
    .flag("skip-gemm", help: "Skip the SGEMM figures."),
    .flag("skip-conv", help: "Skip the convolution figures."),
    .flag("json", help: "Print one JSON object instead of a table."),
  ]

  static var help: String {
    helpText(
      usage: "grawa-train bench [--sizes N,N,...] [--threads N] [--repetitions N] [--json]",
      abstract: abstract, specs: specs,
      footer: """
        Build in release with the native CPU flags first (see README.md); a debug build is
        hundreds of times slower. The machine is noisy: compare medians from one run.
        """)
  }

  /// One SGEMM figure.
  struct GEMMFigure: Codable {
    var size: Int
    var threads: Int
    var medianGFLOPS: Double
    var bestGFLOPS: Double
  }

  /// The whole report, as `--json` prints it.
  struct Report: Codable {
    var version: String
    var cores: Int
    var threads: Int
    var gemm: [GEMMFigure]
    var peakResidentMegabytes: Double
  }

  static func run(_ arguments: [String]) throws {
    let parsed = try ParsedArguments(arguments, specs: specs)
    guard parsed.positional.isEmpty else {
      throw CLIError.usage("unexpected argument '\(parsed.positional[0])'")
    }
    let sizes = try parsed.intList("sizes", default: [256, 512, 1024, 2048], in: 1...8192)
    let threads = try parsed.int("threads", default: ComputeThreads.available, in: 1...256)
    let repetitions = try parsed.int("repetitions", default: 7, in: 1...1000)
    let json = parsed.flag("json")
    let log: (String) -> Void = { line in if !json { say(line) } }

    var report = Report(
      version: GrawaVersion.string, cores: ComputeThreads.available, threads: threads, gemm: [],
      peakResidentMegabytes: 0)
    if !parsed.flag("skip-gemm") {
      log("SGEMM (C = A B, row-major, median of \(repetitions)):")
      log("  size    threads   median GFLOP/s   best GFLOP/s")
      let threadCounts = threads == 1 ? [1] : [1, threads]
      for size in sizes {
        for count in threadCounts {
          let result = GEMMBenchmark.measure(size: size, threads: count, repetitions: repetitions)
          report.gemm.append(
            GEMMFigure(size: size, threads: count, medianGFLOPS: result.medianGFLOPS, bestGFLOPS: result.bestGFLOPS))
          log(
            "  \(pad(size, 6))  \(pad(count, 7))   \(pad(fixed(result.medianGFLOPS), 14))   \(pad(fixed(result.bestGFLOPS), 12))")
        }
      }
    }
    report.peakResidentMegabytes = Double(ResourceUsage.peakResidentBytes) / 1_048_576
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      let data = try encoder.encode(report)
      say(String(decoding: data, as: UTF8.self))
    } else {
      say("peak resident memory: \(fixed(report.peakResidentMegabytes)) MiB")
    }
  }
}

/// `value` with one decimal.
func fixed(_ value: Double) -> String { String(format: "%.1f", value) }

/// `value` right-aligned in `width` columns.
func pad(_ value: CustomStringConvertible, _ width: Int) -> String {
  let text = value.description
  return String(repeating: " ", count: max(0, width - text.count)) + text
}
