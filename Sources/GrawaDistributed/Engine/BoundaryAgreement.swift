extension BoundaryDecision {
  /// The decision as numbers whose element-wise maximum over the processes of a run is the
  /// decision they all take (``init(agreed:)``): evaluate or checkpoint if any process wants to,
  /// the most pressing stop (a step or epoch budget, which every process reaches together, then
  /// a time budget, then an interrupt), and the largest training clock.
  var agreementVector: [Double] {
    let stopCode: Double =
      switch stop {
      case nil: 0
      case .interrupted: 1
      case .minutes: 2
      case .steps: 3
      case .epochs: 4
      }
    return [evaluate ? 1 : 0, checkpoint ? 1 : 0, stopCode, trainingSeconds]
  }

  /// The decision from the element-wise maximum of every process's ``agreementVector``.
  init(agreed vector: [Double]) throws {
    guard vector.count == 4 else {
      throw DistributedError.countMismatch("a boundary agreement of \(vector.count) numbers, expected 4")
    }
    let stop: StopReason? =
      switch vector[2] {
      case 1: .interrupted
      case 2: .minutes
      case 3: .steps
      case 4: .epochs
      default: nil
      }
    self.init(evaluate: vector[0] > 0, checkpoint: vector[1] > 0, stop: stop, trainingSeconds: vector[3])
  }
}
