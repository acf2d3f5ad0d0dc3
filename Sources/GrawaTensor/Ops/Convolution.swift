// 2-D convolution (NCHW, Float32): validation, the patch-matrix driver, and its gradient rule.

extension Tensor {
  /// A 2-D cross-correlation (PyTorch's `conv2d`) of this `[N, Cin, H, W]` batch with `weight`.
  ///
  /// `y[n, o, i, j] = bias[o] + sum_{c, kh, kw} w[o, c, kh, kw] * x[n, c, i*s-p+kh, j*s-p+kw]`,
  /// with zeros outside the image. The output is `[N, Cout, OH, OW]` with
  /// `OH = floor((H + 2p - KH) / s) + 1` and likewise `OW`.
  ///
  /// Computed with register-tiled matrix products whose tile shapes suit the CPU
  /// (``KernelConfiguration/active``; every variant gives bit-identical results). Stride-1
  /// convolutions whose input and output widths are multiples of 16 (the "same" 3x3 and 1x1
  /// convolutions of CIFAR networks at 32x32 and 16x16) need no patch matrix: its rows are shifted
  /// views of a zero-padded copy of each image, and the input gradient is a stride-1 correlation of
  /// the output gradient with the flipped kernel. Small maps, where most kernel taps fall on the
  /// padding (2x2 and 4x4 with a 3x3 kernel), skip those taps: ``TapClassConvolution`` groups the
  /// output pixels by the taps inside the image and runs one product per group, and an output of
  /// one pixel per channel (``OnePixelConvolution``) is three products over the batch. Other
  /// convolutions build the patch matrix
  /// (im2col / col2im) for groups of images side by side, with the weight gradient computed by
  /// ``GEMM``. Groups of images are spread over ``ComputeThreads/current`` threads; when there
  /// are fewer groups than threads, the threads share each group's products instead.
  ///
  /// Deterministic, also across thread counts: every output and input-gradient element is summed
  /// by one tile (or one ``GEMM`` call, whose order does not depend on its threads) in a fixed
  /// order; the weight and bias gradients are summed image by image within fixed slots of the
  /// batch, and the slots are added in order. Grouping and slots depend only on the shapes, so the
  /// same inputs give bit-identical results on any number of threads.
  /// - Parameters:
  ///   - weight: `[Cout, Cin, KH, KW]`, any kernel size (non-square allowed).
  ///   - bias: `[Cout]`, or `nil` for none.
  ///   - stride: step between windows, `>= 1`, in both directions.
  ///   - padding: zero rows and columns added on each side, `>= 0`.
  /// - Returns: `[N, Cout, OH, OW]`.
  /// - Throws: ``TensorError`` when a shape is not 4-D, the channel counts differ, the kernel is
  ///   larger than the padded input, the bias is not `[Cout]`, or stride or padding is invalid.
  public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) throws
    -> Tensor
  {
    let geometry = try Convolution.validate(
      input: shape, weight: weight.shape, bias: bias?.shape, stride: stride, padding: padding)
    let output = scalars.withUnsafeBufferPointer { x in
      weight.scalars.withUnsafeBufferPointer { w in
        Convolution.forward(geometry, input: x.start, weight: w.start, bias: bias?.scalars)
      }
    }
    let outShape = [geometry.batch, geometry.outChannels, geometry.outHeight, geometry.outWidth]
    var result = Tensor(validShape: outShape, scalars: output)
    let needs = Convolution.Needs(
      input: node != nil, weight: weight.node != nil, bias: bias?.node != nil)
    let input = detached()
    let kernel = weight.detached()
    let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
    Tensor.record(&result, operation: "conv2d", inputs: inputs) { gradient in
      let grads = Convolution.backward(
        geometry, input: input.scalars, weight: kernel.scalars, outputGradient: gradient.scalars,
        needs: needs)
      var list: [Tensor?] = [
        grads.input.map { Tensor(validShape: input.shape, scalars: $0) },
        grads.weight.map { Tensor(validShape: kernel.shape, scalars: $0) },
      ]
      if inputs.count == 3 {
        list.append(grads.bias.map { Tensor(validShape: [geometry.outChannels], scalars: $0) })
      }
      return list
    }
    return result
  }
}

/// The convolution driver: shape checks, work partition, forward and backward passes.
enum Convolution {
  /// Which gradients a backward pass must produce.
  struct Needs {
    var input: Bool
    var weight: Bool
    var bias: Bool
  }

