import GrawaExperiments
import GrawaTensor

/// The options of `grawa-train bench`, each declared once.
enum BenchOptions {
  static let sizes = Option<[Int]>(
    "sizes", "N,N,...", default: [256, 512, 1024, 2048], in: .from(1, to: 8192),
    help: "Square SGEMM sizes to measure.")
  static let threads = Option<Int>(
    "threads", "N", default: ComputeThreads.available, in: .from(1, to: 256),
    help: "Thread count for the 'all threads' figures.",
    shownAs: "all cores (\(ComputeThreads.available))")
  static let repetitions = Option<Int>(
    "repetitions", "N", default: 7, in: .from(1, to: 1000),
    help: "Timed repetitions per figure (the median is reported).")
  static let model = Option<ModelKind?>(
    "model", "NAME", help: "Also time training steps of this model.")
  static let batchSize = Option<Int>(
    "batch-size", "N", default: 128, in: .from(1, to: 65_536), help: "Batch for the model step.")
  static let input = Option<ImageInputShape>(
    "input", "CxHxW", default: ImageInputShape(channels: 3, size: 32),
    help: "Input shape for the model step.")
  static let steps = Option<Int>(
    "steps", "N", default: 5, in: .from(1, to: 10_000),
    help: "Timed model steps (the median is reported).")
  static let profile = Flag(
    "profile", help: "With --model: time per operation (forward and backward) on all threads.")
  static let skipGEMM = Flag("skip-gemm", help: "Skip the SGEMM figures.")
  static let skipConvolution = Flag("skip-conv", help: "Skip the convolution figures.")
  static let json = Flag("json", help: "Print one JSON object instead of a table.")

  /// Every option, in the order help lists them.
  static let all: [any OptionDeclaration] = [
    sizes, threads, repetitions, model, batchSize, input, steps, profile, skipGEMM, skipConvolution,
    json,
  ]
}

/// The square input of the model benchmark, written `CxHxW` with `H == W` (`3x32x32`).
struct ImageInputShape: OptionValue, Equatable {
  /// C, the channels.
  var channels: Int
  /// H and W, the side of the square image.
  var size: Int

  /// A shape of `channels` channels of `size` x `size` pixels.
  init(channels: Int, size: Int) {
    self.channels = channels
    self.size = size
  }

  /// Reads `CxHxW` with positive numbers and `H == W`.
  /// - Throws: ``InvalidOptionValue`` otherwise.
  init(argument: String) throws {
    let dimensions = argument.split(separator: "x", omittingEmptySubsequences: false).map {
      Int($0)
    }
    guard dimensions.count == 3, let channels = dimensions[0], let height = dimensions[1],
      let width = dimensions[2], channels > 0, height > 0, height == width
    else { throw InvalidOptionValue() }
    self.init(channels: channels, size: height)
  }

  /// `CxHxW`.
  var argumentText: String { "\(channels)x\(size)x\(size)" }

  /// What a valid shape looks like.
  static var expectation: String { "CxHxW with H == W, e.g. 3x32x32" }
}
