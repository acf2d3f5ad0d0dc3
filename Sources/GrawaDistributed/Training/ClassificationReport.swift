/// How a classifier did on a labelled set: loss, error, and where its mistakes went.
///
/// ``confusion`` counts samples by true class (row) and predicted class (column), so a row sums
/// to the class's sample count and the diagonal holds the correct predictions.
public struct ClassificationReport: Sendable, Equatable, Codable {
  /// Mean loss per sample.
  public var loss: Double
  /// Samples evaluated.
  public var count: Int
  /// `confusion[true][predicted]`: sample counts, `C x C`.
  public var confusion: [[Int]]

  /// A report from its figures.
  public init(loss: Double, count: Int, confusion: [[Int]]) {
    self.loss = loss
    self.count = count
    self.confusion = confusion
  }

  /// The number of classes.
  public var classCount: Int { confusion.count }

  /// Correct predictions.
  public var correct: Int { confusion.indices.reduce(0) { $0 + confusion[$1][$1] } }

  /// Fraction of samples misclassified, in `[0, 1]` (NaN for no samples).
  public var error: Double { count > 0 ? 1 - Double(correct) / Double(count) : .nan }

  /// Samples of each true class.
  public var classCounts: [Int] { confusion.map { $0.reduce(0, +) } }

  /// Per class, the fraction of its samples predicted correctly (recall); NaN for a class with no
  /// samples.
  public var classAccuracy: [Double] {
    confusion.indices.map { index in
      let total = confusion[index].reduce(0, +)
      return total > 0 ? Double(confusion[index][index]) / Double(total) : .nan
    }
  }

  /// The loss, error and count alone.
  public var result: EvaluationResult { EvaluationResult(loss: loss, error: error, count: count) }
}
