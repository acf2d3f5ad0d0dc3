/// Which fan a Kaiming initialiser scales by (PyTorch's `mode` argument).
public enum FanMode: String, Sendable, CaseIterable {
  /// Inputs per output unit: `shape[1] * receptive field`. Preserves forward-pass variance.
  case fanIn
  /// Outputs per input unit: `shape[0] * receptive field`. Preserves backward-pass variance.
  case fanOut
}

extension Tensor {
  /// A tensor of independent normal deviates with the given mean and standard deviation.
  public static func randomNormal(
    _ shape: [Int], mean: Float = 0, standardDeviation: Float = 1, using generator: inout RandomGenerator
  ) -> Tensor {
    let count = shape.reduce(1, *)
    var values = [Float](repeating: 0, count: count)
    for i in 0..<count {
      values[i] = mean + standardDeviation * Float(generator.nextNormal())
    }
    return Tensor(validShape: shape, scalars: values)
  }

  /// A tensor of independent uniform deviates in `[low, high)`.
  public static func randomUniform(
    _ shape: [Int], low: Float = 0, high: Float = 1, using generator: inout RandomGenerator
  ) -> Tensor {
    let count = shape.reduce(1, *)
    var values = [Float](repeating: 0, count: count)
    for i in 0..<count {
      values[i] = low + (high - low) * generator.nextUnitFloat()
    }
    return Tensor(validShape: shape, scalars: values)
  }

  /// The fan-in and fan-out of a weight of `shape`, as PyTorch computes them: for `[out, in, k...]`,
  /// `fanIn = in * prod(k)` and `fanOut = out * prod(k)`; a rank-1 shape has both equal to its size.
  public static func fans(of shape: [Int]) -> (fanIn: Int, fanOut: Int) {
    guard shape.count >= 2 else {
      let n = shape.first ?? 1
      return (n, n)
    }
    let receptive = shape.dropFirst(2).reduce(1, *)
    return (shape[1] * receptive, shape[0] * receptive)
  }

  /// Kaiming/He normal initialisation (He et al. 2015): normal with standard deviation
  /// `gain / sqrt(fan)`, `gain = sqrt(2)` for ReLU (PyTorch's `kaiming_normal_`).
  public static func kaimingNormal(
    _ shape: [Int], mode: FanMode = .fanIn, gain: Float = Float(2).squareRoot(), using generator: inout RandomGenerator
  ) -> Tensor {
    let fans = fans(of: shape)
    let fan = Float(max(1, mode == .fanIn ? fans.fanIn : fans.fanOut))
    return randomNormal(shape, standardDeviation: gain / fan.squareRoot(), using: &generator)
  }

  /// Kaiming/He uniform initialisation: uniform in `±gain * sqrt(3 / fan)` (PyTorch's `kaiming_uniform_`).
  public static func kaimingUniform(
    _ shape: [Int], mode: FanMode = .fanIn, gain: Float = Float(2).squareRoot(), using generator: inout RandomGenerator
  ) -> Tensor {
    let fans = fans(of: shape)
    let fan = Float(max(1, mode == .fanIn ? fans.fanIn : fans.fanOut))
    let bound = gain * (3 / fan).squareRoot()
    return randomUniform(shape, low: -bound, high: bound, using: &generator)
  }

  /// PyTorch's default weight initialisation for `Linear` and `Conv2d`: `kaiming_uniform_` with
  /// `a = sqrt(5)`, i.e. uniform in `±1 / sqrt(fanIn)`.
  public static func pytorchDefaultWeight(_ shape: [Int], using generator: inout RandomGenerator) -> Tensor {
    kaimingUniform(shape, mode: .fanIn, gain: (1.0 / 3.0 as Float).squareRoot(), using: &generator)
  }

  /// PyTorch's default bias initialisation for `Linear` and `Conv2d`: uniform in `±1 / sqrt(fanIn)`
  /// of the layer's weight (`fanIn` taken from `weightShape`).
  public static func pytorchDefaultBias(
    count: Int, weightShape: [Int], using generator: inout RandomGenerator
  ) -> Tensor {
    let bound = 1 / Float(max(1, fans(of: weightShape).fanIn)).squareRoot()
    return randomUniform([count], low: -bound, high: bound, using: &generator)
  }
}
