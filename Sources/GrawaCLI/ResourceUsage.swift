import Foundation

/// Process resource figures for benchmark reports.
public enum ResourceUsage {
  /// Peak resident set size of this process in bytes (`VmHWM` from /proc, else `getrusage`).
  public static var peakResidentBytes: Int {
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
      for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let digits = line.split(separator: " ").compactMap { Int($0) }
        if let kilobytes = digits.first { return kilobytes * 1024 }
      }
    }
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Int(usage.ru_maxrss) * 1024
  }
}
