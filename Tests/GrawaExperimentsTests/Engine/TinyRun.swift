import GrawaDistributed
import GrawaExperiments

/// A small synchronous run of the whole engine: the tiny CNN on synthetic images, batches of 16,
/// an evaluation every half epoch. The engine tests vary the rest.
func tinyConfiguration(
  _ strategy: StrategyKind, workers: Int, trainLimit: Int, testLimit: Int, steps: Int, period: Int?,
  batchNormBatches: Int, threads: Int, seed: UInt64
) -> TrainingConfiguration {
  var config = TrainingConfiguration()
  config.model = .tinyCNN
  config.dataset = .synthetic
  config.trainLimit = trainLimit
  config.testLimit = testLimit
  config.batchSize = 16
  config.strategy = strategy
  config.strategySettings = strategy.defaultSettings
  if let period {
    config.strategySettings.communicationPeriod = period
  }
  config.workers = workers
  config.steps = steps
  config.evaluateEvery = 0.5
  config.batchNormBatches = batchNormBatches
  config.threads = threads
  config.seed = seed
  return config
}
