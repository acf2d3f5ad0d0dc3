import GrawaTensor

/// The coefficients of one SGD update, fixed for a whole step.
struct SGDCoefficients {
  /// lr.
  var learningRate: Float
  /// wd; 0 skips the decay term (as PyTorch does).
  var weightDecay: Float
  /// mu.
  var momentum: Float
  /// 1 - dampening.
  var gradientScale: Float
  /// Whether the step uses the Nesterov form.
  var nesterov: Bool
}

/// Which form of the SGD update a parameter takes this step.
enum SGDUpdateForm {
  /// No momentum: x -= lr * (g + wd * x).
  case plain
  /// The first momentum step of this parameter: buf = g (no dampening, as PyTorch).
  case initialiseBuffer
  /// A later momentum step: buf = mu * buf + (1 - dampening) * g.
  case decayBuffer
}

/// The arithmetic the update bodies need, shared by a SIMD vector of Floats and a single Float so
/// one body serves the vector loop and the scalar tail.
protocol UpdateLanes {
  /// Every lane times `rhs`.
  static func * (lhs: Self, rhs: Float) -> Self
  /// `self + lhs * rhs` per lane, fused (one rounding).
  func addingProduct(_ lhs: Float, _ rhs: Self) -> Self
}

extension Float: UpdateLanes {}
extension SIMD16: UpdateLanes where Scalar == Float {}

/// Vectorised in-place update kernels over raw pointers: one pass over each parameter.
///
/// Every element goes through the same generic body, instantiated for `SIMD16<Float>` on the main
/// run and `Float` on the tail, so an element's result does not depend on its position. The
/// additions with a factor are fused multiply-adds, like PyTorch's `add(_, alpha=)` on CPU.
enum UpdateKernels {
  typealias Wide = SIMD16<Float>

  /// Elements per parallel chunk (a multiple of the SIMD width).
  static let chunkSize = 1 << 15
  /// Parameters smaller than this are updated on the calling thread only.
  static let parallelThreshold = 1 << 17

  /// Calls `body(range)` over `0..<count` in chunks, on up to ``ComputeThreads/current`` threads
  /// for large counts. Each chunk touches only its own elements, so the result never depends on
  /// the thread count.
  static func forEachChunk(count: Int, _ body: (Range<Int>) -> Void) {
    if count < parallelThreshold || ComputeThreads.current <= 1 {
      body(0..<count)
      return
    }
    let chunks = (count + chunkSize - 1) / chunkSize
    parallelFor(chunks) { chunk in
      let start = chunk * chunkSize
      body(start..<min(count, start + chunkSize))
    }
  }

  /// One SGD step over `count` elements (docs/algorithms.md, "The local step", `torch.optim.SGD`):
  /// g = grad + wd * x; buffer per `form`; g = g + mu * buf (Nesterov) or buf; x -= lr * g.
  /// `buffer` may be `nil` only for ``SGDUpdateForm/plain``.
  static func sgd(
    x: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
    buffer: UnsafeMutablePointer<Float>?, count: Int,
    coefficients c: SGDCoefficients, form: SGDUpdateForm
  ) {
    // A plain step never reads the buffer; point it at the parameter so the body stays uniform.
    let buf = buffer ?? x
    forEachChunk(count: count) { range in
      var i = range.lowerBound
      while i + Wide.scalarCount <= range.upperBound {
        var xv = UnsafeRawPointer(x + i).loadUnaligned(as: Wide.self)
        var bv = UnsafeRawPointer(buf + i).loadUnaligned(as: Wide.self)
        let gv = UnsafeRawPointer(gradient + i).loadUnaligned(as: Wide.self)
        sgdBody(&xv, gv, &bv, c, form)
        UnsafeMutableRawPointer(x + i).storeBytes(of: xv, as: Wide.self)
        if form != .plain {
          UnsafeMutableRawPointer(buf + i).storeBytes(of: bv, as: Wide.self)
        }
        i += Wide.scalarCount
      }
      while i < range.upperBound {
        var xv = x[i]
        var bv = buf[i]
        sgdBody(&xv, gradient[i], &bv, c, form)
        x[i] = xv
        if form != .plain {
          buf[i] = bv
        }
        i += 1
      }
    }
  }

  /// The SGD update of one vector of elements.
  @inline(__always)
  static func sgdBody<V: UpdateLanes>(
    _ x: inout V, _ gradient: V, _ buffer: inout V, _ c: SGDCoefficients, _ form: SGDUpdateForm
  ) {
    var g = gradient
    if c.weightDecay != 0 {
      g = g.addingProduct(c.weightDecay, x)
    }
    switch form {
    case .plain:
      break
    case .initialiseBuffer:
      buffer = g
    case .decayBuffer:
      buffer = (buffer * c.momentum).addingProduct(c.gradientScale, g)
    }
    if form != .plain {
      g = c.nesterov ? g.addingProduct(c.momentum, buffer) : buffer
    }
    x = x.addingProduct(-c.learningRate, g)
  }

  /// `saved = x; x = x + grad * scale` in one pass, rounding the product first as Foret et al.'s
  /// reference does (`e = grad * scale; x.add_(e)`).
  static func saveAndPerturb(
    _ x: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, scale: Float,
    saved: UnsafeMutablePointer<Float>, count: Int
  ) {
    forEachChunk(count: count) { range in
      var i = range.lowerBound
      let s = Wide(repeating: scale)
      while i + Wide.scalarCount <= range.upperBound {
        let xv = UnsafeRawPointer(x + i).loadUnaligned(as: Wide.self)
        let gv = UnsafeRawPointer(gradient + i).loadUnaligned(as: Wide.self)
        let e = gv * s
        UnsafeMutableRawPointer(saved + i).storeBytes(of: xv, as: Wide.self)
        UnsafeMutableRawPointer(x + i).storeBytes(of: xv + e, as: Wide.self)
        i += Wide.scalarCount
      }
      while i < range.upperBound {
        let e = gradient[i] * scale
        saved[i] = x[i]
        x[i] = x[i] + e
        i += 1
      }
    }
  }
}
