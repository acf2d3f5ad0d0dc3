/// Counts the multiply-adds of the matrix products under convolutions and matrix
/// multiplications (forward and backward) that the calling thread runs, for figures given as a
/// fraction of the machine's FMA peak.
///
/// A product counts the multiply-adds of its definition that do not involve padding:
/// `N * Cout * Cin` times the (output pixel, kernel tap) pairs whose tap falls inside the image
/// (`OH * OW * KH * KW` less the taps on the zero border) for each pass of a convolution (forward,
/// input gradient, weight gradient, each only when it runs), and `m * n * k` for a matrix
/// product. Work the kernels add on top (taps on the padding, zero columns of a patch matrix, the
/// extra columns of padded rows) is not counted, so the fraction of peak describes useful work. Elementwise operations, batch norm and pooling count nothing.
public enum MultiplyAddCounter {
  private static let active = ThreadLocalInt()
  private static let total = ThreadLocalInt()

  /// Runs `body` and returns the multiply-adds its products ran on this thread, with the result.
  public static func counting<R>(_ body: () throws -> R) rethrows -> (multiplyAdds: Int, result: R) {
    let (savedActive, savedTotal) = (active.value, total.value)
    active.value = 1
    total.value = 0
    defer { (active.value, total.value) = (savedActive, savedTotal + total.value) }
    let result = try body()
    return (total.value, result)
  }

  /// Adds `count` multiply-adds when this thread is counting.
  @inline(__always)
  static func add(_ count: Int) {
    if active.value != 0 { total.value &+= count }
  }
}
