import Foundation
import GrawaData
import GrawaDistributed
import GrawaExperiments

/// What makes a run directory resumable from anywhere and safe to resume: its recorded data
/// checked against the data read now, its run id checked against the directory's other files,
/// and its metrics files rebuilt from the checkpoint.
extension TrainCommand {
  /// Reads the checkpoint of the run in `output` (rank 0 reads it and shares it with the other
  /// processes of an MPI job) and the configuration it resumes with: the checkpoint's, with the
  /// given resumable options applied (budget, cadence, threads, data directory, made absolute).
  /// - Throws: ``CLIError/failure(_:)`` naming the checkpoint when it cannot be read or belongs to
  ///   another run than the directory's `config.json`; ``CLIError/usage(_:)`` for a bad option.
  static func resumedRun(
    in output: URL, checkpoint: URL, parsed: ParsedArguments, processes: TrainProcesses
  ) throws -> (state: RunState, configuration: TrainingConfiguration) {
    let state: RunState
    var config: TrainingConfiguration
    do {
      state = try processes.readCheckpoint(at: checkpoint)
      config = try TrainingConfiguration(of: state, path: checkpoint.path)
    } catch {
      throw CLIError.failure("cannot resume: \(error)")
    }
    try applyResumable(parsed, to: &config)
    try validate(config, parsed: parsed)
    try processes.onFirst { try checkRunID(of: config, checkpoint: checkpoint, directory: output) }
    // A run of an older version gets its id now; its next checkpoint and config.json record it.
    if config.runID == nil { config.runID = UUID().uuidString }
    return (state, config)
  }

  /// The run id a file of the run directory records (`config.json`'s `runID`).
  private struct RecordedRunID: Decodable {
    var runID: String?
  }

  /// Refuses a checkpoint whose run id differs from the one in the directory's `config.json`:
  /// the checkpoint was copied into another run's directory, and resuming it would mix two runs'
  /// files. Either id unknown (a run of an older version, a missing or damaged `config.json`,
  /// which the resume rewrites) means no check.
  /// - Throws: ``CLIError/failure(_:)`` naming both files and the way out.
  static func checkRunID(of config: TrainingConfiguration, checkpoint: URL, directory: URL) throws {
    guard let id = config.runID else { return }
    let url = directory.appendingPathComponent("config.json")
    guard let data = try? Data(contentsOf: url),
      let other = (try? RunJSON.decoder().decode(RecordedRunID.self, from: data))?.runID
    else { return }
    guard other != id else { return }
    throw CLIError.failure(
      "cannot resume: \(checkpoint.path) belongs to run \(id), but \(url.path) to run \(other): the checkpoint "
        + "was copied from another run's directory. Resume it in its own directory (a checkpoint alone in an "
        + "empty directory resumes too: it carries its metrics rows)")
  }

  /// Loads the run's data, then records its training set's fingerprint in `config` (a new run,
  /// or a run of an older version that recorded none) or checks it against the recorded one.
  /// - Parameter resuming: whether `config` is a resumed run's.
  /// - Throws: ``CLIError/usage(_:)`` naming `--data-dir` and what differs when a resumed run's
  ///   training set is not the one it was trained on; the loading errors otherwise.
  static func loadData(
    for config: inout TrainingConfiguration, resuming: Bool, parsed: ParsedArguments
  ) throws -> ConfiguredData {
    let data = try mappingSetupErrors(parsed) { [config] in try config.loadData() }
    if resuming {
      do {
        try config.checkTrainingSet(of: data)
      } catch let mismatch as TrainingSetMismatch {
        throw usageError(mismatch, given: (try? parsed[TrainOptions.dataDirectory]) ?? nil)
      }
    }
    config.trainingSet = data.trainingSetFingerprint
    return data
  }

  /// Starts the metrics files of a run: fresh ones for a new run; for a resumed one, rebuilt from
  /// the rows its checkpoint carries, or (a format-1 checkpoint, which carries none) the existing
  /// files cut to the checkpoint's evaluations, whose rows then go into the state so the next
  /// checkpoint carries them.
  /// - Throws: ``CLIError/failure(_:)`` naming the file and, when it cannot be rebuilt, why.
  static func startMetrics(
    in output: URL, resuming state: inout RunState?, columns: [String]
  ) throws -> RunLog {
    guard var resumed = state else {
      do {
        return try RunLog(directory: output, metricNames: columns)
      } catch {
        throw CLIError.failure("\(error)")
      }
    }
    if resumed.rows.count == resumed.evaluations {
      do {
        return try RunLog(directory: output, restoring: resumed.rows, metricNames: columns)
      } catch {
        throw CLIError.failure("cannot resume: \(error)")
      }
    }
    do {
      let log = try RunLog(directory: output, keepingRows: resumed.evaluations, metricNames: columns)
      resumed.rows = log.keptRows
      state = resumed
      return log
    } catch {
      throw CLIError.failure(
        "cannot resume: \(error). The checkpoint was written by an older grawa-train (format 1) and does not "
          + "carry its metrics rows, so the metrics files cannot be rebuilt from it: restore them, or start "
          + "a new run")
    }
  }
}