  /// Checks the operands of `conv2d` and returns their geometry.
  static func validate(
    input: [Int], weight: [Int], bias: [Int]?, stride: Int, padding: Int
  ) throws -> ConvolutionGeometry {
    let op = "conv2d"
    guard input.count == 4 else {
      throw TensorError(op, "input must be [N, Cin, H, W], got shape \(describe(input))")
    }
    guard weight.count == 4 else {
      throw TensorError(op, "weight must be [Cout, Cin, KH, KW], got shape \(describe(weight))")
    }
    guard stride >= 1 else { throw TensorError(op, "stride must be at least 1, got \(stride)") }
    guard padding >= 0 else {
      throw TensorError(op, "padding must be non-negative, got \(padding)")
    }
    guard input[1] == weight[1] else {
      throw TensorError(
        op,
        "input \(describe(input)) has \(input[1]) channels but weight \(describe(weight)) "
          + "expects \(weight[1])")
    }
    guard weight[0] > 0, weight[1] > 0, weight[2] > 0, weight[3] > 0 else {
      throw TensorError(op, "weight \(describe(weight)) has an empty dimension")
    }
    let paddedHeight = input[2] + 2 * padding
    let paddedWidth = input[3] + 2 * padding
    guard weight[2] <= paddedHeight, weight[3] <= paddedWidth else {
      throw TensorError(
        op,
        "kernel \(weight[2])x\(weight[3]) of weight \(describe(weight)) is larger than the "
          + "padded input \(paddedHeight)x\(paddedWidth) "
          + "(input \(describe(input)), padding \(padding))"
      )
    }
    if let bias, bias != [weight[0]] {
      throw TensorError(
        op,
        "bias must be [\(weight[0])] for weight \(describe(weight)), got shape \(describe(bias))")
    }
    return ConvolutionGeometry(
      batch: input[0], inChannels: input[1], height: input[2], width: input[3],
      outChannels: weight[0],
      kernelHeight: weight[2], kernelWidth: weight[3], stride: stride, padding: padding)
  }

  // MARK: - Work partition (the plan is in ConvolutionPlan.swift)

  /// Runs `units` independent work items, `body(unit, innerThreads)`: spread over the
  /// ``ComputeThreads/current`` threads when there are at least as many items, otherwise one after
  /// the other with the threads shared inside each item (`innerThreads`). Either way every result
  /// element is computed by the same code in the same order.
  static func distribute(_ units: Int, _ body: (Int, Int) -> Void) {
    let threads = ComputeThreads.current
    if units >= threads {
      parallelFor(units, threads: threads) { body($0, 1) }
    } else {
      for unit in 0..<units { body(unit, threads) }
    }
  }

  /// The weight packed for the register tiles of `variant`: as `W` (`Cout x K`), or transposed
  /// as `Wᵀ` (`K x Cout`), in panels of ``ConvolutionKernels/panelRows(_:)`` rows.
  static func packedWeight(
    _ g: ConvolutionGeometry, _ weight: UnsafePointer<Float>, transposed: Bool,
    variant: KernelVariant
  ) -> [Float] {
    let k = g.patchSize
    let rows = transposed ? k : g.outChannels
    let depth = transposed ? g.outChannels : k
    let panelRows = ConvolutionKernels.panelRows(variant)
    let panels = (rows + panelRows - 1) / panelRows
    return makeScalars(count: panels * panelRows * depth) { dst in
      ConvolutionKernels.pack(
        weight, rows: rows, depth: depth, rowStride: transposed ? 1 : k,
        depthStride: transposed ? k : 1, panelRows: panelRows,
        into: dst)
    }
  }

  /// Row offsets `r * ld` of an explicit matrix with `rows` rows.
  static func rowOffsets(_ rows: Int, ld: Int) -> [Int] { (0..<rows).map { $0 * ld } }

  /// The path that runs this convolution's whole batch itself, when one applies: a one-pixel
  /// output (``OnePixelConvolution``), or a small map with many taps on the padding
  /// (``TapClassConvolution``); `nil` for the patch-matrix and padded-plane passes of ``Plan``.
  static func wholeBatchPath(_ g: ConvolutionGeometry) -> (any WholeBatchConvolution)? {
    if let onePixel = OnePixelConvolution(g) { return onePixel }
    return TapClassConvolution(g)
  }

  // MARK: - Forward

