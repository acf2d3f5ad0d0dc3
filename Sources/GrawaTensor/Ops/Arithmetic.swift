// Elementwise arithmetic with broadcasting, and its gradient rules.

extension Tensor {
  private enum BinaryOp {
    case add, subtract, multiply

    var name: String {
      switch self {
      case .add: "add"
      case .subtract: "subtract"
      case .multiply: "multiply"
      }
    }
  }

  /// Applies `op` elementwise with broadcasting; no gradient recording.
  private static func broadcastForward(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) throws -> Tensor {
    guard let outShape = Broadcasting.shape(a.shape, b.shape) else {
      throw TensorError(op.name, "shapes \(describe(a.shape)) and \(describe(b.shape)) do not broadcast")
    }
    let count = outShape.reduce(1, *)
    if a.shape == b.shape {
      let out = a.scalars.withUnsafeBufferPointer { pa in
        b.scalars.withUnsafeBufferPointer { pb in
          makeScalars(count: count) { po in
            parallelChunks(count) { start, end in
              let (x, y, z, n) = (pa.start + start, pb.start + start, po + start, end - start)
              switch op {
              case .add: ElementwiseKernels.add(x, y, z, count: n)
              case .subtract: ElementwiseKernels.subtract(x, y, z, count: n)
              case .multiply: ElementwiseKernels.multiply(x, y, z, count: n)
              }
            }
          }
        }
      }
      return Tensor(validShape: outShape, scalars: out)
    }
    let sa = Broadcasting.strides(of: a.shape, in: outShape)
    let sb = Broadcasting.strides(of: b.shape, in: outShape)
    let out = a.scalars.withUnsafeBufferPointer { pa in
      b.scalars.withUnsafeBufferPointer { pb in
        makeScalars(count: count) { po in
          Broadcasting.forEachRun(outShape: outShape, stridesA: sa, stridesB: sb) { oa, ob, oo, n, ia, ib in
            let x = pa.start + oa
            let y = pb.start + ob
            let z = po + oo
            switch (op, ia, ib) {
            case (.add, 1, 1): ElementwiseKernels.add(x, y, z, count: n)
            case (.add, 1, 0): ElementwiseKernels.addScalar(x, y[0], z, count: n)
            case (.add, 0, 1): ElementwiseKernels.addScalar(y, x[0], z, count: n)
            case (.subtract, 1, 1): ElementwiseKernels.subtract(x, y, z, count: n)
            case (.subtract, 1, 0): ElementwiseKernels.addScalar(x, -y[0], z, count: n)
            case (.multiply, 1, 1): ElementwiseKernels.multiply(x, y, z, count: n)
            case (.multiply, 1, 0): ElementwiseKernels.scale(x, by: y[0], z, count: n)
            case (.multiply, 0, 1): ElementwiseKernels.scale(y, by: x[0], z, count: n)
            default:
              for j in 0..<n {
                let u = x[j * ia]
                let v = y[j * ib]
                switch op {
                case .add: z[j] = u + v
                case .subtract: z[j] = u - v
                case .multiply: z[j] = u * v
                }
              }
            }
          }
        }
      }
    }
    return Tensor(validShape: outShape, scalars: out)
  }

  /// Elementwise `a + b` with broadcasting.
  /// - Throws: ``TensorError`` when the shapes do not broadcast.
  public static func + (a: Tensor, b: Tensor) throws -> Tensor {
    var result = try broadcastForward(.add, a, b)
    let (shapeA, shapeB) = (a.shape, b.shape)
    record(&result, operation: "add", inputs: [a, b]) { g in
      [a.node == nil ? nil : g.reducedToShape(shapeA), b.node == nil ? nil : g.reducedToShape(shapeB)]
    }
    return result
  }

  /// Elementwise `a - b` with broadcasting.
  /// - Throws: ``TensorError`` when the shapes do not broadcast.
  public static func - (a: Tensor, b: Tensor) throws -> Tensor {
    var result = try broadcastForward(.subtract, a, b)
    let (shapeA, shapeB) = (a.shape, b.shape)
    record(&result, operation: "subtract", inputs: [a, b]) { g in
      [a.node == nil ? nil : g.reducedToShape(shapeA), b.node == nil ? nil : g.scaled(by: -1).reducedToShape(shapeB)]
    }
    return result
  }

