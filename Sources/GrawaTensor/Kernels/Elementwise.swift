/// Vectorised elementwise kernels on raw buffers (SIMD16 bodies with scalar tails).
///
/// All functions take element counts and pointers; inputs and outputs may alias exactly
/// (`out == a`), never partially.
public enum ElementwiseKernels {
  @usableFromInline typealias V = SIMD16<Float>
  @usableFromInline static let width = 16

  /// `out[i] = a[i] + b[i]`.
  @inlinable
  public static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + width <= count {
      let x = UnsafeRawPointer(a + i).loadUnaligned(as: V.self)
      let y = UnsafeRawPointer(b + i).loadUnaligned(as: V.self)
      UnsafeMutableRawPointer(out + i).storeBytes(of: x + y, as: V.self)
      i += width
    }
    while i < count {
      out[i] = a[i] + b[i]
      i += 1
    }
  }

  /// `out[i] = a[i] - b[i]`.
  @inlinable
  public static func subtract(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + width <= count {
      let x = UnsafeRawPointer(a + i).loadUnaligned(as: V.self)
      let y = UnsafeRawPointer(b + i).loadUnaligned(as: V.self)
      UnsafeMutableRawPointer(out + i).storeBytes(of: x - y, as: V.self)
      i += width
    }
    while i < count {
      out[i] = a[i] - b[i]
      i += 1
    }
  }

  /// `out[i] = a[i] * b[i]`.
  @inlinable
  public static func multiply(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + width <= count {
      let x = UnsafeRawPointer(a + i).loadUnaligned(as: V.self)
      let y = UnsafeRawPointer(b + i).loadUnaligned(as: V.self)
      UnsafeMutableRawPointer(out + i).storeBytes(of: x * y, as: V.self)
      i += width
    }
    while i < count {
      out[i] = a[i] * b[i]
      i += 1
    }
  }

  /// `out[i] = a[i] * scale`.
  @inlinable
  public static func scale(_ a: UnsafePointer<Float>, by scale: Float, _ out: UnsafeMutablePointer<Float>, count: Int) {
    let s = V(repeating: scale)
    var i = 0
    while i + width <= count {
      let x = UnsafeRawPointer(a + i).loadUnaligned(as: V.self)
      UnsafeMutableRawPointer(out + i).storeBytes(of: x * s, as: V.self)
      i += width
    }
    while i < count {
      out[i] = a[i] * scale
      i += 1
    }
  }

  /// `out[i] = a[i] + value`.
  @inlinable
  public static func addScalar(_ a: UnsafePointer<Float>, _ value: Float, _ out: UnsafeMutablePointer<Float>, count: Int) {
    let s = V(repeating: value)
    var i = 0
    while i + width <= count {
      let x = UnsafeRawPointer(a + i).loadUnaligned(as: V.self)
      UnsafeMutableRawPointer(out + i).storeBytes(of: x + s, as: V.self)
      i += width
    }
    while i < count {
      out[i] = a[i] + value
      i += 1
    }
  }

  /// `y[i] += alpha * x[i]` (BLAS axpy).
  @inlinable
  public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    let s = V(repeating: alpha)
    var i = 0
    while i + width <= count {
      let xv = UnsafeRawPointer(x + i).loadUnaligned(as: V.self)
      var yv = UnsafeRawPointer(y + i).loadUnaligned(as: V.self)
      yv.addProduct(s, xv)
      UnsafeMutableRawPointer(y + i).storeBytes(of: yv, as: V.self)
      i += width
    }
    while i < count {
      y[i] = y[i].addingProduct(alpha, x[i])
      i += 1
    }
  }

  /// `out[i] = max(a[i], 0)`.
  @inlinable
  public static func relu(_ a: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int) {
    let zero = V(repeating: 0)
    var i = 0
    while i + width <= count {
      let x = UnsafeRawPointer(a + i).loadUnaligned(as: V.self)
      UnsafeMutableRawPointer(out + i).storeBytes(of: x.replacing(with: zero, where: x .< zero), as: V.self)
      i += width
    }
    while i < count {
      out[i] = a[i] > 0 ? a[i] : 0
      i += 1
    }
  }

  /// `out[i] = input[i] > 0 ? gradient[i] : 0` (the ReLU backward rule; 0 at the kink, as PyTorch).
  @inlinable
  public static func reluBackward(
    input: UnsafePointer<Float>, gradient: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, count: Int
  ) {
    let zero = V(repeating: 0)
    var i = 0
    while i + width <= count {
      let x = UnsafeRawPointer(input + i).loadUnaligned(as: V.self)
      let g = UnsafeRawPointer(gradient + i).loadUnaligned(as: V.self)
      UnsafeMutableRawPointer(out + i).storeBytes(of: g.replacing(with: zero, where: x .<= zero), as: V.self)
      i += width
    }
    while i < count {
      out[i] = input[i] > 0 ? gradient[i] : 0
      i += 1
    }
  }

  /// The sum of `count` elements: Float lanes flushed into a Double total every 4096 elements.
  ///
  /// The accumulation order is fixed, so the result is deterministic.
  @inlinable
  public static func sum(_ a: UnsafePointer<Float>, count: Int) -> Float {
    var total: Double = 0
    var i = 0
    while i < count {
      let end = min(count, i + 4096)
      var acc0 = V(repeating: 0)
      var acc1 = V(repeating: 0)
      while i + 2 * width <= end {
        acc0 += UnsafeRawPointer(a + i).loadUnaligned(as: V.self)
        acc1 += UnsafeRawPointer(a + i + width).loadUnaligned(as: V.self)
        i += 2 * width
      }
      while i < end {
        total += Double(a[i])
        i += 1
      }
      let lanes = acc0 + acc1
      for lane in 0..<width { total += Double(lanes[lane]) }
    }
    return Float(total)
  }

  /// The sum of squares of `count` elements, in Double (used for gradient norms).
  @inlinable
  public static func sumOfSquares(_ a: UnsafePointer<Float>, count: Int) -> Double {
    var acc0 = V(repeating: 0)
    var acc1 = V(repeating: 0)
    var total: Double = 0
    var i = 0
    // Flush the Float lanes into the Double total every 4096 elements to bound rounding error.
    while i < count {
      let end = min(count, i + 4096)
      while i + 2 * width <= end {
        let x = UnsafeRawPointer(a + i).loadUnaligned(as: V.self)
        let y = UnsafeRawPointer(a + i + width).loadUnaligned(as: V.self)
        acc0.addProduct(x, x)
        acc1.addProduct(y, y)
        i += 2 * width
      }
      while i < end {
        total += Double(a[i]) * Double(a[i])
        i += 1
      }
      let lanes = acc0 + acc1
      for lane in 0..<width { total += Double(lanes[lane]) }
      acc0 = V(repeating: 0)
      acc1 = V(repeating: 0)
    }
    return total
  }
}
