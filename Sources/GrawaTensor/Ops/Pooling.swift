// Pooling over NCHW batches (max, average, adaptive average, global average) and their gradients.

extension Tensor {
  /// Max pooling with square `kernelSize` windows (PyTorch's `max_pool2d`, `ceil_mode=False`).
  ///
  /// Padding acts as `-inf`, so a padded position is never the maximum. The gradient of each
  /// output flows to the position of its window's maximum; on ties, to the first in scan order
  /// (row by row). A NaN in a window is its maximum, as in PyTorch.
  /// - Parameters:
  ///   - kernelSize: the window's side, `>= 1`.
  ///   - stride: the step between windows, `>= 1`; `nil` means `kernelSize` (PyTorch's default).
  ///   - padding: `-inf` rows and columns on each side, at most `kernelSize / 2`.
  /// - Returns: `[N, C, floor((H + 2p - k) / s) + 1, floor((W + 2p - k) / s) + 1]`.
  /// - Throws: ``TensorError`` when the input is not 4-D or the window does not fit.
  public func maxPool2d(kernelSize: Int, stride: Int? = nil, padding: Int = 0) throws -> Tensor {
    let g = try Pooling.validate("maxPool2d", shape, kernelSize, stride ?? kernelSize, padding)
    let outShape = [shape[0], shape[1], g.outHeight, g.outWidth]
    // The forward kernel writes every output and every index.
    var output: [Float] = []
    let argmax = [Int32](unsafeUninitializedCapacity: g.planes * g.outPlane) {
      indices, initialized in
      output = scalars.withUnsafeBufferPointer { x in
        makeScalars(count: g.planes * g.outPlane) { y in
          PoolingKernels.maxPoolForward(g, input: x.start, output: y, argmax: indices.start)
        }
      }
      initialized = g.planes * g.outPlane
    }
    var result = Tensor(validShape: outShape, scalars: output)
    let inShape = shape
    Tensor.record(&result, operation: "maxPool2d", inputs: [self]) { gradient in
      let dx = gradient.scalars.withUnsafeBufferPointer { dy in
        argmax.withUnsafeBufferPointer { indices in
          makeScalars(count: g.planes * g.inPlane) { dx in
            PoolingKernels.maxPoolBackward(
              g, outputGradient: dy.start, argmax: indices.start, inputGradient: dx)
          }
        }
      }
      return [Tensor(validShape: inShape, scalars: dx)]
    }
    return result
  }

  /// Average pooling with square `kernelSize` windows (PyTorch's `avg_pool2d` with its defaults
  /// `ceil_mode=False`, `count_include_pad=True`): zero padding counts, every window divides by
  /// `kernelSize * kernelSize`.
  /// - Parameters:
  ///   - kernelSize: the window's side, `>= 1`.
  ///   - stride: the step between windows, `>= 1`; `nil` means `kernelSize`.
  ///   - padding: zero rows and columns on each side, at most `kernelSize / 2`.
  /// - Returns: `[N, C, floor((H + 2p - k) / s) + 1, floor((W + 2p - k) / s) + 1]`.
  /// - Throws: ``TensorError`` when the input is not 4-D or the window does not fit.
  public func avgPool2d(kernelSize: Int, stride: Int? = nil, padding: Int = 0) throws -> Tensor {
    let g = try Pooling.validate("avgPool2d", shape, kernelSize, stride ?? kernelSize, padding)
    let outShape = [shape[0], shape[1], g.outHeight, g.outWidth]
    let output = scalars.withUnsafeBufferPointer { x in
      makeScalars(count: g.planes * g.outPlane) { y in
        PoolingKernels.avgPoolForward(g, input: x.start, output: y)
      }
    }
    var result = Tensor(validShape: outShape, scalars: output)
    let inShape = shape
    Tensor.record(&result, operation: "avgPool2d", inputs: [self]) { gradient in
      let dx = gradient.scalars.withUnsafeBufferPointer { dy in
        makeScalars(count: g.planes * g.inPlane) { dx in
          PoolingKernels.avgPoolBackward(g, outputGradient: dy.start, inputGradient: dx)
        }
      }
      return [Tensor(validShape: inShape, scalars: dx)]
    }
    return result
  }

