import Foundation

/// A family of register-tile shapes for the SIMD kernels, sized for one kind of vector register
/// file.
///
/// Every variant is compiled into every binary and gives bit-identical results (each output
/// element is summed in the same order whatever the tile); they differ only in speed. A variant
/// names the register file its tiles are sized for, not an instruction set: forcing `avx512` on
/// an AVX2 machine runs correct code that spills registers, never an illegal instruction (the
/// instructions are whatever the compiler was told to emit).
///
/// | variant | vector | GEMM tile | convolution tile | dot-product tile |
/// |---|---|---|---|---|
/// | `avx512` | `SIMD16<Float>`, 32 registers | 8 x 32 | 8 x 32 | 4 x 6, 1 pass |
/// | `avx2` | `SIMD8<Float>`, 16 registers | 6 x 16 | 6 x 16 | 4 x 3, 2 passes |
/// | `neon` | `SIMD4<Float>`, 32 registers | 8 x 12 | 8 x 8 | 4 x 6, 4 passes |
/// | `generic` | `SIMD4<Float>`, 16 registers | 6 x 8 | 6 x 8 | 4 x 3, 4 passes |
public enum KernelVariant: String, CaseIterable, Sendable {
  /// 8 x 32 tiles on `SIMD16<Float>`: 16 of the 32 `zmm` registers accumulate.
  case avx512
  /// 6 x 16 tiles on `SIMD8<Float>`: 12 of the 16 `ymm` registers accumulate.
  case avx2
  /// 8 x 12 GEMM tiles on `SIMD4<Float>`: 24 of NEON's 32 128-bit registers accumulate.
  case neon
  /// 6 x 8 tiles on `SIMD4<Float>`, for CPUs with 16 128-bit registers (SSE) or unknown ones.
  case generic

  /// Lanes of the vectors the variant's tiles are made of.
  public var vectorWidth: Int { shapes.vectorWidth }

  /// The register-tile shapes of this variant.
  public var shapes: KernelTileShapes {
    switch self {
    case .avx512: AVX512Kernels.tileShapes
    case .avx2: AVX2Kernels.tileShapes
    case .neon: NEONKernels.tileShapes
    case .generic: GenericKernels.tileShapes
    }
  }
}

/// The register-tile shapes of one ``KernelVariant``, for reports.
public struct KernelTileShapes: Sendable, Equatable, Codable, CustomStringConvertible {
  /// Lanes per SIMD vector.
  public var vectorWidth: Int
  /// Rows x columns of the SGEMM micro-kernel's tile.
  public var gemm: [Int]
  /// Rows (output channels) x columns (pixels) of the convolution product tile.
  public var convolution: [Int]
  /// `x` rows x `y` rows of the weight-gradient dot-product tile.
  public var dotProduct: [Int]

  /// E.g. `SIMD16, gemm 8x32, conv 8x32, dot 4x5`.
  public var description: String {
    "SIMD\(vectorWidth), gemm \(gemm[0])x\(gemm[1]), conv \(convolution[0])x\(convolution[1]), "
      + "dot \(dotProduct[0])x\(dotProduct[1])"
  }
}

/// Which ``KernelVariant`` the kernels run, and why.
///
/// The process-wide choice (``current``) is made once, on first use: the environment variable
/// `GRAWA_KERNELS` (`avx512`, `avx2`, `neon` or `generic`) when set, otherwise the variant that
/// suits ``CPUFeatures/current``: `avx512` with AVX-512, `avx2` with AVX2 and FMA, `neon` on
/// arm64, `generic` otherwise. A build compiled with `-Xswiftc -DGRAWA_VECTOR256` (a portable
/// `-march=x86-64-v3` binary) never picks `avx512` by itself, since its code has no 512-bit
/// registers even on a CPU that does.
///
/// ``withVariant(_:_:)`` overrides the choice for the kernels called from the calling thread
/// (tests use it to run every variant on one machine). A kernel call reads the choice once and
/// hands it to its worker threads.
public struct KernelConfiguration: Sendable, Equatable {
  /// Where a configuration's variant came from.
  public enum Source: String, Sendable, Equatable, Codable {
    /// Chosen from the detected CPU features.
    case detected
    /// Forced by the `GRAWA_KERNELS` environment variable.
    case environment
  }

  /// The environment variable that forces a variant.
  public static let environmentVariable = "GRAWA_KERNELS"

  /// The variant the kernels run.
  public var variant: KernelVariant
  /// Where ``variant`` came from.
  public var source: Source
  /// The CPU features the choice was made from.
  public var features: CPUFeatures

  /// Creates a configuration.
  public init(variant: KernelVariant, source: Source, features: CPUFeatures) {
    self.variant = variant
    self.source = source
    self.features = features
  }

  /// The process-wide configuration, made on first use from `GRAWA_KERNELS` and
  /// ``CPUFeatures/current``. An unknown `GRAWA_KERNELS` value stops the process with a message
  /// listing the valid ones (a typo must not silently select the default).
  public static let current: KernelConfiguration = {
    let value = ProcessInfo.processInfo.environment[environmentVariable]
    do {
      return try resolve(override: value, features: CPUFeatures.current)
    } catch {
      fatalError("\(error)")
    }
  }()

  /// The variant that suits `features` (see ``KernelConfiguration``).
  public static func preferredVariant(for features: CPUFeatures) -> KernelVariant {
    switch features.architecture {
    case .arm64:
      return .neon
    case .x86_64:
      #if GRAWA_VECTOR256
      let wide = false
      #else
      let wide = true
      #endif
      if wide && features.hasAVX512F { return .avx512 }
      if features.hasAVX2 && features.hasFMA { return .avx2 }
      return .generic
    case .other:
      return features.hasNEON ? .neon : .generic
    }
  }

  /// The configuration for an environment value (`nil` or empty: not set) and CPU features.
  /// - Throws: ``TensorError`` naming `GRAWA_KERNELS` when `override` is not a variant name.
  public static func resolve(override: String?, features: CPUFeatures) throws
    -> KernelConfiguration
  {
    guard let raw = override?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else {
      return KernelConfiguration(
        variant: preferredVariant(for: features), source: .detected, features: features)
    }
    guard let variant = KernelVariant(rawValue: raw.lowercased()) else {
      let names = KernelVariant.allCases.map(\.rawValue).joined(separator: ", ")
      throw TensorError(
        environmentVariable, "'\(raw)' is not a kernel variant; expected one of \(names)")
    }
    return KernelConfiguration(variant: variant, source: .environment, features: features)
  }

  /// The variant kernels called from this thread run: the innermost ``withVariant(_:_:)``
  /// override, else ``current``'s.
  public static var active: KernelVariant {
    let stored = threadOverride.value
    if stored > 0 { return KernelVariant.allCases[stored - 1] }
    return current.variant
  }

  /// Runs `body` with the kernels called from the calling thread using `variant`.
  public static func withVariant<R>(_ variant: KernelVariant, _ body: () throws -> R) rethrows
    -> R
  {
    let saved = threadOverride.value
    let index = KernelVariant.allCases.firstIndex(of: variant) ?? 0
    threadOverride.value = index + 1
    defer { threadOverride.value = saved }
    return try body()
  }

  /// 1 + the index of the overriding variant in `allCases`, or 0 for none.
  private static let threadOverride = ThreadLocalInt()
}
