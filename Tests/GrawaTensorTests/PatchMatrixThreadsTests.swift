import Foundation
import XCTest

@testable import GrawaTensor

/// The patch-matrix copies of one group on several threads (``Im2Col/forImageChunks``): every
/// float, padding columns included, the same as on one thread (whose results
/// `PatchMatrixTests` checks against the definitions), for every path (1x1, padded stride 1,
/// phase planes, subsampling), even and uneven image counts, 2 and 3 threads.
final class PatchMatrixThreadsTests: XCTestCase {
  private func geometry(
    images: Int, channels: Int, size: Int, kernel: Int, stride: Int, padding: Int
  ) -> ConvolutionGeometry {
    ConvolutionGeometry(
      batch: images, inChannels: channels, height: size, width: size, outChannels: 1,
      kernelHeight: kernel, kernelWidth: kernel, stride: stride, padding: padding)
  }

  /// Geometries whose copies are large enough to be threaded.
  private var geometries: [ConvolutionGeometry] {
    [
      geometry(images: 128, channels: 256, size: 2, kernel: 1, stride: 1, padding: 0),
      geometry(images: 37, channels: 512, size: 2, kernel: 1, stride: 1, padding: 0),
      geometry(images: 64, channels: 16, size: 8, kernel: 3, stride: 1, padding: 1),
      geometry(images: 17, channels: 8, size: 16, kernel: 3, stride: 2, padding: 1),
      geometry(images: 64, channels: 64, size: 8, kernel: 1, stride: 2, padding: 0),
    ]
  }

  private func values(_ count: Int) -> [Float] {
    (0..<count).map { i in i % 13 == 5 ? -0.0 : Float((i * 7919) % 2003) / 64 - 15 }
  }

  func testChunks_coverEveryImageOnceAndStayWholeWhenSmall() {
    var seen: [(Int, Int)] = []
    let lock = NSLock()
    Im2Col.forImageChunks(10, threads: 3, floats: Im2Col.threadedFloats) { first, count in
      lock.lock()
      seen.append((first, count))
      lock.unlock()
    }
    XCTAssertEqual(seen.sorted { $0.0 < $1.0 }.map { [$0.0, $0.1] }, [[0, 3], [3, 3], [6, 4]])
    var small: [(Int, Int)] = []
    Im2Col.forImageChunks(10, threads: 3, floats: Im2Col.threadedFloats - 1) { small.append(($0, $1)) }
    XCTAssertEqual(small.map { [$0.0, $0.1] }, [[0, 10]])
  }

  func testIm2colAndCol2im_sameBitsOnEveryThreadCount() {
    for g in geometries {
      XCTAssertGreaterThanOrEqual(g.patchSize * g.batch * g.outPlane, Im2Col.threadedFloats)
      let x = values(g.batch * g.inChannels * g.inPlane)
      let ld = g.batch * g.outPlane + 7
      let dcol = values(g.patchSize * ld)
      var results: [[UInt32]] = []
      for threads in [1, 2, 3] {
        var col = [Float](repeating: .nan, count: g.patchSize * ld)
        var dx = [Float](repeating: .nan, count: x.count)
        x.withUnsafeBufferPointer { input in
          col.withUnsafeMutableBufferPointer { out in
            Im2Col.im2col(
              g, input: input.baseAddress!, images: g.batch, col: out.baseAddress!, ld: ld,
              threads: threads)
          }
        }
        dcol.withUnsafeBufferPointer { source in
          dx.withUnsafeMutableBufferPointer { out in
            Im2Col.col2im(
              g, col: source.baseAddress!, ld: ld, images: g.batch, gradient: out.baseAddress!,
              threads: threads)
          }
        }
        results.append((col + dx).map(\.bitPattern))
      }
      XCTAssertFalse(results[0].contains(Float.nan.bitPattern), "\(g)")
      XCTAssertEqual(results[1], results[0], "\(g), 2 threads")
      XCTAssertEqual(results[2], results[0], "\(g), 3 threads")
    }
  }

  func testInterleaveAndDeinterleave_sameBitsOnEveryThreadCount() {
    for (rows, rowLength, images) in [(1024, 4, 128), (300, 16, 37), (64, 1, 1024)] {
      let src = values(images * rows * rowLength)
      let ld = images * rowLength + 5
      var results: [[UInt32]] = []
      for threads in [1, 2, 3] {
        var matrix = [Float](repeating: .nan, count: rows * ld)
        var back = [Float](repeating: .nan, count: src.count)
        src.withUnsafeBufferPointer { s in
          matrix.withUnsafeMutableBufferPointer { m in
            Im2Col.interleave(
              s.baseAddress!, rows: rows, rowLength: rowLength, images: images, into: m.baseAddress!,
              ld: ld, threads: threads)
          }
        }
        matrix.withUnsafeBufferPointer { m in
          back.withUnsafeMutableBufferPointer { b in
            Im2Col.deinterleave(
              m.baseAddress!, ld: ld, rows: rows, rowLength: rowLength, images: images,
              into: b.baseAddress!, threads: threads)
          }
        }
        XCTAssertEqual(back.map(\.bitPattern), src.map(\.bitPattern), "round trip, \(threads) threads")
        results.append(matrix.map(\.bitPattern))
      }
      XCTAssertFalse(results[0].contains(Float.nan.bitPattern))
      XCTAssertEqual(results[1], results[0], "\(rows)x\(rowLength)x\(images), 2 threads")
      XCTAssertEqual(results[2], results[0], "\(rows)x\(rowLength)x\(images), 3 threads")
    }
  }
}