  /// `y = conv(x, w) + b` for the whole batch; returns the `[N, Cout, OH, OW]` scalars.
  static func forward(
    _ g: ConvolutionGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: [Float]?, variant: KernelVariant = KernelConfiguration.active
  ) -> [Float] {
    MultiplyAddCounter.add(g.batch * g.outChannels * g.inChannels * g.insideTaps)
    if let path = wholeBatchPath(g) {
      let biasValues = bias ?? []
      return biasValues.withUnsafeBufferPointer { b in
        makeScalars(count: g.batch * g.outChannels * g.outPlane) { y in
          path.forward(
            input: input, weight: weight, bias: bias == nil ? nil : b.baseAddress, output: y,
            variant: variant)
        }
      }
    }
    let plan = Plan(g, variant: variant)
    let plane = g.outPlane
    let k = g.patchSize
    let cout = g.outChannels
    // The GEMM products read the weight packed once for every group.
    let gemmWeight =
      plan.gemmProducts
      ? GEMM.packA(transposeA: false, m: cout, k: k, a: weight, lda: k, variant: variant) : nil
    let packed = plan.gemmProducts ? [] : packedWeight(g, weight, transposed: false, variant: variant)
    let biasValues = bias ?? []
    return packed.withUnsafeBufferPointer { a in
      biasValues.withUnsafeBufferPointer { biasBuffer in
        let biasPointer = bias == nil ? nil : biasBuffer.baseAddress
        return makeScalars(count: g.batch * cout * plane) { output in
          distribute(plan.groups) { group, threads in
            let images = plan.images(ofGroup: group)
            let x = input + images.lowerBound * g.inChannels * g.inPlane
            let y = output + images.lowerBound * cout * plane
            ConvolutionWorkspace.withCurrent { ws in
              if let padded = plan.padded {
                padded.forward(
                  g, images: images.count, x: x, packedWeight: a.start, bias: biasPointer,
                  output: y,
                  threads: threads, variant: variant, workspace: ws)
                return
              }
              let ld = plan.leadingDimension(images: images.count)
              let columns = plan.paddedColumns(images: images.count)
              let col = ws.buffer(0, count: k * ld)
              Im2Col.im2col(g, input: x, images: images.count, col: col, ld: ld, threads: threads)
              let staging = ws.buffer(1, count: cout * ld)
              if let gemmWeight {
                for o in 0..<cout {
                  (staging + o * ld).update(repeating: biasPointer?[o] ?? 0, count: columns)
                }
                GEMM.sgemm(
                  packedA: gemmWeight, transposeB: false, n: columns, b: col, ldb: ld, beta: 1,
                  c: staging, ldc: ld, threads: threads)
                Im2Col.deinterleave(
                  staging, ld: ld, rows: cout, rowLength: plane, images: images.count, into: y,
                  threads: threads)
                return
              }
              let tiles = ConvolutionKernels.contiguousTiles(columns: columns)
              rowOffsets(k, ld: ld).withUnsafeBufferPointer { offsets in
                ConvolutionKernels.multiply(
                  packed: a.start, rows: cout, depth: k, b: col, offsets: offsets.start,
                  tiles: tiles,
                  tileCount: tiles.count / 4, bias: biasPointer, c: staging, ldc: ld,
                  threads: threads, variant: variant)
              }
              Im2Col.deinterleave(
                staging, ld: ld, rows: cout, rowLength: plane, images: images.count, into: y,
                threads: threads)
            }
          }
        }
      }
    }
  }

  // MARK: - Backward

  /// The gradients a backward pass produced (`nil` where not requested).
  struct Gradients {
    var input: [Float]?
    var weight: [Float]?
    var bias: [Float]?
  }