  /// Adaptive average pooling to a fixed `outputSize` (PyTorch's `adaptive_avg_pool2d`).
  ///
  /// Output row `i` averages input rows `floor(i * H / OH) ..< ceil((i + 1) * H / OH)`, and
  /// likewise for columns; bins may overlap when the sizes do not divide.
  /// - Parameter outputSize: `(OH, OW)`, both `>= 1`.
  /// - Returns: `[N, C, OH, OW]`.
  /// - Throws: ``TensorError`` when the input is not 4-D with non-empty planes, or a size is < 1.
  public func adaptiveAvgPool2d(outputSize: (Int, Int)) throws -> Tensor {
    let (oh, ow) = outputSize
    guard rank == 4, shape[2] > 0, shape[3] > 0 else {
      throw TensorError(
        "adaptiveAvgPool2d",
        "input must be [N, C, H, W] with H, W > 0, got shape \(describe(shape))")
    }
    guard oh >= 1, ow >= 1 else {
      throw TensorError("adaptiveAvgPool2d", "output size must be at least 1x1, got \(oh)x\(ow)")
    }
    let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
    let output = scalars.withUnsafeBufferPointer { x in
      makeScalars(count: planes * oh * ow) { y in
        PoolingKernels.adaptiveAvgForward(
          planes: planes, height: h, width: w, outHeight: oh, outWidth: ow, input: x.start,
          output: y)
      }
    }
    var result = Tensor(validShape: [shape[0], shape[1], oh, ow], scalars: output)
    let inShape = shape
    Tensor.record(&result, operation: "adaptiveAvgPool2d", inputs: [self]) { gradient in
      let dx = gradient.scalars.withUnsafeBufferPointer { dy in
        makeScalars(count: planes * h * w) { dx in
          PoolingKernels.adaptiveAvgBackward(
            planes: planes, height: h, width: w, outHeight: oh, outWidth: ow,
            outputGradient: dy.start, inputGradient: dx)
        }
      }
      return [Tensor(validShape: inShape, scalars: dx)]
    }
    return result
  }

  /// The mean of every channel plane: `[N, C, H, W]` to `[N, C]` (not `[N, C, 1, 1]`), ready for
  /// a linear layer. Equals `adaptiveAvgPool2d(outputSize: (1, 1))` flattened.
  /// - Throws: ``TensorError`` when the input is not 4-D with non-empty planes.
  public func globalAvgPool2d() throws -> Tensor {
    guard rank == 4, shape[2] > 0, shape[3] > 0 else {
      throw TensorError(
        "globalAvgPool2d", "input must be [N, C, H, W] with H, W > 0, got shape \(describe(shape))")
    }
    let planes = shape[0] * shape[1]
    let size = shape[2] * shape[3]
    let output = scalars.withUnsafeBufferPointer { x in
      makeScalars(count: planes) { y in
        PoolingKernels.planeMeans(planes: planes, size: size, input: x.start, output: y)
      }
    }
    var result = Tensor(validShape: [shape[0], shape[1]], scalars: output)
    let inShape = shape
    Tensor.record(&result, operation: "globalAvgPool2d", inputs: [self]) { gradient in
      let dx = gradient.scalars.withUnsafeBufferPointer { dy in
        makeScalars(count: planes * size) { dx in
          PoolingKernels.planeMeansBackward(
            planes: planes, size: size, outputGradient: dy.start, inputGradient: dx)
        }
      }
      return [Tensor(validShape: inShape, scalars: dx)]
    }
    return result
  }
}

/// Shape checks shared by the windowed pooling operations.
enum Pooling {
  /// Validates a square pooling window over `shape` and returns its geometry.
  static func validate(
    _ op: String, _ shape: [Int], _ kernelSize: Int, _ stride: Int, _ padding: Int
  ) throws -> PoolingGeometry {
    guard shape.count == 4 else {
      throw TensorError(op, "input must be [N, C, H, W], got shape \(describe(shape))")
    }
    guard kernelSize >= 1, stride >= 1 else {
      throw TensorError(
        op, "kernel size and stride must be at least 1, got \(kernelSize) and \(stride)")
    }
    guard padding >= 0, padding <= kernelSize / 2 else {
      throw TensorError(
        op, "padding must be between 0 and half the kernel size \(kernelSize), got \(padding)")
    }
    let paddedHeight = shape[2] + 2 * padding
    let paddedWidth = shape[3] + 2 * padding
    guard kernelSize <= paddedHeight, kernelSize <= paddedWidth else {
      throw TensorError(
        op,
        "kernel \(kernelSize)x\(kernelSize) is larger than the padded input "
          + "\(paddedHeight)x\(paddedWidth) (input \(describe(shape)), padding \(padding))")
    }
    return PoolingGeometry(
      planes: shape[0] * shape[1], height: shape[2], width: shape[3], kernelSize: kernelSize,
      stride: stride, padding: padding)
  }
}
