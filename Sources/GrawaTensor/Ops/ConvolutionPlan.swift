// How a convolution's batch is cut into groups and slots, and which products it runs.

extension Convolution {
  /// How the batch is cut: groups of consecutive images, whose patch matrices sit side by side in
  /// one matrix, and slots of consecutive groups (one partial weight gradient each). Depends on the
  /// geometry only, never on the thread count.
  struct Plan {
    let geometry: ConvolutionGeometry
    /// The kernel variant every pass of this convolution runs (read once on the calling thread).
    let variant: KernelVariant
    /// The padded-plane passes, when they apply (they choose the group size then).
    let padded: PaddedConvolution?
    /// Whether the explicit path's forward and input-gradient products run on ``GEMM`` (deep
    /// patches, see ``gemmDepth``) instead of the convolution tiles.
    let gemmProducts: Bool
    /// Images per group (the last group may have fewer).
    let imagesPerGroup: Int
    let groups: Int
    let slots: Int

    /// Aim for this many output pixels per group: long rows amortise the per-call costs of the
    /// weight-gradient products (packing, final lane sums).
    static let targetColumns = 1024
    /// At most this many floats in one group's patch matrix (it should stay in a core's L2).
    static let columnBudget = 1 << 18
    /// At least this many columns per group on the explicit path when ``explicitBudget`` allows:
    /// the weight gradient is an SGEMM whose inner dimension is the group's columns, and a short
    /// one (48 for 512 channels at 4x4 under ``columnBudget``) re-reads and re-writes the whole
    /// `Cout x Cin*9` gradient for every few images.
    static let minimumColumns = 256
    /// At most this many floats in one group's patch matrix when reaching ``minimumColumns``.
    static let explicitBudget = 1 << 20
    /// From this patch depth (`Cin * KH * KW`) on, the explicit path's forward and input-gradient
    /// products go through the packed ``GEMM``: its K blocking keeps a panel of the patch matrix
    /// in L1 or L2 while the weight streams past, where the convolution tiles would stream the
    /// whole weight from L3 for every 32 columns (VGG-16's 512 channels at 4x4 and 2x2).
    static let gemmDepth = 1152
    /// At most this many partial weight gradients.
    static let maxSlots = 8
    /// At most this many floats in all partial weight gradients together (when more than one): two
    /// slots of VGG-16's 512 x 4608 weight gradient fit, so both threads of a 2-core machine run
    /// its backward pass on their own slot instead of sharing every product.
    static let slotBudget = 1 << 23

    init(_ g: ConvolutionGeometry, variant: KernelVariant) {
      geometry = g
      self.variant = variant
      let batch = max(1, g.batch)
      let most: Int
      if let images = PaddedConvolution.mostImages(
        g, targetColumns: Plan.targetColumns, budget: Plan.columnBudget)
      {
        most = images
      } else {
        let plane = max(1, g.outPlane)
        let patchFloats = max(1, g.patchSize * plane)
        let fitting = Plan.columnBudget / patchFloats
        let wanted = (Plan.minimumColumns + plane - 1) / plane
        most = min(
          max(1, Plan.targetColumns / plane),
          max(1, fitting, min(wanted, Plan.explicitBudget / patchFloats)))
      }
      var groupCount = (batch + min(most, batch) - 1) / min(most, batch)
      let weightCount = max(1, g.outChannels * g.patchSize)
      var slotCount = Plan.powerOfTwo(atMost: min(groupCount, Plan.maxSlots, Plan.slotBudget / weightCount))
      // The same number of groups in every slot, and groups whose sizes differ by at most one
      // image, so that threads given the same number of groups get the same work: 128 images in
      // groups of at most 14 make 10 groups of 13 or 11 for 2 slots, not 9 of 14 and one of 2.
      groupCount = (groupCount + slotCount - 1) / slotCount * slotCount
      imagesPerGroup = (batch + groupCount - 1) / groupCount
      groups = (batch + imagesPerGroup - 1) / imagesPerGroup
      slotCount = min(slotCount, Plan.powerOfTwo(atMost: groups))
      slots = slotCount
      padded = PaddedConvolution(g, imagesPerGroup: imagesPerGroup)
      gemmProducts = padded == nil && g.patchSize >= Plan.gemmDepth
    }

    /// The largest power of two not above `count` (1 for `count <= 1`): slot counts split evenly
    /// over 2, 4 or 8 threads.
    static func powerOfTwo(atMost count: Int) -> Int {
      count <= 1 ? 1 : 1 << (Int.bitWidth - 1 - count.leadingZeroBitCount)
    }

    /// The images of group `index`.
    func images(ofGroup index: Int) -> Range<Int> {
      let start = index * imagesPerGroup
      return start..<min(geometry.batch, start + imagesPerGroup)
    }

    /// The groups of slot `index`.
    func groups(ofSlot index: Int) -> Range<Int> {
      (groups * index / slots)..<(groups * (index + 1) / slots)
    }

    /// Columns a group's explicit products run over: its pixels rounded up to whole 32-column
    /// tiles (the extra columns are zero).
    func paddedColumns(images: Int) -> Int {
      let columns = images * geometry.outPlane
      let width = ConvolutionKernels.tileColumns
      return (columns + width - 1) / width * width
    }

    /// Row stride of a group's matrices: ``paddedColumns(images:)`` plus 16, so that the rows are
    /// an odd number of half cache lines apart and a tile's rows spread over all L1 sets (a
    /// power-of-two stride such as 1024 floats would put them all in one set).
    func leadingDimension(images: Int) -> Int { paddedColumns(images: images) + 16 }
  }
}