  /// Gradients of `conv2d` given the output gradient `dy` (`[N, Cout, OH, OW]`):
  /// `dx = col2im(Wᵀ dy)` (or the flipped-kernel correlation), `dW = sum_n dy_n col_nᵀ`,
  /// `db = sum_{n, i, j} dy`.
  static func backward(
    _ g: ConvolutionGeometry, input: [Float], weight: [Float], outputGradient: [Float], needs: Needs,
    variant: KernelVariant = KernelConfiguration.active
  ) -> Gradients {
    let passes = (needs.input ? 1 : 0) + (needs.weight ? 1 : 0)
    MultiplyAddCounter.add(passes * g.batch * g.outChannels * g.inChannels * g.insideTaps)
    if let path = wholeBatchPath(g) {
      return input.withUnsafeBufferPointer { x in
        weight.withUnsafeBufferPointer { w in
          outputGradient.withUnsafeBufferPointer { dy in
            path.backward(
              input: x.start, inputCount: input.count, weight: w.start, outputGradient: dy.start,
              needs: needs, variant: variant)
          }
        }
      }
    }
    let plan = Plan(g, variant: variant)
    let k = g.patchSize
    let cout = g.outChannels
    let weightCount = cout * k
    // One partial weight gradient and one partial bias gradient per slot, reduced in slot order.
    var partialWeights = [Float](repeating: 0, count: needs.weight ? plan.slots * weightCount : 0)
    var partialBiases = [Double](repeating: 0, count: needs.bias ? plan.slots * cout : 0)
    let packed: [Float] = weight.withUnsafeBufferPointer { w in
      guard needs.input else { return [] }
      if plan.gemmProducts { return [] }
      return plan.padded == nil
        ? packedWeight(g, w.start, transposed: true, variant: variant)
        : PaddedConvolution.flippedWeight(g, w.start, variant: variant)
    }
    // The GEMM products' `Wᵀ`, packed once for every group.
    let gemmWeight: GEMM.PackedA? = weight.withUnsafeBufferPointer { w in
      guard needs.input, plan.gemmProducts else { return nil }
      return GEMM.packA(transposeA: true, m: k, k: cout, a: w.start, lda: k, variant: variant)
    }
    var inputGradient: [Float]?
    input.withUnsafeBufferPointer { x in
      packed.withUnsafeBufferPointer { a in
        outputGradient.withUnsafeBufferPointer { dy in
          partialWeights.withUnsafeMutableBufferPointer { pw in
            partialBiases.withUnsafeMutableBufferPointer { pb in
              let pointers = BackwardPointers(
                input: x.start, packedWeight: a.start, gemmWeight: gemmWeight,
                outputGradient: dy.start, inputGradient: nil, partialWeights: pw.start,
                partialBiases: pb.start)
              if needs.input {
                // Every element is written (by col2im, or by the tiles of the padded-plane passes).
                inputGradient = makeScalars(count: input.count) { dx in
                  var withInput = pointers
                  withInput.inputGradient = dx
                  backwardSlots(plan, pointers: withInput, needs: needs)
                }
              } else {
                backwardSlots(plan, pointers: pointers, needs: needs)
              }
            }
          }
        }
      }
    }
    var result = Gradients()
    result.input = inputGradient
    if needs.weight {
      result.weight = reduceSlots(partialWeights, slots: plan.slots, count: weightCount)
    }
    if needs.bias {
      var sums = [Double](repeating: 0, count: cout)
      for slot in 0..<plan.slots {
        for o in 0..<cout { sums[o] += partialBiases[slot * cout + o] }
      }
      result.bias = sums.map { Float($0) }
    }
    return result
  }

  /// The memory a backward pass reads and writes (valid for the duration of the pass).
  struct BackwardPointers {
    var input: UnsafePointer<Float>
    /// The input gradient's kernel packed for the tiles: `Wᵀ`, or the flipped kernel for the
    /// padded-plane passes (only when the input gradient is needed, and not for
    /// ``Plan/gemmProducts``).
    var packedWeight: UnsafePointer<Float>
    /// `Wᵀ` packed for ``GEMM`` (with ``Plan/gemmProducts``, when the input gradient is needed).
    var gemmWeight: GEMM.PackedA?
    var outputGradient: UnsafePointer<Float>
    var inputGradient: UnsafeMutablePointer<Float>?
    var partialWeights: UnsafeMutablePointer<Float>
    var partialBiases: UnsafeMutablePointer<Double>
  }

