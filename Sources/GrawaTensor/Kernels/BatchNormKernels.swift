// Per-channel kernels of 2-D batch normalisation over NCHW tensors.
//
// Channel `c` of an `[N, C, H, W]` tensor is `N` contiguous planes of `H * W` floats, `C * H * W`
// apart. Reductions run plane by plane in order, with Float SIMD lanes flushed into a Double total
// at least every 4096 elements, so they are accurate and deterministic. Channels are independent
// and are spread over threads when the tensor is large; each channel is reduced by one thread in
// the same order whatever the thread count.

/// The layout of an NCHW tensor seen as channels of `batch` planes.
struct ChannelLayout {
  var batch: Int
  var channels: Int
  var plane: Int

  /// Elements per channel, `N * H * W`.
  var perChannel: Int { batch * plane }

  /// The first element of plane `n` of channel `c`.
  @inline(__always)
  func offset(_ n: Int, _ c: Int) -> Int { (n * channels + c) * plane }
}

/// Raw-pointer kernels of batch normalisation; see
/// ``Tensor/batchNorm2d(gamma:beta:statistics:mode:)``.
enum BatchNormKernels {
  typealias V = SIMD16<Float>

  /// Runs `body(channel)` for every channel, on several threads when the tensor is large.
  @inline(__always)
  static func forEachChannel(_ layout: ChannelLayout, _ body: (Int) -> Void) {
    let threads = layout.channels * layout.perChannel >= 1 << 18 ? ComputeThreads.current : 1
    parallelFor(layout.channels, threads: threads, body)
  }

  /// `(sum_i (x_i - shift), sum_i (x_i - shift)^2)` over `count` contiguous elements, in Double.
  @inline(__always)
  static func shiftedMoments(_ x: UnsafePointer<Float>, count: Int, shift: Float) -> (
    Double, Double
  ) {
    let s = V(repeating: shift)
    var sum: Double = 0
    var squares: Double = 0
    var i = 0
    while i < count {
      let end = min(count, i + 4096)
      var sum0 = V()
      var sum1 = V()
      var sq0 = V()
      var sq1 = V()
      while i + 32 <= end {
        let a = UnsafeRawPointer(x + i).loadUnaligned(as: V.self) - s
        let b = UnsafeRawPointer(x + i + 16).loadUnaligned(as: V.self) - s
        sum0 += a
        sum1 += b
        sq0.addProduct(a, a)
        sq1.addProduct(b, b)
        i += 32
      }
      while i < end {
        let d = Double(x[i] - shift)
        sum += d
        squares += d * d
        i += 1
      }
      let sums = sum0 + sum1
      let sqs = sq0 + sq1
      for lane in 0..<16 {
        sum += Double(sums[lane])
        squares += Double(sqs[lane])
      }
    }
    return (sum, squares)
  }

  /// Per-channel mean and biased variance (divided by `N * H * W`) into `mean` and `variance`.
  ///
  /// Two passes: the mean, then moments about the mean rounded to Float (corrected exactly for
  /// that rounding), which avoids the cancellation of `E[x^2] - E[x]^2`.
  static func statistics(
    _ layout: ChannelLayout, input: UnsafePointer<Float>,
    mean: UnsafeMutablePointer<Double>, variance: UnsafeMutablePointer<Double>
  ) {
    let count = Double(layout.perChannel)
    forEachChannel(layout) { c in
      var total: Double = 0
      for n in 0..<layout.batch {
        total += shiftedMoments(input + layout.offset(n, c), count: layout.plane, shift: 0).0
      }
      let center = Float(total / count)
      var sum: Double = 0
      var squares: Double = 0
      for n in 0..<layout.batch {
        let (s, q) = shiftedMoments(input + layout.offset(n, c), count: layout.plane, shift: center)
        sum += s
        squares += q
      }
      let offset = sum / count
      mean[c] = Double(center) + offset
      variance[c] = max(0, squares / count - offset * offset)
    }
  }

