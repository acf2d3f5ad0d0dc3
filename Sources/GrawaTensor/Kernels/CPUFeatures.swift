import Foundation

/// The vector features of the CPU this process runs on, as far as the kernels care: which SIMD
/// register files exist (AVX2 with FMA, AVX-512, NEON) and the CPU's model name.
///
/// Detected once per process (``current``) without executing CPUID: on Linux from the `flags`
/// (x86) or `Features` (arm64) line of `/proc/cpuinfo`, on Darwin from the `hw.optional.*` sysctl
/// keys. On arm64 NEON is part of the architecture and always present. The kernels use it to
/// pick register-tile shapes (see ``KernelConfiguration``); the instructions themselves are
/// whatever the compiler was told to emit (`-target-cpu native`, `-march=x86-64-v3`).
public struct CPUFeatures: Sendable, Equatable {
  /// The instruction-set family.
  public enum Architecture: String, Sendable, CaseIterable {
    /// 64-bit x86 (AMD64, Intel 64).
    case x86_64
    /// 64-bit ARM (AArch64: Apple silicon, Graviton, Ampere).
    case arm64
    /// Anything else; the kernels use their generic shapes.
    case other
  }

  /// The instruction-set family.
  public var architecture: Architecture
  /// 256-bit AVX2 integer and float vectors (16 `ymm` registers).
  public var hasAVX2: Bool
  /// Fused multiply-add on 128/256-bit vectors (FMA3).
  public var hasFMA: Bool
  /// The AVX-512 foundation: 32 512-bit `zmm` registers.
  public var hasAVX512F: Bool
  /// ARM Advanced SIMD: 32 128-bit registers (always true on arm64).
  public var hasNEON: Bool
  /// The CPU's marketing name when the system reports one, e.g. `"AMD EPYC 7B13"`.
  public var modelName: String?

  /// Creates a feature set by hand (tests, or a machine described elsewhere).
  public init(
    architecture: Architecture, hasAVX2: Bool = false, hasFMA: Bool = false,
    hasAVX512F: Bool = false, hasNEON: Bool = false, modelName: String? = nil
  ) {
    self.architecture = architecture
    self.hasAVX2 = hasAVX2
    self.hasFMA = hasFMA
    self.hasAVX512F = hasAVX512F
    self.hasNEON = hasNEON || architecture == .arm64
    self.modelName = modelName
  }

  /// The features of the CPU this process runs on, detected on first use and cached.
  public static let current: CPUFeatures = detect()

  /// The architecture this binary was compiled for.
  public static var compiledArchitecture: Architecture {
    #if arch(x86_64)
    return .x86_64
    #elseif arch(arm64)
    return .arm64
    #else
    return .other
    #endif
  }

  /// Parses the text of Linux's `/proc/cpuinfo`: the first processor's `flags` (x86) or
  /// `Features` (arm64) line and its `model name`.
  /// - Parameters:
  ///   - cpuinfo: the file's contents.
  ///   - architecture: the architecture the text describes.
  /// - Returns: the features listed; all false when the lines are missing.
  public static func parse(cpuinfo: String, architecture: Architecture) -> CPUFeatures {
    var flags: Set<Substring> = []
    var model: String?
    for line in cpuinfo.split(separator: "\n") {
      guard let colon = line.firstIndex(of: ":") else { continue }
      let key = line[..<colon].trimmingCharacters(in: .whitespaces)
      let value = line[line.index(after: colon)...]
      if flags.isEmpty, key == "flags" || key == "Features" {
        flags = Set(value.split(separator: " "))
      } else if model == nil, key == "model name" {
        model = value.trimmingCharacters(in: .whitespaces)
      }
    }
    return CPUFeatures(
      architecture: architecture, hasAVX2: flags.contains("avx2"), hasFMA: flags.contains("fma"),
      hasAVX512F: flags.contains("avx512f"), hasNEON: flags.contains("asimd"), modelName: model)
  }

  /// Reads the features from the operating system (see ``CPUFeatures``).
  static func detect() -> CPUFeatures {
    let architecture = compiledArchitecture
    #if os(Linux)
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else {
      return CPUFeatures(architecture: architecture)
    }
    return parse(cpuinfo: text, architecture: architecture)
    #elseif canImport(Darwin)
    return CPUFeatures(
      architecture: architecture, hasAVX2: sysctlFlag("hw.optional.avx2_0"),
      hasFMA: sysctlFlag("hw.optional.fma"), hasAVX512F: sysctlFlag("hw.optional.avx512f"),
      hasNEON: architecture == .arm64, modelName: sysctlString("machdep.cpu.brand_string"))
    #else
    return CPUFeatures(architecture: architecture)
    #endif
  }

  #if canImport(Darwin)
  /// A `hw.optional.*` sysctl read as a flag (false when the key does not exist).
  private static func sysctlFlag(_ name: String) -> Bool {
    var value: Int32 = 0
    var size = MemoryLayout<Int32>.size
    return sysctlbyname(name, &value, &size, nil, 0) == 0 && value != 0
  }

  /// A string sysctl, or `nil` when the key does not exist.
  private static func sysctlString(_ name: String) -> String? {
    var size = 0
    guard sysctlbyname(name, nil, &size, nil, 0) == 0, size > 0 else { return nil }
    var bytes = [CChar](repeating: 0, count: size)
    guard sysctlbyname(name, &bytes, &size, nil, 0) == 0 else { return nil }
    return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
  #endif
}
