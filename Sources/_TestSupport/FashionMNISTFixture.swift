import Foundation
import GrawaData

/// The real Fashion-MNIST, read once per test process (Debian's `dataset-fashion-mnist`).
public enum FashionMNISTFixture {
  /// Debian's location of the files.
  public static let directory = "/usr/share/datasets/fashion-mnist"

  private static let splits: Result<(train: Dataset, test: Dataset), Error> = Result {
    try IDXReader.loadTrainAndTest(directory: directory, name: "fashion-mnist", classCount: 10)
  }

  /// The train and test splits. A missing dataset fails the test (with a hint): CI installs it,
  /// and a silently skipped check of the real files would prove nothing.
  public static func load() throws -> (train: Dataset, test: Dataset) {
    guard FileManager.default.fileExists(atPath: directory) else {
      throw DataError(
        path: directory, "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    }
    return try splits.get()
  }
}
