import Foundation

/// What process 0 of a multi-process run tells the others after handling a pause (evaluation,
/// metrics, checkpoint): whether it went well, and the figures every process's summary needs.
struct PauseVerdict: Codable, Sendable {
  /// The error process 0 met, described; `nil` when the pause went well.
  var error: String?
  /// Evaluations done so far.
  var evaluations: Int
  /// The last evaluation of the center.
  var test: EvaluationResult
  /// The last evaluation of the strategy's weighted center.
  var weighted: EvaluationResult?
  /// The last metrics row.
  var row: MetricsRow?

  /// Every process's worker snapshots in worker order on process 0 (`nil` on the others): each
  /// process sends its own in checkpoint encoding, checked on arrival.
  /// - Throws: the group's errors, or ``CheckpointError``/``DistributedError`` when what
  ///   arrived is not the run's workers in order.
  static func gather(
    _ local: [WorkerSnapshot], boundary: Int, group: any ProcessGroup
  ) throws -> [WorkerSnapshot]? {
    let state = RunState(
      configuration: .null, boundary: boundary, centerSyncs: 0, centerState: [], trainingSeconds: 0,
      wallSeconds: 0, evaluations: 0, workers: local)
    guard let parts = try group.gatherToFirst(try CheckpointFile.encoded(state)) else { return nil }
    var all: [WorkerSnapshot] = []
    for (rank, part) in parts.enumerated() {
      all += try CheckpointFile.decoded(part, path: "the worker snapshots of process \(rank)").workers
    }
    for (index, snapshot) in all.enumerated() where snapshot.worker != index {
      throw DistributedError.countMismatch("gathered snapshot \(index) is worker \(snapshot.worker)'s")
    }
    return all
  }

  /// Process 0's verdict on every process.
  /// - Throws: the group's errors, or a decoding error.
  func shared(by group: any ProcessGroup) throws -> PauseVerdict {
    let bytes = group.rank == 0 ? [UInt8](try RunJSON.encoder(pretty: false).encode(self)) : []
    let received = try group.broadcastFromFirst(bytes)
    return try RunJSON.decoder().decode(PauseVerdict.self, from: Data(received))
  }
}
