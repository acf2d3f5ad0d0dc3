import GrawaNN
import GrawaTensor
import XCTest
import _TestSupport

@testable import GrawaOptim

/// The vectorised update kernels: SIMD bodies and scalar tails agree with a plain scalar
/// reference, and splitting large parameters across threads changes no bit.
final class UpdateKernelsTests: XCTestCase {
  /// The PyTorch SGD update of one element, in Double, as a reference.
  private struct ReferenceSGD {
    var learningRate: Double
    var momentum: Double
    var weightDecay: Double
    var dampening: Double
    var nesterov: Bool

    func step(x: inout [Double], gradient: [Double], buffer: inout [Double]?) {
      var g = zip(gradient, x).map { $0 + weightDecay * $1 }
      if momentum != 0 {
        if let old = buffer {
          buffer = zip(old, g).map { momentum * $0 + (1 - dampening) * $1 }
        } else {
          buffer = g
        }
        let b = buffer ?? g
        g = nesterov ? zip(g, b).map { $0 + momentum * $1 } : b
      }
      x = zip(x, g).map { $0 - learningRate * $1 }
    }
  }

  func testSGDKernel_matchesScalarReferenceOnSIMDBodyAndTail() throws {
    // 37 = two SIMD16 vectors and a 5-element tail; 5 = tail only; 48 = vectors only.
    let settings: [(Float, Float, Float, Float, Bool)] = [
      (0.1, 0, 0, 0, false), (0.05, 0.9, 1e-2, 0, true), (0.2, 0.8, 0, 0.3, false),
    ]
    for (lr, mu, wd, damp, nesterov) in settings {
      var random = TestRandom(seed: 11)
      let shapes = [[37], [5], [3, 16]]
      let parameters = shapes.map { Parameter(random.tensor($0)) }
      let sgd = try SGD(
        parameters: parameters, learningRate: lr, momentum: mu, weightDecay: wd,
        nesterov: nesterov, dampening: damp)
      let reference = ReferenceSGD(
        learningRate: Double(lr), momentum: Double(mu), weightDecay: Double(wd),
        dampening: Double(damp), nesterov: nesterov)
      var xs = parameters.map { $0.value.scalars.map(Double.init) }
      var buffers = [[Double]?](repeating: nil, count: parameters.count)
      for _ in 0..<4 {
        for (index, parameter) in parameters.enumerated() {
          let g = random.uniforms(parameter.count)
          try setGradient(parameter, g)
          reference.step(x: &xs[index], gradient: g.map(Double.init), buffer: &buffers[index])
        }
        try sgd.step()
      }
      for (index, parameter) in parameters.enumerated() {
        assertClose(
          parameter.value.scalars, xs[index].map(Float.init), rtol: 1e-5, atol: 1e-6,
          "parameter \(index), lr \(lr) mu \(mu) wd \(wd) dampening \(damp) nesterov \(nesterov)")
      }
    }
  }

  func testSGDKernel_isBitIdenticalWithAnyThreadCount() throws {
    // 300,001 elements: above the parallel threshold, with a ragged last chunk and tail.
    let count = 300_001
    XCTAssertGreaterThan(count, UpdateKernels.parallelThreshold)
    var random = TestRandom(seed: 5)
    let initial = random.tensor([count])
    let gradients = (0..<3).map { _ in random.uniforms(count) }
    func run(threads: Int) throws -> [Float] {
      let x = Parameter(initial)
      let sgd = try SGD(
        parameters: [x], learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4, nesterov: true)
      try ComputeThreads.withLimit(threads) {
        for g in gradients {
          try setGradient(x, g)
          try sgd.step()
        }
      }
      return x.value.scalars
    }
    let serial = try run(threads: 1)
    XCTAssertEqual(try run(threads: 2), serial)
    XCTAssertEqual(try run(threads: 5), serial)
    XCTAssertNotEqual(serial, initial.scalars)
  }

  func testSaveAndPerturb_savesXAndRoundsTheProductBeforeAdding() {
    // saved = x; x = x + (g * s): 37 elements (SIMD body and tail) against the same two roundings.
    var random = TestRandom(seed: 3)
    let original = random.uniforms(37)
    let g = random.uniforms(37)
    let scale: Float = 0.37
    var x = original
    var saved = [Float](repeating: 0, count: 37)
    g.withUnsafeBufferPointer { pg in
      x.withUnsafeMutableBufferPointer { px in
        saved.withUnsafeMutableBufferPointer { ps in
          UpdateKernels.saveAndPerturb(
            px.start, gradient: pg.start, scale: scale, saved: ps.start, count: 37)
        }
      }
    }
    let expected = zip(original, g).map { xi, gi in
      let e = gi * scale
      return xi + e
    }
    XCTAssertEqual(x, expected)
    XCTAssertEqual(saved, original)
  }
}
