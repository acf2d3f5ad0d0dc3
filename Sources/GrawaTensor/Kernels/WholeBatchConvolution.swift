// The interface of the convolution paths that run a whole batch themselves, in place of the
// patch-matrix plan's groups and slots.

/// A convolution path that computes the whole batch's output and gradients itself (see
/// ``Convolution/wholeBatchPath(_:)``); conforming types are built for one geometry.
protocol WholeBatchConvolution {
  /// `y = conv(x, w) + b` for the whole batch into `output` (`[N, Cout, OH, OW]`, every element
  /// written).
  func forward(
    input x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    output y: UnsafeMutablePointer<Float>, variant: KernelVariant)

  /// The gradients requested by `needs`, given the output gradient `dy` (`[N, Cout, OH, OW]`).
  func backward(
    input x: UnsafePointer<Float>, inputCount: Int, weight: UnsafePointer<Float>,
    outputGradient dy: UnsafePointer<Float>, needs: Convolution.Needs, variant: KernelVariant
  ) -> Convolution.Gradients
}
