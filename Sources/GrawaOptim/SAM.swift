import GrawaNN
import GrawaTensor
import Synchronization

/// Numbers every ascent of every ``SAM`` in the process, so a token fits only its own ascent.
private let ascentCounter = Atomic<Int>(0)

/// Sharpness-aware minimisation around a base optimizer (Foret, Kleiner, Mobahi and Neyshabur,
/// "Sharpness-Aware Minimization for Efficiently Improving Generalization", ICLR 2021, eq. 2 and
/// Algorithm 1); written for this package from the paper's description.
///
/// With the gradient g of the loss already accumulated at x, one ``step(recomputingLoss:)``:
/// 1. ascends: e = rho * g / (||g|| + 1e-12), where ||g|| is the L2 norm of all parameters'
///    gradients together, and moves to x + e (``ascend()``; it also clears the gradients);
/// 2. calls the closure, which recomputes the loss and the gradients at x + e;
/// 3. descends: restores the saved x exactly (copied back, not `x + e - e`, which could drift by a
///    rounding) and lets the base optimizer step at x with the gradients from x + e
///    (``descend(from:)``).
///
/// In a data-parallel run (DP+SAM, docs/algorithms.md, "Strategies") ``step(computing:)`` declares only the
/// x + e gradients final, so the engine averages those across workers while each worker's e comes
/// from its own local gradient.
/// Between the two halves SAM holds a copy of x (reused from step to step); it keeps nothing else,
/// so its checkpoint state is the base optimizer's.
public final class SAM<Base: Optimizer>: Optimizer {
  /// The optimizer applied at x with the gradients from x + e.
  public let base: Base
  /// rho, the radius of the neighbourhood the ascent step explores (>= 0; 0.05 in the paper).
  public let rho: Float
  /// The constant added to ||g|| before dividing, as in the authors' code.
  public static var normEpsilon: Double { 1e-12 }

  /// x of the moved parameters during an ascent; the storage is kept for the next step.
  private var savedValues: [[Float]] = []
  /// Which parameters the pending ascent moved, and its number; `nil` when none is pending.
  private var pending: (ascent: Int, moved: [Bool])?

  /// SAM with neighbourhood radius `rho` around `base`.
  /// - Throws: ``OptimizerError`` when `rho` is negative or not finite.
  public init(base: Base, rho: Float = 0.05) throws {
    guard rho.isFinite, rho >= 0 else {
      throw OptimizerError("SAM", "invalid rho \(rho): must be >= 0")
    }
    self.base = base
    self.rho = rho
  }

  /// The base optimizer's parameters.
  public var parameters: [Parameter] { base.parameters }

  /// The base optimizer's learning rate.
  public var learningRate: Float {
    get { base.learningRate }
    set { base.learningRate = newValue }
  }

  /// The number of completed SAM steps (each is one base step).
  public var stepCount: Int { base.stepCount }

  /// Whether an ``ascend()`` awaits its ``descend(from:)`` (the parameters are at x + e).
  public var isAscentPending: Bool { pending != nil }

  /// Clears every parameter's gradient.
  public func zeroGradients() { base.zeroGradients() }

  /// SAM cannot step from one gradient: it needs to recompute the gradients at its ascent point.
  /// - Throws: always an ``OptimizerError`` that says to use ``step(computing:)`` or
  ///   ``step(recomputingLoss:)``; nothing is changed.
  public func step() throws {
    throw OptimizerError(
      "SAM", "a SAM step recomputes the gradients at x + e: call step(computing:) or step(recomputingLoss:)")
  }

  /// One full SAM step driven by a training loop: gradients at x, ascent, gradients at x + e
  /// (declared final there, so a distributed run averages those and not the ascent's), descent.
  /// - Returns: the loss at x.
  /// - Throws: what the computation, ``ascend()`` or ``descend(from:)`` throws; if the second
  ///   computation throws, the parameters are restored to x first.
  public func step(computing computation: some GradientComputation) throws -> Float {
    let loss = try computation.computeGradients()
    let perturbation = try ascend()
    do {
      _ = try computation.computeGradients()
      try computation.gradientsAreFinal()
    } catch {
      cancelAscent()
      throw error
    }
    try descend(from: perturbation)
    return loss
  }

  /// One full SAM step (ascend, recompute, descend).
  /// - Parameter recomputingLoss: runs the forward and backward pass at the perturbed parameters
  ///   (their gradients were cleared just before) and returns the loss there.
  /// - Returns: the closure's loss, at x + e.
  /// - Throws: what ``ascend()``, the closure or ``descend(from:)`` throws. If the closure throws,
  ///   the parameters are restored to x before the error propagates.
  public func step(recomputingLoss: () throws -> Float) throws -> Float {
    let perturbation = try ascend()
    let loss: Float
    do {
      loss = try recomputingLoss()
    } catch {
      cancelAscent()
      throw error
    }
    try descend(from: perturbation)
    return loss
  }

