import GrawaData

/// A run's data directory holds another training set than the one the run recorded (its
/// ``DatasetFingerprint``): resuming or evaluating on it would mix two datasets silently.
public struct TrainingSetMismatch: Error, CustomStringConvertible, Equatable {
  /// Where the data was read.
  public let directory: String
  /// How the sets differ, one phrase each ("600 images, the run's 1000").
  public let differences: [String]

  /// "the training set in DIR is not the one the run was trained on: ...".
  public var description: String {
    "the training set in \(directory) is not the one the run was trained on: " + differences.joined(separator: "; ")
  }
}

extension TrainingConfiguration {
  /// Checks that `data` holds the training set this configuration recorded
  /// (``trainingSet``); a configuration without a record (a run from before fingerprints) passes.
  /// - Throws: ``TrainingSetMismatch`` saying what differs.
  public func checkTrainingSet(of data: ConfiguredData) throws {
    guard let recorded = trainingSet else { return }
    let differences = data.trainingSetFingerprint.differences(from: recorded)
    guard differences.isEmpty else {
      throw TrainingSetMismatch(directory: dataDirectory ?? dataset.rawValue, differences: differences)
    }
  }
}
