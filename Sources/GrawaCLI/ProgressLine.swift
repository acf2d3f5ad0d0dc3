import Foundation
import GrawaDistributed

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A progress display: one line rewritten in place on a terminal (with a bar when the budget
/// makes the fraction done knowable), a plain line every 30 s otherwise (a log file or a pipe).
final class ProgressLine {
  private let enabled: Bool
  private let isTerminal = isatty(STDOUT_FILENO) == 1
  /// Training images one step consumes over all workers (0: no rate shown).
  private let imagesPerStep: Int
  private var lastPrint = Date.distantPast
  private var drewLine = false
  /// The (step, training seconds) the rate is measured from: the first report seen, so the rate
  /// is that of this process's training (a resumed run's earlier steps do not count).
  private var rateStart: (step: Int, seconds: Double)?

  /// A display; `imagesPerStep` is workers x batch size, for the images/s figure.
  init(enabled: Bool, imagesPerStep: Int = 0) {
    self.enabled = enabled
    self.imagesPerStep = imagesPerStep
  }

  func update(_ report: TrainingProgressReport) {
    guard enabled else { return }
    if rateStart == nil { rateStart = (report.step, report.trainingSeconds) }
    guard due() else { return }
    draw(Self.text(report, imagesPerSecond: imagesPerSecond(report), bar: isTerminal))
  }

  /// Shows `text` as the progress line (throttled like ``update(_:)``).
  func show(_ text: String) {
    guard enabled, due() else { return }
    draw(text)
  }

  /// Ends a line drawn in place, so the next output starts on a line of its own.
  func finish() {
    if drewLine {
      StandardStreams.writeOutput("\n")
      drewLine = false
    }
  }

  /// Whether enough time passed since the last line: 0.2 s on a terminal, 30 s otherwise.
  private func due() -> Bool {
    let now = Date()
    guard now.timeIntervalSince(lastPrint) >= (isTerminal ? 0.2 : 30) else { return false }
    lastPrint = now
    return true
  }

  private func draw(_ text: String) {
    if isTerminal {
      StandardStreams.writeOutput("\r\u{1B}[K" + text)
      drewLine = true
    } else {
      say(text)
    }
  }

  /// Training images per second since the first report, once a step and a second have passed.
  private func imagesPerSecond(_ report: TrainingProgressReport) -> Double? {
    guard imagesPerStep > 0, let start = rateStart else { return nil }
    let steps = report.step - start.step
    let seconds = report.trainingSeconds - start.seconds
    guard steps > 0, seconds >= 1 else { return nil }
    return Double(steps * imagesPerStep) / seconds
  }

  /// The progress line: `[######------]  43%  epoch 1.72  step 1200  loss 0.4321  error 15.23%
  /// 812 img/s  0:02:10 trained  ~0:02:50 left` (the bar only when asked and the fraction is known).
  static func text(_ report: TrainingProgressReport, imagesPerSecond: Double?, bar: Bool) -> String {
    var parts: [String] = []
    if bar, let left = report.secondsLeft, left.isFinite, left >= 0 {
      let total = report.trainingSeconds + left
      let fraction = total > 0 ? min(1, max(0, report.trainingSeconds / total)) : 0
      parts.append(progressBar(fraction) + String(format: " %3d%%", Int((100 * fraction).rounded(.down))))
    }
    // Before the first step there is no loss yet: "-", not "nan" (which would look like divergence).
    parts.append(
      String(
        format: "epoch %.2f  step %d  loss %@  error %@", report.epoch, report.step,
        TrainCommand.measured(report.trainLoss, "%.4f"), TrainCommand.measured(100 * report.trainError, "%.2f%%")))
    if let imagesPerSecond { parts.append(String(format: "%.0f img/s", imagesPerSecond)) }
    parts.append("\(clock(report.trainingSeconds)) trained")
    if let left = report.secondsLeft, left.isFinite { parts.append("~\(clock(left)) left") }
    return parts.joined(separator: "  ")
  }

  /// A 20-cell bar of `fraction` (in [0, 1]).
  static func progressBar(_ fraction: Double, width: Int = 20) -> String {
    let filled = Int((fraction * Double(width)).rounded(.down))
    return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
  }

  /// `h:mm:ss`.
  static func clock(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    return String(format: "%d:%02d:%02d", total / 3600, (total / 60) % 60, total % 60)
  }
}
