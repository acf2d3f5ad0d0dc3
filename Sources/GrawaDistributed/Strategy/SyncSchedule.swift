/// When a strategy communicates: the *when*, kept apart from the *how* (the strategy's math), as
/// PyTorch's `PeriodicModelAverager` keeps its period apart from the averaging.
public enum SyncSchedule: Sendable, Equatable, Codable {
  /// At every optimizer step, when the gradients it will apply are final (data parallelism: the
  /// workers' gradients are combined before any worker updates).
  case everyStep
  /// After every `communicationPeriod` local steps (tau), once the step's update is done.
  case periodic(communicationPeriod: Int)
  /// Never (independent training, a control).
  case never

  /// Local steps between two syncs (1 for ``everyStep``; `nil` when there are no syncs).
  public var period: Int? {
    switch self {
    case .everyStep: 1
    case .periodic(let tau): tau
    case .never: nil
    }
  }
}
