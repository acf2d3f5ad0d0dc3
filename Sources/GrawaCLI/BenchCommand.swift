import Foundation
import GrawaDistributed
import GrawaExperiments
import GrawaNN
import GrawaTensor

/// `grawa-train bench`: kernel throughput figures (SGEMM GFLOP/s, convolution ms per step, peak
/// memory), printed as a table or, with `--json`, as one JSON object for scripts. Starts with the
/// detected CPU, the kernel variant and tiles in use, and this machine's measured FMA peak, and
/// gives every SGEMM and convolution figure as a fraction of that peak.
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
    /// `medianGFLOPS` over the FMA peak on as many threads.
    var fractionOfPeak: Double
  }

  /// The measured FMA peak on some number of threads (see ``FMAPeak``).
  struct PeakFigure: Codable {
    var threads: Int
    var gflops: Double
  }

  /// What the kernels were chosen from, and what they are.
  struct KernelFigure: Codable {
    var cpuModel: String?
    var architecture: String
    /// Vector features detected, e.g. `["avx2", "fma", "avx512f"]`.
    var features: [String]
    var variant: String
    /// `detected` or `environment` (`GRAWA_KERNELS`).
    var source: String
    var tiles: KernelTileShapes
  }

  /// One convolution figure: forward + backward (input, weight and bias gradients).
  struct ConvFigure: Codable {
    var layer: String
    var threads: Int
    var medianMilliseconds: Double
    var bestMilliseconds: Double
    var bestGFLOPS: Double
    /// FLOP per step over the median time.
    var medianGFLOPS: Double
    /// `medianGFLOPS` over the FMA peak on as many threads.
    var fractionOfPeak: Double
  }

  /// The whole report, as `--json` prints it.
  struct Report: Codable {
    var version: String
    var cores: Int
    var threads: Int
    var kernels: KernelFigure
    var fmaPeak: [PeakFigure]
    var gemm: [GEMMFigure]
    var conv: [ConvFigure]
    var model: [ModelBenchmark.Result]
    var peakResidentMegabytes: Double
    /// Whether freed tensor buffers stay in the heap for reuse (``TensorMemory``).
    var cachesFreedBuffers: Bool
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

    let threadCounts = threads == 1 ? [1] : [1, threads]
    let kernels = kernelFigure()
    log("CPU: \(kernels.cpuModel ?? "unknown") (\(kernels.architecture); \(kernels.features.joined(separator: " ")))")
    log("kernels: \(kernels.variant) (\(kernels.source)), \(kernels.tiles)")
    let caching = TensorMemory.cachesFreedBuffers
    log("memory: freed tensor buffers " + (caching
      ? "kept for reuse (\(TensorMemory.disablingVariable)=1 returns them to the system)"
      : "returned to the system"))
    var peaks: [PeakFigure] = []
    for count in threadCounts {
      peaks.append(PeakFigure(threads: count, gflops: FMAPeak.measure(threads: count)))
    }
    log("FMA peak: " + peaks.map { "\(fixed($0.gflops)) GFLOP/s on \($0.threads) thread\($0.threads == 1 ? "" : "s")" }.joined(separator: ", "))
    func fraction(_ gflops: Double, threads: Int) -> Double {
      let peak = peaks.first { $0.threads == threads }?.gflops ?? 0
      return peak > 0 ? gflops / peak : 0
    }
    var report = Report(
      version: GrawaVersion.string, cores: ComputeThreads.available, threads: threads,
      kernels: kernels, fmaPeak: peaks, gemm: [], conv: [], model: [], peakResidentMegabytes: 0,
      cachesFreedBuffers: caching)
    if try !parsed[BenchOptions.skipGEMM] {
      log("SGEMM (C = A B, row-major, median of \(repetitions)):")
      log("  size    threads   median GFLOP/s   best GFLOP/s   median/peak")
      for size in sizes {
        for count in threadCounts {
          let result = GEMMBenchmark.measure(size: size, threads: count, repetitions: repetitions)
          let share = fraction(result.medianGFLOPS, threads: count)
          report.gemm.append(
            GEMMFigure(
              size: size, threads: count, medianGFLOPS: result.medianGFLOPS,
              bestGFLOPS: result.bestGFLOPS, fractionOfPeak: share))
          log(
            "  \(pad(size, 6))  \(pad(count, 7))   \(pad(fixed(result.medianGFLOPS), 14))   \(pad(fixed(result.bestGFLOPS), 12))   \(pad(percent(share), 11))")
        }
      }
    }
    if try !parsed[BenchOptions.skipConvolution] {
      log("convolution (3x3 unless marked), padding kernel/2, batch 128, forward + backward (median of \(repetitions)):")
      log("  layer                   threads   median ms   forward ms   best ms   median GFLOP/s   median/peak")
      for layer in try parsed[BenchOptions.conv] {
        let label = layer.label
        for count in threadCounts {
          let result = try ConvBenchmark.measure(
            .init(
              batch: 128, inChannels: layer.inChannels, outChannels: layer.outChannels,
              height: layer.size, width: layer.size, kernelSize: layer.kernel,
              stride: layer.stride, padding: layer.padding, threads: count,
              repetitions: repetitions))
          let median = result.configuration.flopsPerStep / (result.medianMilliseconds * 1e6)
          let share = fraction(median, threads: count)
          report.conv.append(
            ConvFigure(
              layer: label, threads: count, medianMilliseconds: result.medianMilliseconds,
              bestMilliseconds: result.bestMilliseconds, bestGFLOPS: result.bestGigaflops,
              medianGFLOPS: median, fractionOfPeak: share))
          log(
            "  \(label.padding(toLength: 22, withPad: " ", startingAt: 0))  \(pad(count, 7))   \(pad(fixed(result.medianMilliseconds), 9))   \(pad(fixed(result.forwardMedianMilliseconds), 10))   \(pad(fixed(result.bestMilliseconds), 7))   \(pad(fixed(median), 14))   \(pad(percent(share), 11))")
        }
      }
    }
    if let kind = try parsed[BenchOptions.model] {
      let batch = try parsed[BenchOptions.batchSize]
      let steps = try parsed[BenchOptions.steps]
      let input = try parsed[BenchOptions.input]
      log("training step of \(kind.rawValue), batch \(batch), input \(input.argumentText) (median of \(steps)):")
      log("  threads   median ms   forward ms   images/s   GFLOP/step   GFLOP/s   median/peak")
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
          "  \(pad(count, 7))   \(pad(fixed(result.medianMilliseconds), 9))   \(pad(fixed(result.forwardMedianMilliseconds), 10))   \(pad(fixed(result.imagesPerSecond), 8))   \(pad(fixed(2 * Double(result.multiplyAddsPerStep) / 1e9), 10))   \(pad(fixed(result.gflops), 7))   \(pad(percent(fraction(result.gflops, threads: count)), 11))")
      }
      if try parsed[BenchOptions.profile] {
        let result = try ModelBenchmark.measure(
          model: kind, batch: batch, channels: input.channels, size: input.size, threads: threads, steps: steps,
          profile: true)
        report.model.append(result)
        let entries = result.profile ?? []
        let total = entries.reduce(0) { $0 + $1.milliseconds } + result.optimizerMedianMilliseconds * Double(steps)
        log("time per operation, \(threads) threads, over \(steps) steps (ms per step, share of the step):")
        let shown = entries.filter { $0.milliseconds / total >= 0.005 }
        // Names are never cut: the column is as wide as the longest.
        let width = shown.map { $0.operation.count + 1 + $0.direction.count }.reduce(28, max)
        for entry in shown {
          let label = "\(entry.operation) \(entry.direction)".padding(toLength: width, withPad: " ", startingAt: 0)
          log("  \(label) \(pad(fixed(entry.milliseconds / Double(steps)), 8))   \(pad(fixed(100 * entry.milliseconds / total), 5))%")
        }
        let sgd = "sgd step".padding(toLength: width, withPad: " ", startingAt: 0)
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

extension BenchCommand {
  /// The detected CPU and the kernel configuration in use.
  static func kernelFigure() -> KernelFigure {
    let configuration = KernelConfiguration.current
    let cpu = configuration.features
    let flags: [(Bool, String)] = [
      (cpu.hasAVX2, "avx2"), (cpu.hasFMA, "fma"), (cpu.hasAVX512F, "avx512f"), (cpu.hasNEON, "neon"),
    ]
    let variant = KernelConfiguration.active
    return KernelFigure(
      cpuModel: cpu.modelName, architecture: cpu.architecture.rawValue,
      features: flags.filter(\.0).map(\.1), variant: variant.rawValue,
      source: configuration.source.rawValue, tiles: variant.shapes)
  }
}

/// `fraction` as a percentage with one decimal, e.g. `87.5%`.
func percent(_ fraction: Double) -> String { String(format: "%.1f%%", 100 * fraction) }

/// `value` with one decimal.
func fixed(_ value: Double) -> String { String(format: "%.1f", value) }

/// `value` right-aligned in `width` columns.
func pad(_ value: CustomStringConvertible, _ width: Int) -> String {
  let text = value.description
  return String(repeating: " ", count: max(0, width - text.count)) + text
}
