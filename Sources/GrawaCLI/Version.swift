/// The version `grawa-train --version` prints.
public enum GrawaVersion {
  /// Semantic version of this package.
  public static let string = "0.1.0"
}
