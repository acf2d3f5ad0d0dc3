import Dispatch
import GrawaData
import GrawaDistributed
import GrawaNN
import GrawaOptim
import GrawaTensor

/// Times full training steps of a model: forward in training mode, mean cross-entropy, backward,
/// and an SGD step (Nesterov, weight decay), on random inputs of a given shape.
public enum ModelBenchmark {
  /// The outcome of one measurement.
  public struct Result: Sendable, Codable, Equatable {
    /// The model's command-line name.
    public var model: String
    /// Images per step.
    public var batch: Int
    /// `[channels, height, width]` of each image.
    public var inputShape: [Int]
    /// Kernel threads used.
    public var threads: Int
    /// Median milliseconds per training step.
    public var medianMilliseconds: Double
    /// Fastest step, in milliseconds.
    public var bestMilliseconds: Double
    /// Median milliseconds of the forward pass alone (inside the same steps).
    public var forwardMedianMilliseconds: Double
    /// `batch / median seconds`.
    public var imagesPerSecond: Double
    /// Median milliseconds of the SGD update.
    public var optimizerMedianMilliseconds: Double
    /// Time per operation over all timed steps (when profiling was asked for).
    public var profile: [OpProfiler.Entry]?
    /// Multiply-adds of the convolution and matrix products of one training step (see
    /// ``MultiplyAddCounter``), counted in the first untimed step.
    public var multiplyAddsPerStep: Int
    /// Floating-point operations per second of those products at the median step, in GFLOP/s
    /// (2 per multiply-add).
    public var gflops: Double { 2 * Double(multiplyAddsPerStep) / (medianMilliseconds * 1e6) }
  }

  /// Measures `steps` training steps of `model` after `warmup` untimed ones (at least one, in
  /// which the products' multiply-adds are counted).
  /// - Throws: a model error when the input shape does not fit the model.
  public static func measure(
    model kind: ModelKind, batch: Int, channels: Int, size: Int, classes: Int = 10,
    threads: Int, warmup: Int = 2, steps: Int = 5, seed: UInt64 = 0, profile: Bool = false
  ) throws -> Result {
    try ComputeThreads.withLimit(threads) {
      var generator = RandomGenerator(seed: seed)
      let model = try kind.make(inputChannels: channels, inputSize: size, classes: classes, generator: &generator)
      let optimizer = try SGD(parameters: model.parameters, configuration: .paper)
      let images = Tensor.randomNormal([batch, channels, size, size], using: &generator)
      let labels = (0..<batch).map { _ in generator.nextInt(below: classes) }
      let context = ForwardContext(mode: .training, random: RandomGenerator(seed: seed, stream: 1))
      var total: [Double] = []
      var forward: [Double] = []
      var update: [Double] = []
      func trainingStep() throws -> (UInt64, UInt64, UInt64, UInt64) {
        OpProfiler.mark()
        let start = DispatchTime.now().uptimeNanoseconds
        let logits = try model(images, context)
        let afterForward = DispatchTime.now().uptimeNanoseconds
        try logits.crossEntropy(labels: labels).backward()
        let afterBackward = DispatchTime.now().uptimeNanoseconds
        try optimizer.step()
        optimizer.zeroGradients()
        return (start, afterForward, afterBackward, DispatchTime.now().uptimeNanoseconds)
      }
      OpProfiler.reset()
      var multiplyAdds = 0
      for index in 0..<(max(1, warmup) + steps) {
        let timed = index >= max(1, warmup)
        if index == 0 {
          multiplyAdds = try MultiplyAddCounter.counting { try trainingStep() }.multiplyAdds
          continue
        }
        let (start, afterForward, afterBackward, end) =
          try (timed && profile) ? OpProfiler.profiling { try trainingStep() } : trainingStep()
        if timed {
          total.append(Double(end - start) / 1e6)
          forward.append(Double(afterForward - start) / 1e6)
          update.append(Double(end - afterBackward) / 1e6)
        }
      }
      let median = total.sorted()[total.count / 2]
      return Result(
        model: kind.rawValue, batch: batch, inputShape: [channels, size, size], threads: threads,
        medianMilliseconds: median, bestMilliseconds: total.min() ?? median,
        forwardMedianMilliseconds: forward.sorted()[forward.count / 2],
        imagesPerSecond: Double(batch) / (median / 1000),
        optimizerMedianMilliseconds: update.sorted()[update.count / 2],
        profile: profile ? OpProfiler.entries : nil, multiplyAddsPerStep: multiplyAdds)
    }
  }
}
