// The batch-norm reductions for planes of 32 values and more, eight channels at a time.
//
// `BatchNormKernels` reduces a plane in Float SIMD lanes and then adds the 16 lanes, one after
// the other, to the channel's Double total: a chain of 16 dependent additions (about 64 cycles)
// at the end of every plane (and every 4096 values). On the planes of a CIFAR network (1024, 256
// and 64 values, whose vector loops take about 64, 16 and 4 cycles) that chain was most of the
// pass. Here eight channels are reduced side by side: each still runs its own vector loop over
// its plane, but their lane totals are added to a SIMD8<Double> whose lane `k` is channel `k`'s
// total, so eight chains advance at once. Every channel sees the same Float and Double operations
// in the same order as in the channel-at-a-time loops, so the results are bit-identical to theirs.

/// The reductions of ``BatchNormKernels`` for blocks of up to eight channels; see the file comment.
enum ChannelBlockBatchNorm {
  typealias V = BatchNormKernels.V
  typealias D = SIMD8<Double>

  /// Values per chunk: the lane totals are flushed into Double at least this often.
  static let chunk = 4096

  /// Lane totals of one chunk of eight channels: `first[k * 16 + lane]` (and `second`).
  struct LaneTotals {
    var first: UnsafeMutablePointer<Float>
    var second: UnsafeMutablePointer<Float>

    /// Adds lane `lane` of every channel's totals, in lane order, to `a` and `b`.
    @inline(__always)
    func flush(into a: inout D, _ b: inout D) {
      for lane in 0..<16 {
        a += D(gather(first, lane))
        b += D(gather(second, lane))
      }
    }

    @inline(__always)
    private func gather(_ p: UnsafeMutablePointer<Float>, _ lane: Int) -> SIMD8<Float> {
      SIMD8(p[lane], p[16 + lane], p[32 + lane], p[48 + lane], p[64 + lane], p[80 + lane],
        p[96 + lane], p[112 + lane])
    }
  }

