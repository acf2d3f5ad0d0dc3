#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The packed B of a whole product, shared by the workers of a row split.
///
/// When workers split C by rows, every one of them needs all of B. Packed separately, B would be
/// read and packed once per worker (on 2 cores, about a tenth of a 1024^3 product's time). Here
/// the whole packed B lives in one buffer, cut into chunks of a few column panels; a worker that
/// needs a block claims each of its chunks no one has claimed yet (an atomic exchange), packs it,
/// and marks it ready, then waits for the chunks the others claimed. Workers start at different
/// chunks, so they pack different ones, and only ever wait for a chunk a running thread is
/// packing: no worker waits for one that has not started, so a product whose workers end up
/// running one after the other on one thread still completes. Every chunk is packed exactly as
/// the per-worker packing would pack it, so results are bit-identical.
final class SharedPackedB: @unchecked Sendable {
  /// Column panels per chunk (one claim).
  static let panelsPerChunk = 4
  /// Largest packed B, in floats, shared this way (64 MB); larger products pack per worker.
  static let maximumFloats = 1 << 24

  private var storage: UnsafeMutableRawPointer?
  private var capacity = 0
  private var states: UnsafeMutablePointer<Atomic<Int>>?
  private var stateCapacity = 0

  /// The block layout of the current product.
  private var layout = Layout(k: 0, n: 0, kBlocks: 1, nc: 1, nr: 1)

  deinit {
    storage?.deallocate()
    if let states {
      states.deinitialize(count: stateCapacity)
      states.deallocate()
    }
  }

  /// Where the blocks of a product sit in the shared buffer: N blocks of `nc` columns outside, K
  /// blocks inside, each block `ceil(columns / nr)` panels of `kc x nr` floats.
  struct Layout {
    var k: Int
    var n: Int
    var kBlocks: Int
    var nc: Int
    var nr: Int

    var nBlocks: Int { (n + nc - 1) / nc }
    /// Floats of the whole packed B.
    var floats: Int { (n + nr - 1) / nr * nr * k }
    /// Chunks of the whole packed B.
    var chunks: Int { nBlocks * kBlocks * chunksPerBlock }
    var chunksPerBlock: Int {
      let panels = (nc + nr - 1) / nr
      return (panels + SharedPackedB.panelsPerChunk - 1) / SharedPackedB.panelsPerChunk
    }
    /// Columns of N block `jb`.
    func columns(_ jb: Int) -> Int { min(nc, n - jb * nc) }
    /// The first row and the rows of K block `kb`.
    func rows(_ kb: Int) -> (p0: Int, kc: Int) {
      let p0 = k * kb / kBlocks
      return (p0, k * (kb + 1) / kBlocks - p0)
    }
    /// Offset of block `(jb, kb)`: the N blocks before it hold all of K.
    func offset(_ jb: Int, _ kb: Int) -> Int {
      let panelsBefore = jb * ((nc + nr - 1) / nr)
      return panelsBefore * nr * k + rows(kb).p0 * ((columns(jb) + nr - 1) / nr * nr)
    }
  }

  /// Prepares for a product with this layout (all chunks unclaimed); returns `false` when its
  /// packed B is larger than ``maximumFloats``. Call before the workers start.
  func prepare(_ layout: Layout) -> Bool {
    guard layout.floats <= SharedPackedB.maximumFloats else { return false }
    self.layout = layout
    if capacity < layout.floats {
      storage?.deallocate()
      storage = UnsafeMutableRawPointer.allocate(
        byteCount: layout.floats * MemoryLayout<Float>.stride, alignment: kernelAlignment)
      capacity = layout.floats
    }
    if stateCapacity < layout.chunks {
      if let states {
        states.deinitialize(count: stateCapacity)
        states.deallocate()
      }
      let fresh = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: layout.chunks)
      for i in 0..<layout.chunks { (fresh + i).initialize(to: Atomic(0)) }
      states = fresh
      stateCapacity = layout.chunks
    }
    for i in 0..<layout.chunks { states![i].store(0, ordering: .relaxed) }
    return true
  }

  /// The packed block `(jb, kb)` of `op`'s B (`columns(jb) x kc`, panels of `nr` columns), packed
  /// here or by another worker; `start` spreads the workers over the chunks.
  func block<K: KernelShapes>(
    _ op: GEMMOperands, jb: Int, kb: Int, start: Int, _: K.Type
  ) -> UnsafeMutablePointer<Float> {
    let l = layout
    let base = storage!.assumingMemoryBound(to: Float.self) + l.offset(jb, kb)
    let (p0, kc) = l.rows(kb)
    let columns = l.columns(jb)
    let panels = (columns + l.nr - 1) / l.nr
    let chunks = (panels + SharedPackedB.panelsPerChunk - 1) / SharedPackedB.panelsPerChunk
    let first = (jb * l.kBlocks + kb) * l.chunksPerBlock
    let states = self.states!
    for step in 0..<chunks {
      let chunk = (start + step) % chunks
      guard states[first + chunk].load(ordering: .relaxed) == 0,
        states[first + chunk].compareExchange(expected: 0, desired: 1, ordering: .relaxed).exchanged
      else { continue }
      let panel = chunk * SharedPackedB.panelsPerChunk
      let j0 = panel * l.nr
      gemmPackB(
        K.self, transposed: op.transposeB, op.b, ldb: op.ldb, p0: p0, kc: kc,
        j0: jb * l.nc + j0, nc: min(columns - j0, SharedPackedB.panelsPerChunk * l.nr),
        into: base + panel * l.nr * kc)
      states[first + chunk].store(2, ordering: .releasing)
    }
    for chunk in 0..<chunks {
      var spins = 0
      while states[first + chunk].load(ordering: .acquiring) != 2 {
        spins += 1
        if spins > 1000 { sched_yield() }
      }
    }
    return base
  }

  /// Each coordinating thread's buffer, released when the thread exits.
  private static let perThread = PerThreadObject { SharedPackedB() }

  /// The calling thread's shared buffer (created on first use, kept until the thread exits). Only
  /// the thread coordinating a product uses its own; a GEMM never starts another from inside.
  static var current: SharedPackedB { perThread.current }
}
