import GrawaDistributed
import GrawaExperiments

/// The usage errors of `train` that involve more than one option: an option the chosen strategy
/// does not use, and a training set too small for the workers and the batch size.
extension TrainCommand {
  /// Refuses every given option that does nothing for `strategy` (`--sam-rho` with `mgrawa`,
  /// `--pull` with `dp-sgd`), as ``OptionDeclaration/strategies`` says.
  /// - Throws: ``CLIError/usage(_:)`` naming the first such option, the strategy and the
  ///   strategies the option applies to.
  static func refuseOptionsUnused(by strategy: StrategyKind, _ parsed: ParsedArguments) throws {
    guard let unused = parsed.given.first(where: { !$0.applies(to: strategy) }) else { return }
    let chosen = parsed.isGiven(TrainOptions.strategy) ? "" : " (the default)"
    throw CLIError.usage(
      "'\(unused.flag)' does nothing for strategy \(strategy.rawValue)\(chosen): it applies only to "
        + (unused.strategies ?? []).map(\.rawValue).joined(separator: ", "))
  }

  /// A training set too small for the workers and batch size, as a usage error naming the flags
  /// and the numbers: "'--workers 1024' with '--batch-size 16' needs at least 16384 training
  /// images (a full batch per worker), but the training set synthetic/train holds 1000, 0 per
  /// worker: use at most 62 workers or more training images".
  static func usageError(_ error: ShardTooSmallError) -> CLIError {
    let (workers, batchSize, images) = (TrainOptions.workers.flag, TrainOptions.batchSize.flag, error.images)
    var text =
      "'\(workers) \(error.workers)' with '\(batchSize) \(error.batchSize)' needs at least \(error.imagesNeeded) "
      + "training images (a full batch per worker), but "
    if let dataset = error.dataset {
      text += "the training set \(dataset) holds \(images)"
      if let limit = error.trainLimit, limit <= images { text += " ('\(TrainOptions.trainLimit.flag) \(limit)')" }
    } else {
      text += "'\(TrainOptions.trainLimit.flag) \(images)' allows \(images)"
    }
    var remedies: [String] = []
    if error.maximumWorkers >= 1 { remedies.append("at most \(error.maximumWorkers) workers") }
    if error.maximumBatchSize >= 1 { remedies.append("a batch size of at most \(error.maximumBatchSize)") }
    remedies.append("more training images")
    text += ", \(error.shardSize) per worker: use " + remedies.joined(separator: ", or ")
    return .usage(text)
  }

  /// Runs `body` (validating, loading data, preparing the trainer) with its library errors made
  /// command-line errors: a setting out of range or a training set too small for the workers as
  /// usage errors naming the flags (exit 2), anything else as a failure (exit 1).
  static func mappingSetupErrors<T>(_ parsed: ParsedArguments, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as CLIError {
      throw error
    } catch let error as SettingError {
      throw usageError(error, parsed: parsed)
    } catch let error as ShardTooSmallError {
      throw usageError(error)
    } catch let error as ConfigurationError {
      throw CLIError.usage(error.message)
    } catch {
      throw CLIError.failure("\(error)")
    }
  }

  /// A data directory holding another training set than the run's, as a usage error naming
  /// `--data-dir` when it was `given`: "'--data-dir D': the training set in D is not the one the
  /// run was trained on: 600 images, the run's 1000. Point '--data-dir' at the run's data".
  static func usageError(_ mismatch: TrainingSetMismatch, given: String?) -> CLIError {
    let subject =
      given.map { "'--data-dir \($0)': the training set in \(mismatch.directory)" }
      ?? "the training set in \(mismatch.directory) (the run's recorded data directory)"
    return .usage(
      subject + " is not the one the run was trained on: " + mismatch.differences.joined(separator: "; ")
        + ". Point '--data-dir' at the run's data")
  }
}
