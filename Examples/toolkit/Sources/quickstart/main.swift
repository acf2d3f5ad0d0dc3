import Foundation
import Grawa   // the umbrella: GrawaTensor, GrawaNN, GrawaOptim, GrawaData, GrawaDistributed, ...

let (inputs, labels, testInputs, testLabels) = try loadMyData()   // yours: [N, 4] Tensors and class labels
let task = TrainingTask(
  makeModel: { generator in Sequential([Linear(inputFeatures: 4, outputFeatures: 3, generator: &generator)]) },
  data: try TensorSource(inputs: inputs, labels: labels, batchSize: 32, seed: 0),
  loss: .crossEntropy,
  makeOptimizer: { try SGD(parameters: $0, learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4, nesterov: true) },
  evaluation: CenterEvaluation(test: try TensorSource(inputs: testInputs, labels: testLabels, batchSize: 256)))
var settings = RunSettings()
settings.workers = 4
settings.epochs = 10
let trainer = try DistributedTrainer(task: task, settings: settings, strategy: MGRAWA(communicationPeriod: 32))
let runs = URL(fileURLWithPath: "runs/mine")
let summary = try trainer.run(
  metrics: [try RunLog(directory: runs, metricNames: ["weights"])],
  checkpoint: runs.appendingPathComponent("checkpoint.grawa"))
print("\(summary.steps) steps, \(summary.syncs) syncs, center test error \(summary.finalTest.error)")

// The trained center as your own model type: evaluate it, and export it for PyTorch.
let state = try CheckpointFile.read(from: runs.appendingPathComponent("checkpoint.grawa"))
let (_, model) = try trainer.centerModel(of: state)
let report = try Evaluation.classify(
  model, on: try TensorSource(inputs: testInputs, labels: testLabels, batchSize: 256), classes: 3)
print("accuracy per class \(report.classAccuracy), confusion matrix \(report.confusion)")
try AtomicFile.write(try model.safeTensors().encoded(), to: runs.appendingPathComponent("model.safetensors"))
