// Timing of one convolution layer's training step, for the command-line benchmark.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Measures how long ``Tensor/conv2d(weight:bias:stride:padding:)`` takes for a training step:
/// the forward pass and the backward pass producing all three gradients (input, weight, bias).
public enum ConvBenchmark {
  /// The layer and the run settings of a measurement.
  public struct Configuration: Sendable, Equatable {
    /// Images per batch.
    public var batch: Int
    /// Input channels.
    public var inChannels: Int
    /// Output channels.
    public var outChannels: Int
    /// Input rows.
    public var height: Int
    /// Input columns.
    public var width: Int
    /// Side of the square kernel.
    public var kernelSize: Int
    /// Convolution stride.
    public var stride: Int
    /// Zero padding on each side.
    public var padding: Int
    /// Compute threads (``ComputeThreads/withLimit(_:_:)``).
    public var threads: Int
    /// Untimed steps before measuring.
    public var warmup: Int
    /// Timed steps.
    public var repetitions: Int

    /// A configuration; `warmup` and `repetitions` default to 2 and 7.
    public init(
      batch: Int, inChannels: Int, outChannels: Int, height: Int, width: Int, kernelSize: Int,
      stride: Int = 1, padding: Int = 0, threads: Int, warmup: Int = 2, repetitions: Int = 7
    ) {
      self.batch = batch
      self.inChannels = inChannels
      self.outChannels = outChannels
      self.height = height
      self.width = width
      self.kernelSize = kernelSize
      self.stride = stride
      self.padding = padding
      self.threads = threads
      self.warmup = warmup
      self.repetitions = repetitions
    }

    /// Floating-point operations of one training step: three products (forward, input gradient,
    /// weight gradient) of `2 * N * Cout * Cin` times the (output pixel, kernel tap) pairs whose
    /// tap falls inside the image, `OH * OW * KH * KW` less the taps on the padding (as
    /// ``MultiplyAddCounter`` counts them).
    public var flopsPerStep: Double {
      let geometry = ConvolutionGeometry(
        batch: batch, inChannels: inChannels, height: height, width: width,
        outChannels: outChannels, kernelHeight: kernelSize, kernelWidth: kernelSize,
        stride: stride, padding: padding)
      return 3 * 2 * Double(batch * outChannels * inChannels * geometry.insideTaps)
    }
  }

  /// Timings in milliseconds per training step.
  public struct Result: Sendable, Equatable {
    /// What was measured.
    public var configuration: Configuration
    /// Median of the timed forward + backward steps.
    public var medianMilliseconds: Double
    /// Fastest timed forward + backward step.
    public var bestMilliseconds: Double
    /// Median of the forward passes alone (part of the steps above).
    public var forwardMedianMilliseconds: Double
    /// Median CPU time of the whole process per step, over all its threads. On a machine shared
    /// with other work this is steadier than wall time; with `threads` busy threads it is about
    /// `threads` times the wall time when nothing else runs.
    public var processCPUMedianMilliseconds: Double
    /// Throughput of the fastest step, `flopsPerStep / best`, in GFLOP/s.
    public var bestGigaflops: Double { configuration.flopsPerStep / (bestMilliseconds * 1e6) }
  }

  /// Times `configuration.repetitions` training steps of a convolution layer (with bias) on
  /// pseudo-random data, after `configuration.warmup` untimed ones.
  /// - Throws: ``TensorError`` when the configuration is not a valid convolution.
  public static func measure(_ configuration: Configuration) throws -> Result {
    let c = configuration
    var state: UInt64 = 0x2545_F491_4F6C_DD1D
    func values(_ count: Int) -> [Float] {
      (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(Int(truncatingIfNeeded: state >> 40) - (1 << 23)) / Float(1 << 23)
      }
    }
    let xShape = [c.batch, c.inChannels, c.height, c.width]
    let wShape = [c.outChannels, c.inChannels, c.kernelSize, c.kernelSize]
    let input = try Tensor(shape: xShape, scalars: values(xShape.reduce(1, *))).requiringGradient()
    let weight = try Tensor(shape: wShape, scalars: values(wShape.reduce(1, *))).requiringGradient()
    let bias = Tensor(values(c.outChannels)).requiringGradient()
    let outHeight = (c.height + 2 * c.padding - c.kernelSize) / c.stride + 1
    let outWidth = (c.width + 2 * c.padding - c.kernelSize) / c.stride + 1
    let yShape = [c.batch, c.outChannels, max(0, outHeight), max(0, outWidth)]
    let seed = try Tensor(shape: yShape, scalars: values(yShape.reduce(1, *)))

    let clock = ContinuousClock()
    var steps: [Double] = []
    var forwards: [Double] = []
    var cpuTimes: [Double] = []
    try ComputeThreads.withLimit(c.threads) {
      for repetition in 0..<(c.warmup + max(1, c.repetitions)) {
        input.zeroGradient()
        weight.zeroGradient()
        bias.zeroGradient()
        let cpuStart = processCPUMilliseconds()
        let start = clock.now
        let output = try input.conv2d(
          weight: weight, bias: bias, stride: c.stride, padding: c.padding)
        let forwardEnd = clock.now
        try output.backward(seed: seed)
        let end = clock.now
        let cpuEnd = processCPUMilliseconds()
        if repetition >= c.warmup {
          cpuTimes.append(cpuEnd - cpuStart)
          steps.append(milliseconds(end - start))
          forwards.append(milliseconds(forwardEnd - start))
        }
      }
    }
    return Result(
      configuration: c, medianMilliseconds: median(steps), bestMilliseconds: steps.min() ?? 0,
      forwardMedianMilliseconds: median(forwards), processCPUMedianMilliseconds: median(cpuTimes))
  }

  private static func milliseconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1e3 + Double(attoseconds) * 1e-15
  }

  /// CPU time consumed so far by all threads of the process.
  private static func processCPUMilliseconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) * 1e3 + Double(time.tv_nsec) * 1e-6
  }

  private static func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
  }
}