  /// Elementwise `a * b` with broadcasting (e.g. `[N, C, H, W] * [1, C, 1, 1]`).
  /// - Throws: ``TensorError`` when the shapes do not broadcast.
  public static func * (a: Tensor, b: Tensor) throws -> Tensor {
    var result = try broadcastForward(.multiply, a, b)
    let (va, vb) = (a.detached(), b.detached())
    record(&result, operation: "multiply", inputs: [a, b]) { g in
      // Forward succeeded, so these products broadcast too.
      let ga = a.node == nil ? nil : try? broadcastForward(.multiply, g, vb).reducedToShape(va.shape)
      let gb = b.node == nil ? nil : try? broadcastForward(.multiply, g, va).reducedToShape(vb.shape)
      return [ga, gb]
    }
    return result
  }

  /// `self * factor` elementwise.
  public func scaled(by factor: Float) -> Tensor {
    let n = count
    let out = scalars.withUnsafeBufferPointer { p in
      makeScalars(count: n) { ElementwiseKernels.scale(p.start, by: factor, $0, count: n) }
    }
    var result = Tensor(validShape: shape, scalars: out)
    Tensor.record(&result, operation: "scale", inputs: [self]) { g in [g.scaled(by: factor)] }
    return result
  }

  /// `a * factor` elementwise.
  public static func * (a: Tensor, factor: Float) -> Tensor { a.scaled(by: factor) }

  /// `factor * a` elementwise.
  public static func * (factor: Float, a: Tensor) -> Tensor { a.scaled(by: factor) }

  /// `-a` elementwise.
  public static prefix func - (a: Tensor) -> Tensor { a.scaled(by: -1) }

  /// `self + value` elementwise.
  public func adding(_ value: Float) -> Tensor {
    let n = count
    let out = scalars.withUnsafeBufferPointer { p in
      makeScalars(count: n) { ElementwiseKernels.addScalar(p.start, value, $0, count: n) }
    }
    var result = Tensor(validShape: shape, scalars: out)
    Tensor.record(&result, operation: "addScalar", inputs: [self]) { g in [g] }
    return result
  }

  /// The rectified linear unit, `max(x, 0)`; its gradient at exactly 0 is 0 (as in PyTorch).
  public func relu() -> Tensor {
    let n = count
    let out = scalars.withUnsafeBufferPointer { p in
      makeScalars(count: n) { out in
        parallelChunks(n) { start, end in
          ElementwiseKernels.relu(p.start + start, out + start, count: end - start)
        }
      }
    }
    var result = Tensor(validShape: shape, scalars: out)
    // The output is enough to decide the mask (out > 0 exactly where x > 0), and it is kept alive
    // by the next layer anyway, so the backward closure holds no extra memory.
    let output = result.detached()
    Tensor.record(&result, operation: "relu", inputs: [self]) { g in
      [Tensor.reluGradient(output: output, gradient: g)]
    }
    return result
  }

  /// The gradient of a ReLU's input: `gradient` where `output` (the ReLU's output, or any tensor
  /// positive exactly where its input was) is positive, 0 elsewhere.
  static func reluGradient(output: Tensor, gradient: Tensor) -> Tensor {
    let n = output.count
    let grad = output.scalars.withUnsafeBufferPointer { px in
      gradient.scalars.withUnsafeBufferPointer { pg in
        makeScalars(count: n) { out in
          parallelChunks(n) { start, end in
            ElementwiseKernels.reluBackward(
              input: px.start + start, gradient: pg.start + start, out + start, count: end - start)
          }
        }
      }
    }
    return Tensor(validShape: output.shape, scalars: grad)
  }

  /// Adds `other` into this tensor elementwise (same shape; not recorded for gradients).
  ///
  /// Used to accumulate gradients and by optimizers. Keeps any gradient leaf.
  public mutating func addInPlace(_ other: Tensor) {
    precondition(other.shape == shape, "addInPlace: shape \(describe(other.shape)) differs from \(describe(shape))")
    let n = count
    other.scalars.withUnsafeBufferPointer { src in
      scalars.withUnsafeMutableBufferPointer { dst in
        parallelChunks(n) { start, end in
          ElementwiseKernels.add(dst.start + start, src.start + start, dst.start + start, count: end - start)
        }
      }
    }
  }
}
