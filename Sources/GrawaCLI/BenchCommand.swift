import Foundation
import GrawaDistributed
import GrawaExperiments
import GrawaNN
import GrawaTensor

/// `grawa-train bench`: kernel throughput figures (SGEMM GFLOP/s, convolution ms per step, peak
/// memory), printed as a table or, with `--json`, as one JSON object for scripts.
enum BenchCommand: Command {
  static let name = "bench"
  static let abstract = "Measure SGEMM GFLOP/s, convolution and model training-step time, peak memory."

  static var options: [any OptionDeclaration] { BenchOptions.all }

  static let usage =
    "grawa-train bench [--sizes N,N,...] [--threads N] [--model NAME [--batch-size N] [--input CxHxW]] [--json]"

  static let footer = """
    Build in release with the native CPU flags first (see README.md); a debug build is
    hundreds of times slower. The machine is noisy: compare medians from one run.
    """

  /// One SGEMM figure.
  struct GEMMFigure: Codable {
    var size: Int
    var threads: Int
    var medianGFLOPS: Double
    var bestGFLOPS: Double
  }

  /// One convolution figure: forward + backward (input, weight and bias gradients).
  struct ConvFigure: Codable {
    var layer: String
    var threads: Int
    var medianMilliseconds: Double
    var bestMilliseconds: Double
    var bestGFLOPS: Double
  }

  /// The whole report, as `--json` prints it.
  struct Report: Codable {
    var version: String
    var cores: Int
    var threads: Int
    var gemm: [GEMMFigure]
    var conv: [ConvFigure]
    var model: [ModelBenchmark.Result]
    var peakResidentMegabytes: Double
  }

  static func run(_ arguments: [String]) throws {
    let parsed = try parse(arguments)
    guard parsed.positional.isEmpty else {
      throw CLIError.usage("unexpected argument '\(parsed.positional[0])'")
    }
    let sizes = try parsed[BenchOptions.sizes]
    let threads = try parsed[BenchOptions.threads]
    let repetitions = try parsed[BenchOptions.repetitions]
    let json = try parsed[BenchOptions.json]
    let log: (String) -> Void = { line in if !json { say(line) } }

    var report = Report(
      version: GrawaVersion.string, cores: ComputeThreads.available, threads: threads, gemm: [],
      conv: [], model: [], peakResidentMegabytes: 0)
    let threadCounts = threads == 1 ? [1] : [1, threads]
    if try !parsed[BenchOptions.skipGEMM] {
      log("SGEMM (C = A B, row-major, median of \(repetitions)):")
      log("  size    threads   median GFLOP/s   best GFLOP/s")
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
    if try !parsed[BenchOptions.skipConvolution] {
      log("convolution 3x3, padding 1, batch 128, forward + backward (median of \(repetitions)):")
      log("  layer              threads   median ms   best ms   best GFLOP/s")
      let layers = [(16, 32, "16->16 @ 32x32"), (64, 8, "64->64 @ 8x8")]
      for (channels, side, label) in layers {
        for count in threadCounts {
          let result = try ConvBenchmark.measure(
            .init(
              batch: 128, inChannels: channels, outChannels: channels, height: side, width: side,
              kernelSize: 3, stride: 1, padding: 1, threads: count, repetitions: repetitions))
          report.conv.append(
            ConvFigure(
              layer: label, threads: count, medianMilliseconds: result.medianMilliseconds,
              bestMilliseconds: result.bestMilliseconds, bestGFLOPS: result.bestGigaflops))
          log(
            "  \(label.padding(toLength: 17, withPad: " ", startingAt: 0))  \(pad(count, 7))   \(pad(fixed(result.medianMilliseconds), 9))   \(pad(fixed(result.bestMilliseconds), 7))   \(pad(fixed(result.bestGigaflops), 12))")
        }
      }
    }
    if let kind = try parsed[BenchOptions.model] {
      let batch = try parsed[BenchOptions.batchSize]
      let steps = try parsed[BenchOptions.steps]
      let input = try parsed[BenchOptions.input]
      log("training step of \(kind.rawValue), batch \(batch), input \(input.argumentText) (median of \(steps)):")
      log("  threads   median ms   forward ms   images/s")
      for count in threadCounts {
        let result: ModelBenchmark.Result
        do {
          result = try ModelBenchmark.measure(
            model: kind, batch: batch, channels: input.channels, size: input.size, threads: count, steps: steps)
        } catch {
          throw CLIError.failure("\(error)")
        }
        report.model.append(result)
        log(
          "  \(pad(count, 7))   \(pad(fixed(result.medianMilliseconds), 9))   \(pad(fixed(result.forwardMedianMilliseconds), 10))   \(pad(fixed(result.imagesPerSecond), 8))")
      }
      if try parsed[BenchOptions.profile] {
        let result = try ModelBenchmark.measure(
          model: kind, batch: batch, channels: input.channels, size: input.size, threads: threads, steps: steps,
          profile: true)
        report.model.append(result)
        let entries = result.profile ?? []
        let total = entries.reduce(0) { $0 + $1.milliseconds } + result.optimizerMedianMilliseconds * Double(steps)
        log("time per operation, \(threads) threads, over \(steps) steps (ms per step, share of the step):")
        for entry in entries where entry.milliseconds / total >= 0.005 {
          let label = "\(entry.operation) \(entry.direction)".padding(toLength: 28, withPad: " ", startingAt: 0)
          log("  \(label) \(pad(fixed(entry.milliseconds / Double(steps)), 8))   \(pad(fixed(100 * entry.milliseconds / total), 5))%")
        }
        let sgd = "sgd step".padding(toLength: 28, withPad: " ", startingAt: 0)
        log("  \(sgd) \(pad(fixed(result.optimizerMedianMilliseconds), 8))   \(pad(fixed(100 * result.optimizerMedianMilliseconds * Double(steps) / total), 5))%")
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
