import Grawa

/// Three Gaussian blobs in four dimensions (class c has mean 2 in coordinate c): 512 training and
/// 256 test samples. Stands in for the user's own data in the README's program (main.swift, a
/// copy of the README's code block that a test of swift-grawa keeps identical to it).
func loadMyData() throws -> (Tensor, [Int], Tensor, [Int]) {
  var generator = RandomGenerator(seed: 1)
  func blobs(_ count: Int) throws -> (Tensor, [Int]) {
    let labels = (0..<count).map { $0 % 3 }
    let values = labels.flatMap { label in (0..<4).map { Float(($0 == label ? 2 : 0) + generator.nextNormal()) } }
    return (try Tensor(shape: [count, 4], scalars: values), labels)
  }
  let (inputs, labels) = try blobs(512)
  let (testInputs, testLabels) = try blobs(256)
  return (inputs, labels, testInputs, testLabels)
}