  /// Runs the backward pass slot by slot; each slot adds into its own partial sums (groups in
  /// order) and writes the input gradient of its own images.
  static func backwardSlots(_ plan: Plan, pointers p: BackwardPointers, needs: Needs) {
    let g = plan.geometry
    let plane = g.outPlane
    let cout = g.outChannels
    distribute(plan.slots) { slot, threads in
      ConvolutionWorkspace.withCurrent { ws in
        for group in plan.groups(ofSlot: slot) {
          let images = plan.images(ofGroup: group)
          let x = p.input + images.lowerBound * g.inChannels * g.inPlane
          let dy = p.outputGradient + images.lowerBound * cout * plane
          let partial = p.partialWeights + slot * cout * g.patchSize
          if needs.bias {
            let target = p.partialBiases + slot * cout
            for i in 0..<images.count {
              for o in 0..<cout {
                target[o] += Double(
                  ElementwiseKernels.sum(dy + (i * cout + o) * plane, count: plane))
              }
            }
          }
          let dx = p.inputGradient.map { $0 + images.lowerBound * g.inChannels * g.inPlane }
          if let padded = plan.padded {
            if needs.weight {
              padded.addWeightGradient(
                g, images: images.count, x: x, dy: dy, weightGradient: partial, threads: threads,
                variant: plan.variant, workspace: ws)
            }
            if let dx {
              padded.inputGradient(
                g, images: images.count, dy: dy, packedFlipped: p.packedWeight, inputGradient: dx,
                threads: threads, variant: plan.variant,
                workspace: ws)
            }
          } else {
            explicitBackward(
              plan, images: images.count, x: x, dy: dy, packedTransposed: p.packedWeight,
              gemmWeight: p.gemmWeight, weightGradient: needs.weight ? partial : nil, inputGradient: dx, threads: threads,
              workspace: ws)
          }
        }
      }
    }
  }

  /// The backward pass of one group on an explicit patch matrix.
  static func explicitBackward(
    _ plan: Plan, images: Int, x: UnsafePointer<Float>, dy dyImages: UnsafePointer<Float>,
    packedTransposed: UnsafePointer<Float>, gemmWeight: GEMM.PackedA?,
    weightGradient: UnsafeMutablePointer<Float>?, inputGradient: UnsafeMutablePointer<Float>?,
    threads: Int, workspace ws: ConvolutionWorkspace
  ) {
    let g = plan.geometry
    let k = g.patchSize
    let cout = g.outChannels
    let ld = plan.leadingDimension(images: images)
    let columns = plan.paddedColumns(images: images)
    // The output gradient as a `Cout x columns` matrix with rows `ld` apart (zero padded).
    let dy = ws.buffer(1, count: cout * ld)
    Im2Col.interleave(
      dyImages, rows: cout, rowLength: g.outPlane, images: images, into: dy, ld: ld,
      threads: threads)
    let offsets = rowOffsets(max(k, cout), ld: ld)
    offsets.withUnsafeBufferPointer { offsets in
      if let weightGradient {
        let col = ws.buffer(0, count: k * ld)
        Im2Col.im2col(g, input: x, images: images, col: col, ld: ld, threads: threads)
        // dW += dy * colᵀ over the group's columns. The packed GEMM suits this long product (its
        // K blocking depends only on `columns`, so the sum order is fixed by the shapes).
        GEMM.sgemm(
          transposeA: false, transposeB: true, m: cout, n: k, k: columns, alpha: 1, a: dy, lda: ld,
          b: col,
          ldb: ld, beta: 1, c: weightGradient, ldc: k, threads: threads, variant: plan.variant)
      }
      if let inputGradient {
        let dcol = ws.buffer(0, count: k * ld)
        if let gemmWeight {
          // dcol = Wᵀ dy.
          GEMM.sgemm(
            packedA: gemmWeight, transposeB: false, n: columns, b: dy, ldb: ld, beta: 0, c: dcol,
            ldc: ld, threads: threads)
          Im2Col.col2im(
            g, col: dcol, ld: ld, images: images, gradient: inputGradient, threads: threads)
          return
        }
        let tiles = ConvolutionKernels.contiguousTiles(columns: columns)
        ConvolutionKernels.multiply(
          packed: packedTransposed, rows: k, depth: cout, b: dy, offsets: offsets.start,
          tiles: tiles,
          tileCount: tiles.count / 4, bias: nil, c: dcol, ldc: ld, threads: threads,
          variant: plan.variant)
        Im2Col.col2im(
          g, col: dcol, ld: ld, images: images, gradient: inputGradient, threads: threads)
      }
    }
  }

  /// `sum_s partials[s]`, added in slot order.
  static func reduceSlots(_ partials: [Float], slots: Int, count: Int) -> [Float] {
    if slots == 1 { return partials }
    var total = Array(partials[0..<count])
    partials.withUnsafeBufferPointer { p in
      total.withUnsafeMutableBufferPointer { t in
        for slot in 1..<slots {
          ElementwiseKernels.add(t.start, p.start + slot * count, t.start, count: count)
        }
      }
    }
    return total
  }
}
