import XCTest
import _TestSupport

@testable import GrawaTensor

/// Convolution tiles with fewer rows than the variant's, and the cut of rows into weight panels.
final class ConvolutionShortTileTests: XCTestCase {
  func testPanelBounds_coverEveryRowOnceInNearlyEqualPanels() {
    for panelRows in [6, 8] {
      for rows in 1...70 {
        let count = (rows + panelRows - 1) / panelRows
        let panels = (0..<count).map {
          ConvolutionKernels.panelBounds($0, rows: rows, panelRows: panelRows)
        }
        XCTAssertEqual(panels.first?.lowerBound, 0)
        XCTAssertEqual(panels.last?.upperBound, rows)
        for (a, b) in zip(panels, panels.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
        let sizes = panels.map(\.count)
        XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1, "\(rows) rows in \(panelRows)")
        XCTAssertLessThanOrEqual(sizes.max()!, panelRows)
        XCTAssertGreaterThan(sizes.min()!, 0)
      }
    }
    // The ResNet channel counts on AVX2's 6-row tiles.
    XCTAssertEqual((0..<3).map { ConvolutionKernels.panelBounds($0, rows: 16, panelRows: 6).count }, [5, 5, 6])
    XCTAssertEqual((0..<6).map { ConvolutionKernels.panelBounds($0, rows: 32, panelRows: 6).count }, [5, 5, 6, 5, 5, 6])
  }

  /// Every row count of every variant's short tile gives the bits of the same rows computed by
  /// the full tile, with and without a bias, and writes nothing else; the panel's other rows
  /// (here not zero) are not read.
  func testShortTiles_giveTheBitsOfFullTiles() {
    check(AVX512Kernels.self)
    check(AVX2Kernels.self)
    check(NEONKernels.self)
    check(GenericKernels.self)
  }

  private func check<K: KernelShapes>(_: K.Type) {
    let rowsFull = K.convolutionRows
    let width = K.convolutionColumns / 2
    let depth = 37
    var random = TestRandom(seed: 5)
    // B: `depth` rows at scattered offsets; the second vector 40 floats after the first.
    let bCount = 4096
    let b = random.tensor([bCount]).scalars
    let offsets = (0..<depth).map { ($0 * 97) % (bCount - 64) }
    let a = random.tensor([depth * rowsFull]).scalars
    let bias = random.tensor([rowsFull]).scalars
    let ldc = 3 * width + 40
    for rows in 1..<rowsFull {
      for withBias in [false, true] {
        var full = [Float](repeating: .nan, count: rowsFull * ldc)
        var short = [Float](repeating: .nan, count: rowsFull * ldc)
        a.withUnsafeBufferPointer { pa in
          b.withUnsafeBufferPointer { pb in
            offsets.withUnsafeBufferPointer { po in
              bias.withUnsafeBufferPointer { pbias in
                let biasPointer = withBias ? pbias.baseAddress : nil
                full.withUnsafeMutableBufferPointer { c in
                  K.convolutionTile(
                    depth: depth, a: pa.baseAddress!, b: pb.baseAddress!, offsets: po.baseAddress!,
                    secondB: 40, c: c.baseAddress!, secondC: 2 * width, ldc: ldc,
                    bias: biasPointer)
                }
                short.withUnsafeMutableBufferPointer { c in
                  K.convolutionShortTile(
                    depth: depth, a: pa.baseAddress!, b: pb.baseAddress!, offsets: po.baseAddress!,
                    secondB: 40, c: c.baseAddress!, secondC: 2 * width, ldc: ldc, rows: rows,
                    bias: biasPointer)
                }
              }
            }
          }
        }
        var wrong = 0
        for r in 0..<rowsFull {
          for j in 0..<ldc {
            let written = j < width || (j >= 2 * width && j < 3 * width)
            let got = short[r * ldc + j]
            if r < rows && written {
              if got.bitPattern != full[r * ldc + j].bitPattern { wrong += 1 }
            } else if !got.isNaN {
              wrong += 1
            }
          }
        }
        XCTAssertEqual(wrong, 0, "\(K.self) \(rows) rows, bias \(withBias)")
      }
    }
  }
}
