import GrawaNN
import GrawaTensor

// Losses whose gradients are known in closed form, to drive optimizers in tests.

/// Replaces `parameter`'s gradient with exactly `c`, by back-propagating the linear loss
/// sum(c * x) (its gradient with respect to x is c, whatever x is).
func setGradient(_ parameter: Parameter, _ c: [Float]) throws {
  parameter.zeroGradient()
  let weights = try Tensor(shape: parameter.shape, scalars: c)
  try (parameter.value * weights).sum().backward()
}

/// Back-propagates the quadratic f(x) = 0.5 * sum_i a_i x_i^2 over several parameters (gradient
/// a * x) and returns f.
func quadraticLoss(_ parameters: [Parameter], curvatures: [[Float]]) throws -> Float {
  var total: Tensor?
  for (parameter, a) in zip(parameters, curvatures) {
    let term = try (Tensor(shape: parameter.shape, scalars: a) * parameter.value * parameter.value)
      .sum()
    total = try total.map { try $0 + term } ?? term
  }
  guard let loss = total?.scaled(by: 0.5) else { return 0 }
  try loss.backward()
  return loss.scalar
}

/// New parameters holding copies of `parameters`' values (fresh gradient leaves).
func copies(of parameters: [Parameter]) -> [Parameter] {
  parameters.map { Parameter($0.value) }
}
