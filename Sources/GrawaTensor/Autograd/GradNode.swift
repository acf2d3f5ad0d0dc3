import Synchronization

/// One node of the reverse-mode gradient graph.
///
/// A node is either a *leaf* (a tensor made with `requiringGradient()`; its gradient accumulates
/// in ``grad``) or the record of one operation: the nodes of its inputs and a closure mapping the
/// gradient of the output to the gradients of those inputs. Nodes are numbered in creation order,
/// and every operation's node is created after its inputs' nodes, so sorting by decreasing
/// ``sequence`` is a valid reverse topological order — the backward pass needs no recursion.
final class GradNode {
  /// Creation stamp, unique and increasing across the process.
  let sequence: Int
  /// Shape of the tensor this node produced.
  let shape: [Int]
  /// The operation's name, for error messages and debugging.
  let operation: String
  /// Input nodes, aligned with the closure's results; `nil` where an input needs no gradient.
  private(set) var inputs: [GradNode?]
  /// Maps the output gradient to one gradient per input (`nil` to skip). Cleared after use.
  private(set) var backward: ((Tensor) -> [Tensor?])?
  /// Accumulated gradient of a leaf.
  var grad: Tensor?
  /// Whether this node is a leaf.
  let isLeaf: Bool

  private static let counter = Atomic<Int>(0)

  private static func nextSequence() -> Int {
    counter.wrappingAdd(1, ordering: .relaxed).newValue
  }

  /// A leaf node for a tensor of `shape`.
  init(leafShape shape: [Int]) {
    self.sequence = GradNode.nextSequence()
    self.shape = shape
    self.operation = "leaf"
    self.inputs = []
    self.backward = nil
    self.isLeaf = true
  }

  /// An operation node.
  init(operation: String, shape: [Int], inputs: [GradNode?], backward: @escaping (Tensor) -> [Tensor?]) {
    self.sequence = GradNode.nextSequence()
    self.shape = shape
    self.operation = operation
    self.inputs = inputs
    self.backward = backward
    self.isLeaf = false
  }

  /// Frees the closure and the references to inputs (and the tensors they captured).
  func release() {
    backward = nil
    inputs = []
  }

  /// Whether this node was already consumed by a backward pass.
  var isReleased: Bool { !isLeaf && backward == nil }

  /// Runs the backward closure.
  func propagate(_ gradient: Tensor) -> [Tensor?] {
    guard let backward else { return [] }
    return backward(gradient)
  }
}
