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
  static let conv = Option<[ConvLayerShape]>(
    "conv", "LAYER,...",
    default: [
      ConvLayerShape(inChannels: 16, outChannels: 16, size: 32, stride: 1),
      ConvLayerShape(inChannels: 64, outChannels: 64, size: 8, stride: 1),
    ],
    help:
      "Convolutions (batch 128) to time, as CIN-COUT@SIZE[/STRIDE][:KERNEL]: 3x3 unless :KERNEL "
      + "is given (512-2048@1:1 is a 1x1 kernel), padding KERNEL/2.")
  static let skipGEMM = Flag("skip-gemm", help: "Skip the SGEMM figures.")
  static let skipConvolution = Flag("skip-conv", help: "Skip the convolution figures.")
  static let json = Flag("json", help: "Print one JSON object instead of a table.")

  /// Every option, in the order help lists them.
  static let all: [any OptionDeclaration] = [
    sizes, threads, repetitions, conv, model, batchSize, input, steps, profile, skipGEMM,
    skipConvolution, json,
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

/// A convolution layer of the benchmark, written `CIN-COUT@SIZE[/STRIDE][:K]`: `64-128@16/2` is
/// 64 to 128 channels on 16x16 maps with a 3x3 kernel and stride 2, `512-2048@1:1` a 1x1 kernel
/// on 1x1 maps. The padding is `K / 2` ("same" for odd kernels at stride 1).
struct ConvLayerShape: OptionValue, Equatable {
  var inChannels: Int
  var outChannels: Int
  /// The side of the square input map.
  var size: Int
  var stride: Int
  /// The side of the square kernel.
  var kernel: Int

  init(inChannels: Int, outChannels: Int, size: Int, stride: Int, kernel: Int = 3) {
    (self.inChannels, self.outChannels, self.size, self.stride, self.kernel) = (
      inChannels, outChannels, size, stride, kernel
    )
  }

  /// Zero padding on each side: `kernel / 2`.
  var padding: Int { kernel / 2 }

  /// Reads `CIN-COUT@SIZE[/STRIDE][:K]` with positive numbers (any kernel fits its map padded by
  /// `K / 2`).
  /// - Throws: ``InvalidOptionValue`` otherwise.
  init(argument: String) throws {
    let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
    guard (1...2).contains(parts.count) else { throw InvalidOptionValue() }
    let layer = parts[0].split(separator: "@", omittingEmptySubsequences: false)
    guard layer.count == 2 else { throw InvalidOptionValue() }
    let channels = layer[0].split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
    let map = layer[1].split(separator: "/", omittingEmptySubsequences: false).map { Int($0) }
    guard channels.count == 2, let cin = channels[0], let cout = channels[1], cin > 0, cout > 0,
      (1...2).contains(map.count), let size = map[0], size > 0
    else { throw InvalidOptionValue() }
    let stride = map.count == 2 ? map[1] : 1
    guard let stride, stride > 0 else { throw InvalidOptionValue("the stride must be positive") }
    let kernel = parts.count == 2 ? Int(parts[1]) : 3
    guard let kernel, kernel > 0 else { throw InvalidOptionValue("the kernel size must be positive") }
    self.init(inChannels: cin, outChannels: cout, size: size, stride: stride, kernel: kernel)
  }

  /// `CIN-COUT@SIZE`, with `/STRIDE` when the stride is not 1 and `:K` when the kernel is not 3.
  var argumentText: String {
    "\(inChannels)-\(outChannels)@\(size)" + (stride == 1 ? "" : "/\(stride)")
      + (kernel == 3 ? "" : ":\(kernel)")
  }

  /// The table's label: `64->128 @ 16x16 /2`, with ` k1` for a kernel other than 3x3.
  var label: String {
    "\(inChannels)->\(outChannels) @ \(size)x\(size)" + (stride == 1 ? "" : " /\(stride)")
      + (kernel == 3 ? "" : " k\(kernel)")
  }

  /// What a valid layer looks like.
  static var expectation: String {
    "CIN-COUT@SIZE[/STRIDE][:KERNEL], e.g. 64-64@8, 64-128@16/2 or 512-2048@1:1"
  }
}
