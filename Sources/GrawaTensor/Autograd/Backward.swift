extension Tensor {
  /// Back-propagates from this one-element tensor (seed gradient 1), accumulating gradients into
  /// every leaf it depends on.
  ///
  /// The traversal is iterative and visits nodes in decreasing creation order, which is a
  /// deterministic reverse topological order: the same computation always accumulates gradients
  /// in the same order, and a graph of any depth uses no call stack. The graph is released
  /// afterwards (like PyTorch without `retain_graph`), so intermediate tensors are freed.
  /// - Throws: ``TensorError`` when the tensor is not a single element, or its graph was already
  ///   consumed by an earlier backward pass.
  public func backward() throws {
    guard count == 1 else {
      throw TensorError(
        "backward", "needs a one-element tensor (a loss), got shape \(describe(shape)); use backward(seed:)")
    }
    try backward(seed: Tensor(validShape: shape, scalars: [1]))
  }

  /// Back-propagates `seed` (the gradient of some scalar with respect to this tensor).
  /// - Throws: ``TensorError`` when `seed` has another shape, or the graph was already consumed.
  public func backward(seed: Tensor) throws {
    guard seed.shape == shape else {
      throw TensorError("backward", "seed shape \(describe(seed.shape)) differs from tensor shape \(describe(shape))")
    }
    guard let root = node else {
      throw TensorError("backward", "tensor does not require gradients (no input was requiringGradient())")
    }
    if root.isReleased {
      throw TensorError("backward", "graph was already consumed by an earlier backward pass")
    }
    // Collect every node reachable from the root, without recursion.
    var order: [GradNode] = []
    var seen: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
    var stack: [GradNode] = [root]
    while let current = stack.popLast() {
      // A node consumed by an earlier backward pass has lost its closure: going on would silently
      // drop the gradient that should flow through it, so refuse before changing anything.
      if current.isReleased {
        throw TensorError(
          "backward",
          "the graph through '\(current.operation)' was already consumed by an earlier backward pass")
      }
      order.append(current)
      for case let input? in current.inputs where seen.insert(ObjectIdentifier(input)).inserted {
        stack.append(input)
      }
    }
    order.sort { $0.sequence > $1.sequence }
    var position: [ObjectIdentifier: Int] = [:]
    position.reserveCapacity(order.count)
    for (index, node) in order.enumerated() { position[ObjectIdentifier(node)] = index }

    var pending = [Tensor?](repeating: nil, count: order.count)
    pending[0] = seed.detached()
    for index in order.indices {
      let current = order[index]
      guard let gradient = pending[index] else { continue }
      pending[index] = nil
      if current.isLeaf {
        if var existing = current.grad {
          current.grad = nil  // keep `existing` uniquely referenced: add in place, no copy
          existing.addInPlace(gradient)
          current.grad = existing
        } else {
          current.grad = gradient
        }
        continue
      }
      let inputs = current.inputs
      let inputGradients =
        OpProfiler.isEnabled
        ? OpProfiler.timeBackward(current.operation) { current.propagate(gradient) }
        : current.propagate(gradient)
      current.release()
      for (input, inputGradient) in zip(inputs, inputGradients) {
        guard let input, let inputGradient else { continue }
        assert(inputGradient.shape == input.shape, "\(current.operation): gradient shape mismatch")
        guard let target = position[ObjectIdentifier(input)] else { continue }
        if var existing = pending[target] {
          pending[target] = nil  // keep `existing` uniquely referenced: add in place, no copy
          existing.addInPlace(inputGradient)
          pending[target] = existing
        } else {
          pending[target] = inputGradient.detached()
        }
      }
    }
  }
}
