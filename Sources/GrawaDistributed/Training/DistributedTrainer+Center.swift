import GrawaNN

extension DistributedTrainer {
  /// The center model of the run state `state`, as the run evaluates it: EASGD's master or the
  /// plain average of the workers, with batch-norm statistics obtained as the task says.
  /// - Returns: the center's flat parameters and a model holding them.
  /// - Throws: ``CheckpointError`` when the state does not fit the run, or the model's errors.
  public func centerModel(of state: RunState) throws -> (parameters: [Float], model: any Layer) {
    try CheckpointFile.validate(
      state, workers: settings.workers, parameterCount: environment.layout.totalCount,
      bufferCount: environment.bufferCount, path: "run state")
    func open<S: DistributedStrategy>(_ strategy: S) throws -> [Float]? {
      let centerState = try StateCoding.decode(S.CenterState.self, from: state.centerState)
      return strategy.reportedCenter(state: centerState)
    }
    let workers = state.workers
    let equal = [Double](repeating: 1 / Double(max(workers.count, 1)), count: workers.count)
    let center = try open(strategy) ?? WeightedAverage.combine(workers.map(\.parameters), weights: equal)
    let evaluator = try CenterEvaluator(environment: environment)
    let model = try evaluator.prepare(parameters: center, workerBuffers: workers.map(\.buffers))
    return (center, model)
  }

  /// Worker `index`'s model in the run state `state`: its own parameters and batch-norm buffers,
  /// as it would take its next step.
  /// - Throws: ``CheckpointError`` when the state does not fit the run or `index` is not a worker
  ///   of it; the model's errors.
  public func workerModel(_ index: Int, of state: RunState) throws -> any Layer {
    try CheckpointFile.validate(
      state, workers: settings.workers, parameterCount: environment.layout.totalCount,
      bufferCount: environment.bufferCount, path: "run state")
    guard state.workers.indices.contains(index) else {
      throw CheckpointError(
        path: "run state", message: "there is no worker \(index): the run has workers 0...\(state.workers.count - 1)")
    }
    let model = try environment.makeModel()
    try model.setFlatParameters(state.workers[index].parameters)
    try model.setFlatBuffers(state.workers[index].buffers)
    return model
  }
}
