// The README's first library example, compiled and runnable:
//   swift run -c release -Xswiftc -target-cpu -Xswiftc native tensor-basics
import GrawaTensor

var random = RandomGenerator(seed: 42)
let x = Tensor.randomNormal([8, 3, 32, 32], using: &random)
let w = Tensor.kaimingNormal([16, 3, 3, 3], using: &random).requiringGradient()
let logits = try x.conv2d(weight: w, padding: 1).relu().globalAvgPool2d()
let loss = try logits.crossEntropy(labels: [0, 1, 2, 3, 4, 5, 6, 7].map { $0 % 16 })
try loss.backward()
print(w.gradient?.shape ?? [])  // [16, 3, 3, 3]
print("loss \(loss.scalar), gradient norm \(w.gradient?.norm() ?? 0)")
