#if MPI
  import GrawaData
  import GrawaDistributed
  import GrawaExperiments
  import GrawaNN
  import GrawaOptim
  import GrawaTensor

  /// A task small enough for an unoptimised build: a 4-16-3 perceptron on Gaussian blobs (three
  /// classes in 4 dimensions), 256 training and 64 test samples, batches of 8.
  enum TinyTask {
    /// Training samples.
    static let trainCount = 256
    /// Samples per batch.
    static let batchSize = 8

    /// The task for `kind` (DP+SAM gets SAM around SGD, as `grawa-train` does).
    static func make(for kind: StrategyKind, settings: StrategySettings) throws -> TrainingTask {
      let (inputs, labels) = try blobs(count: trainCount, seed: 3)
      let (testInputs, testLabels) = try blobs(count: 64, seed: 4)
      let test = try TensorSource(inputs: testInputs, labels: testLabels, batchSize: 16)
      let sam = kind == .dataParallelSAM
      let rho = Float(settings.samRho)
      return TrainingTask(
        makeModel: { generator in
          Sequential([
            Linear(inputFeatures: 4, outputFeatures: 16, generator: &generator), ReLU(),
            Linear(inputFeatures: 16, outputFeatures: 3, generator: &generator),
          ])
        },
        data: try TensorSource(inputs: inputs, labels: labels, batchSize: batchSize, seed: 9),
        makeOptimizer: { parameters in
          let sgd = try SGD(parameters: parameters, learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4, nesterov: true)
          return sam ? try SAM(base: sgd, rho: rho) : sgd
        },
        evaluation: CenterEvaluation(test: test))
    }

    /// Gaussian blobs: class c is centred on 2 along dimension c.
    static func blobs(count: Int, seed: UInt64) throws -> (Tensor, [Int]) {
      var generator = RandomGenerator(seed: seed)
      var values: [Float] = []
      var labels: [Int] = []
      for index in 0..<count {
        let label = index % 3
        for dimension in 0..<4 {
          values.append(Float((dimension == label ? 2.0 : 0.0) + 0.5 * generator.nextNormal()))
        }
        labels.append(label)
      }
      return (try Tensor(shape: [count, 4], scalars: values), labels)
    }
  }
#endif