  /// Runs `body(first, width, totals)` for every block of up to eight consecutive channels, on
  /// several threads when the tensor is large (by ``BatchNormKernels/threads(_:)``), with
  /// zeroed lane-total buffers of its own.
  @inline(__always)
  static func forEachBlock(_ layout: ChannelLayout, _ body: (Int, Int, LaneTotals) -> Void) {
    let blocks = (layout.channels + 7) / 8
    parallelFor(blocks, threads: BatchNormKernels.threads(layout)) { block in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: 256) { buffer in
        let base = buffer.baseAddress!
        base.initialize(repeating: 0, count: 256)
        body(block * 8, min(8, layout.channels - block * 8), LaneTotals(first: base, second: base + 128))
      }
    }
  }

  /// Per-channel mean and biased variance, exactly as
  /// ``BatchNormKernels/statistics(_:input:mean:variance:reference:)`` computes them channel by
  /// channel: per plane, `sum (x - shift)` from 0 in chunks, added to the channel's total.
  static func statistics(
    _ layout: ChannelLayout, input: UnsafePointer<Float>,
    mean: UnsafeMutablePointer<Double>, variance: UnsafeMutablePointer<Double>
  ) {
    let count = Double(layout.perChannel)
    let plane = layout.plane
    forEachBlock(layout) { first, width, totals in
      // Pass 1: the mean. Pass 2: moments about the mean rounded to Float.
      var shift = SIMD8<Float>()
      var total = D()
      var sum = D()
      var squares = D()
      for pass in 0..<2 {
        for n in 0..<layout.batch {
          let x = input + layout.offset(n, first)
          var planeSum = D()
          var planeSquares = D()
          var i = 0
          while i < plane {
            let end = min(plane, i + chunk)
            for k in 0..<width {
              let s = V(repeating: shift[k])
              let p = x + k * plane
              var j = i
              var sum0 = V()
              var sum1 = V()
              var sq0 = V()
              var sq1 = V()
              while j + 32 <= end {
                let a = UnsafeRawPointer(p + j).loadUnaligned(as: V.self) - s
                let b = UnsafeRawPointer(p + j + 16).loadUnaligned(as: V.self) - s
                sum0 += a
                sum1 += b
                sq0.addProduct(a, a)
                sq1.addProduct(b, b)
                j += 32
              }
              while j < end {
                let d = Double(p[j] - shift[k])
                planeSum[k] += d
                planeSquares[k] += d * d
                j += 1
              }
              UnsafeMutableRawPointer(totals.first + k * 16).storeBytes(of: sum0 + sum1, as: V.self)
              UnsafeMutableRawPointer(totals.second + k * 16).storeBytes(of: sq0 + sq1, as: V.self)
            }
            totals.flush(into: &planeSum, &planeSquares)
            i = end
          }
          if pass == 0 {
            total += planeSum
          } else {
            sum += planeSum
            squares += planeSquares
          }
        }
        if pass == 0 { shift = SIMD8<Float>(total / D(repeating: count)) }
      }
      for k in 0..<width {
        let offset = sum[k] / count
        mean[first + k] = Double(shift[k]) + offset
        variance[first + k] = max(0, squares[k] / count - offset * offset)
      }
    }
  }

  /// Per-channel `sum dy` and `sum (x - mean[c]) * dy` (with `dy` masked by `relu`), exactly as
  /// ``BatchNormKernels/gradientSums(_:input:outputGradient:mean:relu:sumGradient:sumCenteredProduct:reference:)``
  /// computes them channel by channel.
  static func gradientSums(
    _ layout: ChannelLayout, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
    mean: UnsafePointer<Float>, relu: BatchNormKernels.ReLUMask?,
    sumGradient: UnsafeMutablePointer<Double>, sumCenteredProduct: UnsafeMutablePointer<Double>
  ) {
    let plane = layout.plane
    forEachBlock(layout) { first, width, totals in
      var sum = D()
      var dot = D()
      for n in 0..<layout.batch {
        let x = input + layout.offset(n, first)
        let dy = outputGradient + layout.offset(n, first)
        var i = 0
        while i < plane {
          let end = min(plane, i + chunk)
          for k in 0..<width {
            let c = first + k
            let m = V(repeating: mean[c])
            let (ra, rb) =
              relu.map { (V(repeating: $0.scale[c]), V(repeating: $0.shift[c])) } ?? (V(), V())
            let px = x + k * plane
            let pg = dy + k * plane
            var j = i
            var s0 = V()
            var s1 = V()
            var d0 = V()
            var d1 = V()
            while j + 32 <= end {
              let x0 = UnsafeRawPointer(px + j).loadUnaligned(as: V.self)
              let x1 = UnsafeRawPointer(px + j + 16).loadUnaligned(as: V.self)
              let g0 = BatchNormKernels.masked(
                UnsafeRawPointer(pg + j).loadUnaligned(as: V.self), x0, relu, ra, rb)
              let g1 = BatchNormKernels.masked(
                UnsafeRawPointer(pg + j + 16).loadUnaligned(as: V.self), x1, relu, ra, rb)
              s0 += g0
              s1 += g1
              d0.addProduct(x0 - m, g0)
              d1.addProduct(x1 - m, g1)
              j += 32
            }
            while j < end {
              let g = BatchNormKernels.masked(pg[j], px[j], relu, channel: c)
              sum[k] += Double(g)
              dot[k] += Double(px[j] - mean[c]) * Double(g)
              j += 1
            }
            UnsafeMutableRawPointer(totals.first + k * 16).storeBytes(of: s0 + s1, as: V.self)
            UnsafeMutableRawPointer(totals.second + k * 16).storeBytes(of: d0 + d1, as: V.self)
          }
          totals.flush(into: &sum, &dot)
          i = end
        }
      }
      for k in 0..<width {
        sumGradient[first + k] = sum[k]
        sumCenteredProduct[first + k] = dot[k]
      }
    }
  }
}