  /// The first half of a step: saves x, moves every parameter with a gradient to x + e with
  /// e = rho * g / (||g|| + 1e-12), and clears the gradients for the pass at x + e.
  ///
  /// A parameter without a gradient adds nothing to ||g|| and is not moved.
  /// - Returns: the token ``descend(from:)`` takes, with ||g|| and the scale of e.
  /// - Throws: ``OptimizerError`` when an ascent is already pending, no parameter has a gradient,
  ///   a gradient's size differs from its parameter's, or ||g|| is not finite (a diverged run);
  ///   nothing is changed then.
  public func ascend() throws -> SAMPerturbation {
    guard pending == nil else {
      throw OptimizerError(
        "SAM", "ascend() called again before descend(from:) or cancelAscent() of the last one")
    }
    let parameters = base.parameters
    let gradients = parameters.map(\.gradient)
    var sumOfSquares: Double = 0
    for (index, gradient) in gradients.enumerated() {
      guard let gradient else { continue }
      guard gradient.count == parameters[index].count else {
        throw OptimizerError(
          "SAM",
          "gradient of parameter \(index) has \(gradient.count) elements, the parameter has "
            + "\(parameters[index].count)")
      }
      sumOfSquares += gradient.withUnsafeScalars {
        ElementwiseKernels.sumOfSquares($0.start, count: $0.count)
      }
    }
    guard gradients.contains(where: { $0 != nil }) else {
      throw OptimizerError(
        "SAM", "no parameter has a gradient: run a backward pass before ascend()")
    }
    let norm = sumOfSquares.squareRoot()
    guard norm.isFinite else {
      throw OptimizerError("SAM", "the gradient norm is not finite (\(norm)): the run diverged")
    }
    let scale = Float(Double(rho) / (norm + SAM.normEpsilon))
    if savedValues.count != parameters.count {
      savedValues = Array(repeating: [], count: parameters.count)
    }
    for (index, parameter) in parameters.enumerated() {
      guard let gradient = gradients[index] else { continue }
      let count = parameter.count
      var saved = savedValues[index]
      savedValues[index] = []  // keep `saved` uniquely referenced: reuse its storage in place
      if saved.count != count {
        saved = [Float](repeating: 0, count: count)
      }
      gradient.withUnsafeScalars { g in
        parameter.value.withUnsafeMutableScalars { x in
          saved.withUnsafeMutableBufferPointer { copy in
            UpdateKernels.saveAndPerturb(
              x.start, gradient: g.start, scale: scale, saved: copy.start, count: count)
          }
        }
      }
      savedValues[index] = saved
      parameter.zeroGradient()
    }
    let ascent = ascentCounter.wrappingAdd(1, ordering: .relaxed).newValue
    pending = (ascent, gradients.map { $0 != nil })
    return SAMPerturbation(ascent: ascent, gradientNorm: norm, scale: scale)
  }

  /// The second half of a step: restores x exactly (copied back from the saved values), then
  /// steps the base optimizer with the gradients the parameters now hold (computed at x + e).
  /// - Throws: ``OptimizerError`` when `perturbation` is not the pending ascent's (x is left
  ///   untouched then), or what the base step throws (x is restored then).
  public func descend(from perturbation: SAMPerturbation) throws {
    guard let pending else {
      throw OptimizerError("SAM", "descend(from:) without a pending ascend()")
    }
    guard pending.ascent == perturbation.ascent else {
      throw OptimizerError(
        "SAM",
        "descend(from:) got ascent \(perturbation.ascent), but the pending ascent is "
          + "\(pending.ascent)")
    }
    cancelAscent()
    try base.step()
  }

  /// Abandons the pending ascent, if any: puts x back exactly, without a base step.
  public func cancelAscent() {
    guard let pending else { return }
    for (index, parameter) in base.parameters.enumerated() where pending.moved[index] {
      savedValues[index].withUnsafeBufferPointer { source in
        parameter.value.withUnsafeMutableScalars { target in
          target.start.update(from: source.start, count: min(source.count, target.count))
        }
      }
    }
    self.pending = nil
  }

  /// The base optimizer's state (SAM itself keeps none between steps).
  public func exportState() -> OptimizerState { base.exportState() }

  /// Imports `state` into the base optimizer.
  /// - Throws: what the base optimizer's ``Optimizer/importState(_:)`` throws.
  public func importState(_ state: OptimizerState) throws { try base.importState(state) }
}

/// What ``SAM/ascend()`` returns: the token ``SAM/descend(from:)`` takes, and the size of the
/// ascent step.
public struct SAMPerturbation: Sendable, Equatable {
  /// The ascent's number, unique in the process (tokens of other ascents are rejected).
  public let ascent: Int
  /// ||g||, the global L2 norm of the gradients at x (computed in Double).
  public let gradientNorm: Double
  /// rho / (||g|| + 1e-12): each parameter moved by e = scale * g.
  public let scale: Float
}