  /// `y = x * scale[c] + shift[c]` for every element of channel `c`.
  static func affine(
    _ layout: ChannelLayout, input: UnsafePointer<Float>, scale: UnsafePointer<Float>,
    shift: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
  ) {
    forEachChannel(layout) { c in
      let a = V(repeating: scale[c])
      let b = V(repeating: shift[c])
      for n in 0..<layout.batch {
        let x = input + layout.offset(n, c)
        let y = output + layout.offset(n, c)
        var i = 0
        while i + 16 <= layout.plane {
          let v = UnsafeRawPointer(x + i).loadUnaligned(as: V.self)
          UnsafeMutableRawPointer(y + i).storeBytes(of: b.addingProduct(v, a), as: V.self)
          i += 16
        }
        while i < layout.plane {
          y[i] = shift[c].addingProduct(x[i], scale[c])
          i += 1
        }
      }
    }
  }

  /// Per-channel `sum dy` and `sum (x - mean[c]) * dy`, in Double.
  static func gradientSums(
    _ layout: ChannelLayout, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
    mean: UnsafePointer<Float>, sumGradient: UnsafeMutablePointer<Double>,
    sumCenteredProduct: UnsafeMutablePointer<Double>
  ) {
    forEachChannel(layout) { c in
      let m = V(repeating: mean[c])
      var sum: Double = 0
      var dot: Double = 0
      for n in 0..<layout.batch {
        let x = input + layout.offset(n, c)
        let dy = outputGradient + layout.offset(n, c)
        var i = 0
        while i < layout.plane {
          let end = min(layout.plane, i + 4096)
          var s0 = V()
          var s1 = V()
          var d0 = V()
          var d1 = V()
          while i + 32 <= end {
            let g0 = UnsafeRawPointer(dy + i).loadUnaligned(as: V.self)
            let g1 = UnsafeRawPointer(dy + i + 16).loadUnaligned(as: V.self)
            s0 += g0
            s1 += g1
            d0.addProduct(UnsafeRawPointer(x + i).loadUnaligned(as: V.self) - m, g0)
            d1.addProduct(UnsafeRawPointer(x + i + 16).loadUnaligned(as: V.self) - m, g1)
            i += 32
          }
          while i < end {
            sum += Double(dy[i])
            dot += Double(x[i] - mean[c]) * Double(dy[i])
            i += 1
          }
          let sums = s0 + s1
          let dots = d0 + d1
          for lane in 0..<16 {
            sum += Double(sums[lane])
            dot += Double(dots[lane])
          }
        }
      }
      sumGradient[c] = sum
      sumCenteredProduct[c] = dot
    }
  }

  /// `dx = dy * a[c] + (x - mean[c]) * b[c] + d[c]` for every element of channel `c` (the input
  /// gradient of batch normalisation, with per-channel coefficients computed by the caller).
  static func inputGradient(
    _ layout: ChannelLayout, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
    mean: UnsafePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    d: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>
  ) {
    forEachChannel(layout) { c in
      let (va, vb, vd, vm) = (
        V(repeating: a[c]), V(repeating: b[c]), V(repeating: d[c]), V(repeating: mean[c])
      )
      for n in 0..<layout.batch {
        let x = input + layout.offset(n, c)
        let dy = outputGradient + layout.offset(n, c)
        let dx = inputGradient + layout.offset(n, c)
        var i = 0
        while i + 16 <= layout.plane {
          let xv = UnsafeRawPointer(x + i).loadUnaligned(as: V.self) - vm
          let gv = UnsafeRawPointer(dy + i).loadUnaligned(as: V.self)
          UnsafeMutableRawPointer(dx + i).storeBytes(
            of: vd.addingProduct(gv, va).addingProduct(xv, vb), as: V.self)
          i += 16
        }
        while i < layout.plane {
          dx[i] = d[c].addingProduct(dy[i], a[c]).addingProduct(x[i] - mean[c], b[c])
          i += 1
        }
      }
    }
  }
}
