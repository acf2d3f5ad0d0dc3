import Foundation

/// The JSON coding of a run's files (`config.json`, `summary.json`, `metrics.jsonl`,
/// `flatness.json`): keys sorted, and the non-finite numbers a diverged run can produce written as
/// the strings "nan", "inf" and "-inf" (plain JSON has no spelling for them) and read back.
public enum RunJSON {
  /// An encoder with sorted keys, indented when `pretty`.
  public static func encoder(pretty: Bool = true) -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return encoder
  }

  /// A decoder that reads what ``encoder(pretty:)`` writes.
  public static func decoder() -> JSONDecoder {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return decoder
  }
}
