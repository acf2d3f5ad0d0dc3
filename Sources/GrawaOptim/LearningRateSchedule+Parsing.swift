// The text form of a learning-rate schedule: parsing, printing and Codable.
//
// Grammar (whitespace around the whole text and around each piece is ignored):
//   schedule := "constant"
//             | "step-" clock ":" factor "@" milestone ("," milestone)*
//             | "cosine" ["-" clock] ":" length ("," option)*       (no clock means epochs)
//   option   := "warmup=" amount | "min=" rate                      (each at most once)
//   clock    := "epochs" | "steps" | "seconds"

extension LearningRateSchedule: CustomStringConvertible {
  /// The valid schedule names, for help texts and error messages.
  public static let syntaxSummary =
    "constant | step-epochs:FACTOR@M1,M2,... | step-steps:FACTOR@S1,... | "
    + "step-seconds:FACTOR@T1,... | cosine[-epochs|-steps|-seconds]:LENGTH[,warmup=W][,min=RATE]"

  /// Parses the text form described on ``LearningRateSchedule`` and validates the result.
  /// - Throws: ``OptimizerError`` quoting the text and naming the bad part, e.g.
  ///   `'step-epochs:0.1@100,abc': milestone 'abc' is not a number`.
  public init(parsing text: String) throws {
    let trimmed = text.trimmingWhitespace()
    func fail(_ message: String) -> OptimizerError {
      OptimizerError("LearningRateSchedule", "'\(trimmed)': \(message)")
    }
    func number(_ piece: Substring, _ what: String) throws -> Double {
      let piece = String(piece).trimmingWhitespace()
      guard !piece.isEmpty else { throw fail("\(what) is missing") }
      guard let value = Double(piece), value.isFinite else {
        throw fail("\(what) '\(piece)' is not a number")
      }
      return value
    }

    let colon = trimmed.firstIndex(of: ":")
    let name = String(trimmed[..<(colon ?? trimmed.endIndex)]).trimmingWhitespace()
    let arguments = colon.map { trimmed[trimmed.index(after: $0)...] }
    let schedule: LearningRateSchedule
    switch name {
    case "constant":
      guard arguments == nil else { throw fail("'constant' takes no arguments") }
      schedule = .constant

    case _ where name.hasPrefix("step-"):
      let clockName = String(name.dropFirst("step-".count))
      guard let clock = ScheduleClock(rawValue: clockName) else {
        throw fail("unknown clock '\(clockName)' (expected epochs, steps or seconds)")
      }
      guard let arguments else {
        throw fail("missing ':FACTOR@MILESTONES', e.g. \(name):0.1@100,150")
      }
      let halves = arguments.split(separator: "@", omittingEmptySubsequences: false)
      guard halves.count == 2 else {
        throw fail(
          "expected FACTOR@MILESTONE[,MILESTONE...] after '\(name):', e.g. \(name):0.1@100,150")
      }
      let factor = try number(halves[0], "factor")
      let milestones = try halves[1].split(separator: ",", omittingEmptySubsequences: false)
        .map { try number($0, "milestone") }
      schedule = .stepDecay(factor: factor, milestones: milestones, clock: clock)

    case _ where name == "cosine" || name.hasPrefix("cosine-"):
      let clockName = name == "cosine" ? "epochs" : String(name.dropFirst("cosine-".count))
      guard let clock = ScheduleClock(rawValue: clockName) else {
        throw fail("unknown clock '\(clockName)' (expected epochs, steps or seconds)")
      }
      guard let arguments else { throw fail("missing ':LENGTH', e.g. \(name):200,warmup=5") }
      let pieces = arguments.split(separator: ",", omittingEmptySubsequences: false)
      let length = try number(pieces[0], "length")
      var warmup: Double?
      var minimum: Double?
      for piece in pieces.dropFirst() {
        let pair = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let key = String(pair[0]).trimmingWhitespace()
        guard pair.count == 2 else {
          throw fail("option '\(piece)' is not KEY=VALUE (keys: warmup, min)")
        }
        switch key {
        case "warmup":
          guard warmup == nil else { throw fail("option 'warmup' given twice") }
          warmup = try number(pair[1], "warmup")
        case "min":
          guard minimum == nil else { throw fail("option 'min' given twice") }
          minimum = try number(pair[1], "min")
        default:
          throw fail("unknown option '\(key)' (expected warmup or min)")
        }
      }
      schedule = .cosine(length: length, clock: clock, minimum: minimum ?? 0, warmup: warmup ?? 0)

    default:
      throw fail("unknown schedule '\(name)' (expected \(LearningRateSchedule.syntaxSummary))")
    }
    if let problem = schedule.validationProblem() {
      throw fail(problem)
    }
    self = schedule
  }

  /// The canonical text form, which ``init(parsing:)`` reads back to an equal schedule.
  public var description: String {
    switch self {
    case .constant:
      return "constant"
    case .stepDecay(let factor, let milestones, let clock):
      let list = milestones.map(formatNumber).joined(separator: ",")
      return "step-\(clock.rawValue):\(formatNumber(factor))@\(list)"
    case .cosine(let length, let clock, let minimum, let warmup):
      var text = clock == .epochs ? "cosine:" : "cosine-\(clock.rawValue):"
      text += formatNumber(length)
      if warmup != 0 { text += ",warmup=\(formatNumber(warmup))" }
      if minimum != 0 { text += ",min=\(formatNumber(minimum))" }
      return text
    }
  }
}

extension LearningRateSchedule: Codable {
  /// Decodes the text form (a single string).
  /// - Throws: `DecodingError.dataCorrupted` carrying the parse error's message.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    let text = try container.decode(String.self)
    do {
      self = try LearningRateSchedule(parsing: text)
    } catch let error as OptimizerError {
      throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
    }
  }

  /// Encodes the canonical text form (``description``) as a single string.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}

/// `200` for integral values, else Swift's shortest round-tripping form (`0.1`, `1e-05`).
func formatNumber(_ value: Double) -> String {
  if value == value.rounded() && abs(value) < 1e15 {
    return String(Int64(value))
  }
  return "\(value)"
}

extension String {
  /// The string without leading and trailing spaces, tabs and newlines.
  fileprivate func trimmingWhitespace() -> String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
    guard let first = firstIndex(where: { !isSpace($0) }),
      let last = lastIndex(where: { !isSpace($0) })
    else { return "" }
    return String(self[first...last])
  }
}
