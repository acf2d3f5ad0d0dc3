// The batch-norm gradient sums for planes of 32 values and more, eight channels at a time.
//
// `BatchNormKernels.gradientSums` reduces a plane in Float SIMD lanes and then adds the 16 lanes,
// one after the other, to the channel's running Double totals, which carry on into the next
// plane: one chain of dependent additions (about 4 cycles each) through the whole channel. On the
// planes of a CIFAR network (1024, 256 and 64 values, whose vector loops take about 64, 16 and 4
// cycles) that chain set the pace. Here eight channels run side by side: each still runs its own
// vector loop over its plane, but their lane totals go into a SIMD8<Double> whose lane `k` is
// channel `k`'s total, so eight chains advance at once. Every channel sees the same Float and
// Double operations in the same order as in the channel-at-a-time loop, so the results are
// bit-identical to that loop's. (The statistics need no such help: each plane's sum starts from
// 0, so the processor already overlaps the chains of consecutive planes; measured, eight images
// side by side gained nothing.)

/// The gradient sums of ``BatchNormKernels`` for planes of 32 values and more (see the file
/// comment).
enum ChannelBlockBatchNorm {
  typealias V = BatchNormKernels.V
  typealias D = SIMD8<Double>

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

  /// Per-channel `sum dy` and `sum (x - mean[c]) * dy` (with `dy` masked by `relu`), exactly as
  /// ``BatchNormKernels/gradientSums(_:input:outputGradient:mean:relu:sumGradient:sumCenteredProduct:reference:)``
  /// computes them channel by channel.
  static func gradientSums(
    _ layout: ChannelLayout, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
    mean: UnsafePointer<Float>, relu: BatchNormKernels.ReLUMask?,
    sumGradient: UnsafeMutablePointer<Double>, sumCenteredProduct: UnsafeMutablePointer<Double>
  ) {
    let plane = layout.plane
    SmallPlaneBatchNorm.forEachChannelBlock(layout) { first, width in
      withUnsafeTemporaryAllocation(of: Float.self, capacity: 256) { buffer in
        buffer.initialize(repeating: 0)
        let totals = LaneTotals(first: buffer.baseAddress!, second: buffer.baseAddress! + 128)
        var sum = D()
        var dot = D()
        for n in 0..<layout.batch {
          let x = input + layout.offset(n, first)
          let dy = outputGradient + layout.offset(n, first)
          var i = 0
          while i < plane {
            let end = min(plane, i + BatchNormKernels.chunk)
            for k in 0..<width {
              let (sums, dots) = BatchNormKernels.gradientChunk(
                x: x + k * plane, dy: dy + k * plane, i..<end, mean: mean, relu: relu,
                channel: first + k, sum: &sum[k], dot: &dot[k])
              UnsafeMutableRawPointer(totals.first + k * 16).storeBytes(of: sums, as: V.self)
              UnsafeMutableRawPointer(totals.second + k * 16).storeBytes(of: dots, as: V.self)
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
}
