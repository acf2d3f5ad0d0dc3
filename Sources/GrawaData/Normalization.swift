/// Per-channel normalisation constants: a pixel `x` in `[0, 1]` (byte / 255) becomes
/// `(x - mean[c]) / std[c]`, exactly torchvision's `ToTensor()` followed by `Normalize(mean, std)`.
public struct Normalization: Sendable, Equatable, CustomStringConvertible {
  /// The mean of each channel in `[0, 1]` scale.
  public var mean: [Float]
  /// The standard deviation of each channel in `[0, 1]` scale (positive).
  public var std: [Float]

  /// Constants for `mean.count` channels. Checked against the image shape when a pipeline is
  /// validated (``AugmentationPipeline/outputShape(for:)``), not here.
  public init(mean: [Float], std: [Float]) {
    self.mean = mean
    self.std = std
  }

  /// CIFAR-10, as in the GRAWA authors' code (from kuangliu/pytorch-cifar):
  /// mean (0.4914, 0.4822, 0.4465), std (0.2023, 0.1994, 0.2010). docs/algorithms.md, "Hyperparameters the paper used".
  public static let cifar10 = Normalization(
    mean: [0.4914, 0.4822, 0.4465], std: [0.2023, 0.1994, 0.2010])

  /// CIFAR-100, as in the GRAWA authors' code: mean (0.5071, 0.4867, 0.4408),
  /// std (0.2675, 0.2565, 0.2761). docs/algorithms.md, "Hyperparameters the paper used".
  public static let cifar100 = Normalization(
    mean: [0.5071, 0.4867, 0.4408], std: [0.2675, 0.2565, 0.2761])

  /// The number of channels these constants describe.
  public var channelCount: Int { mean.count }

  /// `"mean [0.2860], std [0.3530]"`.
  public var description: String {
    func format(_ values: [Float]) -> String {
      "[" + values.map { format4($0) }.joined(separator: ", ") + "]"
    }
    return "mean \(format(mean)), std \(format(std))"
  }

  /// Checks that the constants fit `channels` channels and every std is positive and finite.
  /// - Throws: ``DataError`` describing the mismatch.
  func validate(channels: Int) throws {
    guard mean.count == channels, std.count == channels else {
      throw DataError(
        path: nil,
        "normalization has \(mean.count) means and \(std.count) standard deviations for \(channels)-channel images"
      )
    }
    if let bad = std.first(where: { !($0 > 0) || !$0.isFinite }) {
      throw DataError(
        path: nil, "normalization standard deviation \(bad) is not positive and finite")
    }
    if let bad = mean.first(where: { !$0.isFinite }) {
      throw DataError(path: nil, "normalization mean \(bad) is not finite")
    }
  }
}

/// `value` rounded to 4 decimals, as text (no Foundation formatting needed).
private func format4(_ value: Float) -> String {
  let scaled = (Double(value) * 10_000).rounded()
  let sign = scaled < 0 ? "-" : ""
  let magnitude = Int(abs(scaled))
  let fraction = String(magnitude % 10_000)
  return "\(sign)\(magnitude / 10_000)." + String(repeating: "0", count: 4 - fraction.count)
    + fraction
}
