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

  /// Threads for a pass over `layout`'s tensor: all of ``ComputeThreads/current`` from 2^18
  /// elements on, one below (smaller passes cost less than waking the other threads).
  @inline(__always)
  static func threads(_ layout: ChannelLayout) -> Int {
    layout.channels * layout.perChannel >= 1 << 18 ? ComputeThreads.current : 1
  }

  /// Values per chunk of a reduction: Float lane totals are flushed into Double at least this
  /// often (every path flushes at the same points, which keeps them bit-identical).
  static let chunk = 4096

  /// Runs `body(channel)` for every channel, on several threads when the tensor is large.
  @inline(__always)
  static func forEachChannel(_ layout: ChannelLayout, _ body: (Int) -> Void) {
    parallelFor(layout.channels, threads: threads(layout), body)
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
      let end = min(count, i + chunk)
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
  ///
  /// Planes of fewer than ``SmallPlaneBatchNorm/reductionLimit`` values go to
  /// ``SmallPlaneBatchNorm`` (and, for ``gradientSums``, larger ones to ``ChannelBlockBatchNorm``):
  /// both give these loops' results bit for bit, and `reference` (for the tests that compare
  /// them) runs these loops instead. The same holds for the other kernels here.
  static func statistics(
    _ layout: ChannelLayout, input: UnsafePointer<Float>,
    mean: UnsafeMutablePointer<Double>, variance: UnsafeMutablePointer<Double>,
    reference: Bool = false
  ) {
    if !reference && layout.plane < SmallPlaneBatchNorm.reductionLimit {
      return SmallPlaneBatchNorm.statistics(layout, input: input, mean: mean, variance: variance)
    }
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

  /// `y = x * scale[c] + shift[c]` for every element of channel `c`, plus the element of
  /// `residual` at the same place when given (one rounding for the product and shift, one for the
  /// sum: the bits of the affine map followed by an addition), followed by the ReLU `max(y, 0)`
  /// when `relu` (negative values become 0, as ``ElementwiseKernels/relu(_:_:count:)`` does).
  /// The output's images hold `outputChannels` channels (`layout.channels` when `nil`): a part of
  /// a concatenation writes its channels into the whole, `output` pointing at its first one.
  static func affine(
    _ layout: ChannelLayout, input: UnsafePointer<Float>, scale: UnsafePointer<Float>,
    shift: UnsafePointer<Float>, residual: UnsafePointer<Float>? = nil, relu: Bool = false,
    output: UnsafeMutablePointer<Float>, outputChannels: Int? = nil, reference: Bool = false
  ) {
    let outputLayout = ChannelLayout(
      batch: layout.batch, channels: outputChannels ?? layout.channels, plane: layout.plane)
    if !reference && layout.plane < SmallPlaneBatchNorm.elementwiseLimit {
      return SmallPlaneBatchNorm.affine(
        layout, input: input, scale: scale, shift: shift, residual: residual, relu: relu,
        output: output, outputChannels: outputLayout.channels)
    }
    forEachChannel(layout) { c in
      let a = V(repeating: scale[c])
      let b = V(repeating: shift[c])
      let zero = V()
      for n in 0..<layout.batch {
        let x = input + layout.offset(n, c)
        let y = output + outputLayout.offset(n, c)
        let r = residual.map { $0 + layout.offset(n, c) }
        var i = 0
        while i + 16 <= layout.plane {
          var v = b.addingProduct(UnsafeRawPointer(x + i).loadUnaligned(as: V.self), a)
          if let r { v += UnsafeRawPointer(r + i).loadUnaligned(as: V.self) }
          let out = relu ? v.replacing(with: zero, where: v .< zero) : v
          UnsafeMutableRawPointer(y + i).storeBytes(of: out, as: V.self)
          i += 16
        }
        while i < layout.plane {
          var v = shift[c].addingProduct(x[i], scale[c])
          if let r { v += r[i] }
          y[i] = relu && v < 0 ? 0 : v
          i += 1
        }
      }
    }
  }

  /// Runs `body(k)` for every part of a concatenation whose parts have `layouts`. Parts large
  /// enough to spread over threads themselves (see ``threads(_:)``), or a single part, run one
  /// after the other; otherwise groups of consecutive parts of about equal size run side by side,
  /// each on one thread (DenseNet's last block: one wide part, then many of 32 channels on 4x4
  /// maps). Every part's results are the same either way.
  static func forEachPart(_ layouts: [ChannelLayout], _ body: (Int) -> Void) {
    if layouts.count == 1 { return body(0) }
    let sizes = layouts.map { $0.channels * $0.perChannel }
    let total = sizes.reduce(0, +)
    let threads = min(ComputeThreads.current, layouts.count)
    var groupEnds: [Int] = []
    if threads > 1 && total >= 1 << 18 && sizes.contains(where: { $0 < 1 << 18 }) {
      // Group `g` ends after the part where the running total first reaches g+1 shares.
      var running = 0
      for k in layouts.indices {
        running += sizes[k]
        if running * threads >= total * (groupEnds.count + 1) { groupEnds.append(k + 1) }
      }
      // Parts of no channels at the end belong to the last group.
      if groupEnds.last != layouts.count { groupEnds.append(layouts.count) }
    }
    let starts = [0] + groupEnds.dropLast()
    let largest = zip(starts, groupEnds).map { sizes[$0..<$1].reduce(0, +) }.max() ?? total
    // One part too large for a fair share: its own threads do better.
    guard groupEnds.count > 1, largest * 2 * groupEnds.count <= total * 3 else {
      for k in layouts.indices { body(k) }
      return
    }
    parallelFor(groupEnds.count, threads: groupEnds.count) { g in
      ComputeThreads.withLimit(1) {
        for k in starts[g]..<groupEnds[g] { body(k) }
      }
    }
  }

  /// The affine map a fused ReLU followed: the output gradient is used only where
  /// `x * scale[c] + shift[c] > 0` (computed as the forward pass computed it, so the mask is the
  /// forward's exactly), and is 0 elsewhere, as ``ElementwiseKernels/reluBackward(input:gradient:_:count:)``
  /// makes it.
  struct ReLUMask {
    var scale: UnsafePointer<Float>
    var shift: UnsafePointer<Float>
  }

  /// `dy` where the masked affine map is positive, 0 elsewhere (and `dy` without a mask).
  @inline(__always)
  static func masked(_ dy: V, _ x: V, _ mask: ReLUMask?, _ a: V, _ b: V) -> V {
    guard mask != nil else { return dy }
    return dy.replacing(with: V(), where: .!(b.addingProduct(x, a) .> V()))
  }

  /// The scalar form of ``masked(_:_:_:_:_:)`` for channel `c`.
  @inline(__always)
  static func masked(_ dy: Float, _ x: Float, _ mask: ReLUMask?, channel c: Int) -> Float {
    guard let mask else { return dy }
    return mask.shift[c].addingProduct(x, mask.scale[c]) > 0 ? dy : 0
  }

  /// Per-channel `sum dy` and `sum (x - mean[c]) * dy`, in Double; with `relu`, `dy` is first
  /// masked by it (see ``ReLUMask``).
  static func gradientSums(
    _ layout: ChannelLayout, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
    mean: UnsafePointer<Float>, relu: ReLUMask? = nil, sumGradient: UnsafeMutablePointer<Double>,
    sumCenteredProduct: UnsafeMutablePointer<Double>, reference: Bool = false
  ) {
    if !reference && layout.plane < SmallPlaneBatchNorm.reductionLimit {
      return SmallPlaneBatchNorm.gradientSums(
        layout, input: input, outputGradient: outputGradient, mean: mean, relu: relu,
        sumGradient: sumGradient, sumCenteredProduct: sumCenteredProduct)
    }
    if !reference {
      return ChannelBlockBatchNorm.gradientSums(
        layout, input: input, outputGradient: outputGradient, mean: mean, relu: relu,
        sumGradient: sumGradient, sumCenteredProduct: sumCenteredProduct)
    }
    forEachChannel(layout) { c in
      var sum: Double = 0
      var dot: Double = 0
      for n in 0..<layout.batch {
        let x = input + layout.offset(n, c)
        let dy = outputGradient + layout.offset(n, c)
        var i = 0
        while i < layout.plane {
          let end = min(layout.plane, i + chunk)
          let (sums, dots) = gradientChunk(
            x: x, dy: dy, i..<end, mean: mean, relu: relu, channel: c, sum: &sum, dot: &dot)
          for lane in 0..<16 {
            sum += Double(sums[lane])
            dot += Double(dots[lane])
          }
          i = end
        }
      }
      sumGradient[c] = sum
      sumCenteredProduct[c] = dot
    }
  }

  /// One chunk `range` of a plane of channel `c` for ``gradientSums``: returns the Float lane
  /// totals of `dy` and `(x - mean[c]) * dy` over its multiples of 32 values, and adds the values
  /// after them to `sum` and `dot` in Double (both masked by `relu` first).
  @inline(__always)
  static func gradientChunk(
    x: UnsafePointer<Float>, dy: UnsafePointer<Float>, _ range: Range<Int>,
    mean: UnsafePointer<Float>, relu: ReLUMask?, channel c: Int,
    sum: inout Double, dot: inout Double
  ) -> (V, V) {
    let m = V(repeating: mean[c])
    let (ra, rb) = relu.map { (V(repeating: $0.scale[c]), V(repeating: $0.shift[c])) } ?? (V(), V())
    var s0 = V()
    var s1 = V()
    var d0 = V()
    var d1 = V()
    var i = range.lowerBound
    while i + 32 <= range.upperBound {
      let x0 = UnsafeRawPointer(x + i).loadUnaligned(as: V.self)
      let x1 = UnsafeRawPointer(x + i + 16).loadUnaligned(as: V.self)
      let g0 = masked(UnsafeRawPointer(dy + i).loadUnaligned(as: V.self), x0, relu, ra, rb)
      let g1 = masked(UnsafeRawPointer(dy + i + 16).loadUnaligned(as: V.self), x1, relu, ra, rb)
      s0 += g0
      s1 += g1
      d0.addProduct(x0 - m, g0)
      d1.addProduct(x1 - m, g1)
      i += 32
    }
    while i < range.upperBound {
      let g = masked(dy[i], x[i], relu, channel: c)
      sum += Double(g)
      dot += Double(x[i] - mean[c]) * Double(g)
      i += 1
    }
    return (s0 + s1, d0 + d1)
  }

  /// `dx = dy * a[c] + (x - mean[c]) * b[c] + d[c]` for every element of channel `c` (the input
  /// gradient of batch normalisation, with per-channel coefficients computed by the caller); with
  /// `relu`, `dy` is first masked by it (see ``ReLUMask``).
  static func inputGradient(
    _ layout: ChannelLayout, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
    mean: UnsafePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    d: UnsafePointer<Float>, relu: ReLUMask? = nil, inputGradient: UnsafeMutablePointer<Float>,
    reference: Bool = false
  ) {
    if !reference && layout.plane < SmallPlaneBatchNorm.elementwiseLimit {
      return SmallPlaneBatchNorm.inputGradient(
        layout, input: input, outputGradient: outputGradient, mean: mean, a: a, b: b, d: d,
        relu: relu, inputGradient: inputGradient)
    }
    forEachChannel(layout) { c in
      let (va, vb, vd, vm) = (
        V(repeating: a[c]), V(repeating: b[c]), V(repeating: d[c]), V(repeating: mean[c])
      )
      let (ra, rb) = relu.map { (V(repeating: $0.scale[c]), V(repeating: $0.shift[c])) } ?? (V(), V())
      for n in 0..<layout.batch {
        let x = input + layout.offset(n, c)
        let dy = outputGradient + layout.offset(n, c)
        let dx = inputGradient + layout.offset(n, c)
        var i = 0
        while i + 16 <= layout.plane {
          let xi = UnsafeRawPointer(x + i).loadUnaligned(as: V.self)
          let gv = masked(UnsafeRawPointer(dy + i).loadUnaligned(as: V.self), xi, relu, ra, rb)
          UnsafeMutableRawPointer(dx + i).storeBytes(
            of: vd.addingProduct(gv, va).addingProduct(xi - vm, vb), as: V.self)
          i += 16
        }
        while i < layout.plane {
          let g = masked(dy[i], x[i], relu, channel: c)
          dx[i] = d[c].addingProduct(g, a[c]).addingProduct(x[i] - mean[c], b[c])
          i += 1
        }
      }
    }
  }
}
