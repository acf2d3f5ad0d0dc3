// The patch-matrix copies of one group of images on the threads the group was given.
//
// A convolution whose whole batch fits one group (a 1x1 layer on 2x2 maps: 128 images of 4
// pixels) runs that group with all threads inside its products, and its copies (im2col, the
// output's interleave and deinterleave, col2im) used to run on the calling thread alone. Every
// copy writes each image's columns or planes independently of the others, so the images are
// split into one contiguous chunk per thread (``forImageChunks`` decides whether it pays); the
// columns past the images are zeroed first, once, by the calling thread.
// The same code fills every element, in the same order for each image: the results do not depend
// on the thread count.

extension Im2Col {
  /// Below this many floats moved, a copy stays on the calling thread (waking the others costs
  /// about as much as copying this much).
  static let threadedFloats = 1 << 16

  /// Runs `body(first, count)` for `images` images cut into at most `threads` contiguous chunks,
  /// in parallel, when `floats` is at least ``threadedFloats``; otherwise once for all images.
  static func forImageChunks(
    _ images: Int, threads: Int, floats: Int, _ body: (Int, Int) -> Void
  ) {
    let chunks = floats >= threadedFloats ? min(threads, images) : 1
    if chunks <= 1 { return body(0, images) }
    parallelFor(chunks, threads: chunks) { chunk in
      let first = images * chunk / chunks
      let end = images * (chunk + 1) / chunks
      if end > first { body(first, end - first) }
    }
  }

  /// ``im2col(_:input:images:col:ld:padColumns:)`` on up to `threads` threads.
  static func im2col(
    _ g: ConvolutionGeometry, input: UnsafePointer<Float>, images: Int,
    col: UnsafeMutablePointer<Float>, ld: Int, threads: Int
  ) {
    let used = images * g.outPlane
    for row in 0..<g.patchSize { zero(col + row * ld + used, count: ld - used) }
    forImageChunks(images, threads: threads, floats: g.patchSize * used) { first, count in
      im2col(
        g, input: input + first * g.inChannels * g.inPlane, images: count,
        col: col + first * g.outPlane, ld: ld, padColumns: false)
    }
  }

  /// ``col2im(_:col:ld:images:gradient:)`` on up to `threads` threads.
  static func col2im(
    _ g: ConvolutionGeometry, col: UnsafePointer<Float>, ld: Int, images: Int,
    gradient: UnsafeMutablePointer<Float>, threads: Int
  ) {
    let floats = g.patchSize * images * g.outPlane
    forImageChunks(images, threads: threads, floats: floats) { first, count in
      col2im(
        g, col: col + first * g.outPlane, ld: ld, images: count,
        gradient: gradient + first * g.inChannels * g.inPlane)
    }
  }

  /// ``interleave(_:rows:rowLength:images:into:ld:padColumns:)`` on up to `threads` threads.
  static func interleave(
    _ src: UnsafePointer<Float>, rows: Int, rowLength: Int, images: Int,
    into dst: UnsafeMutablePointer<Float>, ld: Int, threads: Int
  ) {
    let used = images * rowLength
    for r in 0..<rows { zero(dst + r * ld + used, count: ld - used) }
    forImageChunks(images, threads: threads, floats: rows * used) { first, count in
      interleave(
        src + first * rows * rowLength, rows: rows, rowLength: rowLength, images: count,
        into: dst + first * rowLength, ld: ld, padColumns: false)
    }
  }

  /// ``deinterleave(_:ld:rows:rowLength:images:into:)`` on up to `threads` threads.
  static func deinterleave(
    _ src: UnsafePointer<Float>, ld: Int, rows: Int, rowLength: Int, images: Int,
    into dst: UnsafeMutablePointer<Float>, threads: Int
  ) {
    forImageChunks(images, threads: threads, floats: rows * images * rowLength) { first, count in
      deinterleave(
        src + first * rowLength, ld: ld, rows: rows, rowLength: rowLength, images: count,
        into: dst + first * rows * rowLength)
    }
  }
}
