import GrawaData
import GrawaDistributed
import GrawaNN
import GrawaTensor
import GrawaExperiments
import XCTest

final class LossSurfaceTests: XCTestCase {
  /// Softmax regression, 3 inputs -> 3 classes (12 parameters), on 6 fixed samples.
  private func surface() throws -> (LossSurface, [Float]) {
    var generator = RandomGenerator(seed: 4)
    let model = Sequential([Flatten(), Linear(inputFeatures: 3, outputFeatures: 3, generator: &generator)])
    let images = try Tensor(
      shape: [6, 1, 1, 3], scalars: [0.5, -1, 2, 1, 0.3, -0.7, -1.2, 0.8, 0.1, 0.9, 0.9, -0.4, 0, -0.5, 1.5, 2, 1, 1])
    let batch = Batch(index: 0, images: images, labels: [0, 1, 2, 0, 1, 2], sampleIndices: Array(0..<6))
    return (LossSurface(model: model, batches: [batch]), model.parameters.flatMap(\.value.scalars))
  }

  func testGradient_matchesFiniteDifferencesOfTheLoss() throws {
    let (surface, x) = try surface()
    let gradient = try surface.evaluate(at: x).gradient
    let h: Float = 1e-2
    for i in 0..<x.count {
      var plus = x
      var minus = x
      plus[i] += h
      minus[i] -= h
      let numeric = (try surface.evaluate(at: plus).loss - surface.evaluate(at: minus).loss) / Double(2 * h)
      XCTAssertEqual(gradient[i], numeric, accuracy: 2e-3, "parameter \(i)")
    }
  }

  /// The explicit Hessian from second differences of the loss itself, independent of the
  /// gradient code the Hessian-vector product uses:
  /// H_ij = (L(x+h e_i+h e_j) - L(x+h e_i-h e_j) - L(x-h e_i+h e_j) + L(x-h e_i-h e_j)) / (4 h^2).
  private func explicitHessian(of surface: LossSurface, at x: [Float], step h: Float) throws -> [[Double]] {
    func loss(_ di: Int, _ si: Float, _ dj: Int, _ sj: Float) throws -> Double {
      var point = x
      point[di] += si * h
      point[dj] += sj * h
      return try surface.evaluate(at: point).loss
    }
    let n = x.count
    var hessian = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
    for i in 0..<n {
      for j in i..<n {
        let value = try loss(i, 1, j, 1) - loss(i, 1, j, -1) - loss(i, -1, j, 1) + loss(i, -1, j, -1)
        hessian[i][j] = value / Double(4 * h * h)
        hessian[j][i] = hessian[i][j]
      }
    }
    return hessian
  }

  func testHessianVectorProduct_matchesTheExplicitFiniteDifferenceHessian() throws {
    let (surface, x) = try surface()
    let n = x.count
    let hessian = try explicitHessian(of: surface, at: x, step: 5e-2)
    var random = RandomGenerator(seed: 9)
    let v = (0..<n).map { _ in random.nextNormal() }
    let product = try surface.hessianVectorProduct(at: x, v, step: 1e-2)
    let expected = hessian.map { row in zip(row, v).reduce(0) { $0 + $1.0 * $1.1 } }
    let scale = expected.map(abs).max() ?? 1
    for (found, want) in zip(product, expected) {
      XCTAssertEqual(found, want, accuracy: 0.02 * scale)
    }
    // Softmax regression's Hessian is positive semi-definite: v^T H v >= 0.
    XCTAssertGreaterThanOrEqual(zip(product, v).reduce(0) { $0 + $1.0 * $1.1 }, -1e-3)
  }

  /// A network with a hidden ReLU layer, 3 -> 4 -> 3 (31 parameters), at a point where no hidden
  /// pre-activation is near the kink, so the loss is smooth around it: the finite-difference
  /// Hessian-vector product matches the explicit Hessian there, including the blocks that couple
  /// the two layers.
  func testHessianVectorProduct_ofATwoLayerNetwork_matchesTheExplicitHessian() throws {
    let images = try Tensor(
      shape: [6, 1, 1, 3], scalars: [0.5, -1, 2, 1, 0.3, -0.7, -1.2, 0.8, 0.1, 0.9, 0.9, -0.4, 0, -0.5, 1.5, 2, 1, 1])
    let batch = Batch(index: 0, images: images, labels: [0, 1, 2, 0, 1, 2], sampleIndices: Array(0..<6))
    // The first seed whose hidden pre-activations all stay at least 0.25 from zero.
    var chosen: (Sequential, [Float])?
    for seed in UInt64(0)..<200 where chosen == nil {
      var generator = RandomGenerator(seed: seed)
      let hidden = Linear(inputFeatures: 3, outputFeatures: 4, generator: &generator)
      let model = Sequential([Flatten(), hidden, ReLU(), Linear(inputFeatures: 4, outputFeatures: 3, generator: &generator)])
      let preActivations = try hidden(images.reshaped(to: [6, 3]), ForwardContext(mode: .inference))
      if preActivations.scalars.allSatisfy({ abs($0) >= 0.25 }) {
        chosen = (model, model.parameters.flatMap(\.value.scalars))
      }
    }
    let (model, x) = try XCTUnwrap(chosen, "no seed in 0..<200 gives pre-activations away from the kink")
    XCTAssertEqual(x.count, 31)
    let surface = LossSurface(model: model, batches: [batch])
    let n = x.count
    let hessian = try explicitHessian(of: surface, at: x, step: 1e-2)
    // The network's Hessian couples its layers: some entry between a first-layer and a
    // second-layer parameter is clearly non-zero (else this test would only see a linear model).
    XCTAssertGreaterThan((0..<16).flatMap { i in (16..<n).map { abs(hessian[i][$0]) } }.max() ?? 0, 0.05)
    var random = RandomGenerator(seed: 9)
    for _ in 0..<3 {
      let v = (0..<n).map { _ in random.nextNormal() }
      let product = try surface.hessianVectorProduct(at: x, v, step: 1e-2)
      let expected = hessian.map { row in zip(row, v).reduce(0) { $0 + $1.0 * $1.1 } }
      let scale = expected.map(abs).max() ?? 1
      for (index, (found, want)) in zip(product, expected).enumerated() {
        XCTAssertEqual(found, want, accuracy: 0.03 * scale, "component \(index)")
      }
    }
  }
}
