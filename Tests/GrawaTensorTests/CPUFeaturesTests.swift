import GrawaTensor
import XCTest

/// Parsing of `/proc/cpuinfo` into ``CPUFeatures``.
final class CPUFeaturesTests: XCTestCase {
  /// Two processors of a Zen 3 EPYC (flags trimmed): AVX2 and FMA, no AVX-512.
  private let zen3 = """
    processor\t: 0
    vendor_id\t: AuthenticAMD
    model name\t: AMD EPYC 7B13
    flags\t\t: fpu vme sse sse2 ssse3 fma cx16 sse4_1 sse4_2 avx f16c bmi1 avx2 smep bmi2
    processor\t: 1
    model name\t: Other
    flags\t\t: fpu avx512f
    """

  /// A Zen 4 EPYC: AVX-512 as well.
  private let zen4 = """
    processor\t: 0
    model name\t: AMD EPYC 9B14
    flags\t\t: fpu sse2 fma avx f16c avx2 avx512f avx512dq avx512bw avx512vl
    """

  /// An arm64 Linux machine (Graviton): `Features`, no model name.
  private let graviton = """
    processor\t: 0
    BogoMIPS\t: 243.75
    Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid
    """

  func testParse_zen3_readsFirstProcessorOnly() {
    let features = CPUFeatures.parse(cpuinfo: zen3, architecture: .x86_64)
    XCTAssertEqual(features.modelName, "AMD EPYC 7B13")
    XCTAssertTrue(features.hasAVX2)
    XCTAssertTrue(features.hasFMA)
    XCTAssertFalse(features.hasAVX512F, "the second processor's flags must not count")
    XCTAssertFalse(features.hasNEON)
  }

  func testParse_zen4_hasAVX512() {
    let features = CPUFeatures.parse(cpuinfo: zen4, architecture: .x86_64)
    XCTAssertTrue(features.hasAVX512F)
    XCTAssertTrue(features.hasAVX2)
    XCTAssertEqual(features.modelName, "AMD EPYC 9B14")
  }

  func testParse_arm64_hasNEON() {
    let features = CPUFeatures.parse(cpuinfo: graviton, architecture: .arm64)
    XCTAssertTrue(features.hasNEON)
    XCTAssertFalse(features.hasAVX2)
    XCTAssertNil(features.modelName)
  }

  func testParse_emptyText_hasNoFeatures() {
    let features = CPUFeatures.parse(cpuinfo: "", architecture: .x86_64)
    XCTAssertEqual(features, CPUFeatures(architecture: .x86_64))
  }

  func testCurrent_describesTheCompiledArchitecture() {
    XCTAssertEqual(CPUFeatures.current.architecture, CPUFeatures.compiledArchitecture)
    if CPUFeatures.compiledArchitecture == .arm64 { XCTAssertTrue(CPUFeatures.current.hasNEON) }
  }
}
