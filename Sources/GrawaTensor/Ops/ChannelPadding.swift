// Shape operations of ResNet option-A shortcuts and PyramidNet: spatial subsampling and
// zero channels. Both only move data, so their gradients move it back.

extension Tensor {
  /// Every `stride`-th row and column of an `[N, C, H, W]` tensor, starting at 0: PyTorch's
  /// `x[:, :, ::s, ::s]`, of shape `[N, C, ceil(H / s), ceil(W / s)]`.
  ///
  /// The gradient is the output gradient scattered back to the kept positions, zero elsewhere.
  /// - Parameter stride: the step, `>= 1` (1 returns an equal tensor).
  /// - Throws: ``TensorError`` when the input is not 4-D or `stride < 1`.
  public func subsampled(stride: Int) throws -> Tensor {
    guard rank == 4 else {
      throw TensorError("subsampled", "input must be [N, C, H, W], got shape \(describe(shape))")
    }
    guard stride >= 1 else {
      throw TensorError("subsampled", "stride must be at least 1, got \(stride)")
    }
    let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
    let oh = (h + stride - 1) / stride
    let ow = (w + stride - 1) / stride
    let output = scalars.withUnsafeBufferPointer { x in
      makeScalars(count: planes * oh * ow) { y in
        for plane in 0..<planes {
          for i in 0..<oh {
            let from = x.start + plane * h * w + i * stride * w
            let to = y + (plane * oh + i) * ow
            for j in 0..<ow { to[j] = from[j * stride] }
          }
        }
      }
    }
    var result = Tensor(validShape: [shape[0], shape[1], oh, ow], scalars: output)
    let inShape = shape
    Tensor.record(&result, operation: "subsampled", inputs: [self]) { gradient in
      var dx = [Float](repeating: 0, count: planes * h * w)
      gradient.scalars.withUnsafeBufferPointer { dy in
        dx.withUnsafeMutableBufferPointer { dx in
          for plane in 0..<planes {
            for i in 0..<oh {
              let from = dy.start + (plane * oh + i) * ow
              let to = dx.start + plane * h * w + i * stride * w
              for j in 0..<ow { to[j * stride] = from[j] }
            }
          }
        }
      }
      return [Tensor(validShape: inShape, scalars: dx)]
    }
    return result
  }

  /// Adds `before` zero channels in front of and `after` zero channels behind the channels of an
  /// `[N, C, H, W]` tensor (PyTorch's `F.pad(x, (0, 0, 0, 0, before, after))`), giving
  /// `[N, before + C + after, H, W]`.
  ///
  /// The gradient is the output gradient's middle `C` channels.
  /// - Throws: ``TensorError`` when the input is not 4-D or a count is negative.
  public func paddingChannels(before: Int, after: Int) throws -> Tensor {
    guard rank == 4 else {
      throw TensorError(
        "paddingChannels", "input must be [N, C, H, W], got shape \(describe(shape))")
    }
    guard before >= 0, after >= 0 else {
      throw TensorError(
        "paddingChannels", "channel padding must be non-negative, got \(before) and \(after)")
    }
    let (batch, channels, plane) = (shape[0], shape[1], shape[2] * shape[3])
    let wide = before + channels + after
    let block = channels * plane
    let output = scalars.withUnsafeBufferPointer { x in
      makeScalars(count: batch * wide * plane) { y in
        for n in 0..<batch {
          let to = y + n * wide * plane
          to.update(repeating: 0, count: before * plane)
          (to + before * plane).update(from: x.start + n * block, count: block)
          (to + (before + channels) * plane).update(repeating: 0, count: after * plane)
        }
      }
    }
    var result = Tensor(validShape: [batch, wide, shape[2], shape[3]], scalars: output)
    let inShape = shape
    Tensor.record(&result, operation: "paddingChannels", inputs: [self]) { gradient in
      let dx = gradient.scalars.withUnsafeBufferPointer { dy in
        makeScalars(count: batch * block) { dx in
          for n in 0..<batch {
            (dx + n * block).update(from: dy.start + (n * wide + before) * plane, count: block)
          }
        }
      }
      return [Tensor(validShape: inShape, scalars: dx)]
    }
    return result
  }
}
