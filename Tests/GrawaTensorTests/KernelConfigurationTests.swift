import Dispatch
import GrawaTensor
import XCTest

/// How the kernel variant is chosen: from CPU features, from `GRAWA_KERNELS`, and per thread.
final class KernelConfigurationTests: XCTestCase {
  private let avx512 = CPUFeatures(
    architecture: .x86_64, hasAVX2: true, hasFMA: true, hasAVX512F: true)
  private let avx2 = CPUFeatures(architecture: .x86_64, hasAVX2: true, hasFMA: true)

  func testPreferredVariant_followsTheRegisterFile() {
    #if GRAWA_VECTOR256
    XCTAssertEqual(KernelConfiguration.preferredVariant(for: avx512), .avx2)
    #else
    XCTAssertEqual(KernelConfiguration.preferredVariant(for: avx512), .avx512)
    #endif
    XCTAssertEqual(KernelConfiguration.preferredVariant(for: avx2), .avx2)
    // AVX2 without FMA (or SSE only): the 16-register SIMD4 tiles.
    let noFMA = CPUFeatures(architecture: .x86_64, hasAVX2: true)
    XCTAssertEqual(KernelConfiguration.preferredVariant(for: noFMA), .generic)
    XCTAssertEqual(
      KernelConfiguration.preferredVariant(for: CPUFeatures(architecture: .arm64)), .neon)
    XCTAssertEqual(
      KernelConfiguration.preferredVariant(for: CPUFeatures(architecture: .other)), .generic)
  }

  func testResolve_withoutOverride_detects() throws {
    let configuration = try KernelConfiguration.resolve(override: nil, features: avx2)
    XCTAssertEqual(configuration.variant, .avx2)
    XCTAssertEqual(configuration.source, .detected)
    XCTAssertEqual(try KernelConfiguration.resolve(override: " ", features: avx2).source, .detected)
  }

  func testResolve_override_winsOverDetection() throws {
    for variant in KernelVariant.allCases {
      let configuration = try KernelConfiguration.resolve(
        override: variant.rawValue.uppercased(), features: avx2)
      XCTAssertEqual(configuration.variant, variant)
      XCTAssertEqual(configuration.source, .environment)
    }
  }

  func testResolve_unknownOverride_throwsNamingTheVariable() {
    XCTAssertThrowsError(try KernelConfiguration.resolve(override: "avx3", features: avx2)) {
      XCTAssertEqual(
        "\($0)",
        "GRAWA_KERNELS: 'avx3' is not a kernel variant; "
          + "expected one of avx512, avx2, neon, generic")
    }
  }

  func testWithVariant_isPerThread_nests_andRestores() {
    let outside = KernelConfiguration.active
    XCTAssertEqual(outside, KernelConfiguration.current.variant)
    KernelConfiguration.withVariant(.neon) {
      XCTAssertEqual(KernelConfiguration.active, .neon)
      KernelConfiguration.withVariant(.avx2) {
        XCTAssertEqual(KernelConfiguration.active, .avx2)
      }
      XCTAssertEqual(KernelConfiguration.active, .neon)
      // A Dispatch worker thread (`async`: `sync` may run the block on this thread).
      let seen = UnsafeMutablePointer<KernelVariant>.allocate(capacity: 1)
      defer { seen.deallocate() }
      seen.initialize(to: .neon)
      let shared = UncheckedSendable(seen)
      let group = DispatchGroup()
      DispatchQueue.global().async(group: group) {
        shared.value.pointee = KernelConfiguration.active
      }
      group.wait()
      XCTAssertEqual(seen.pointee, outside, "an override applies to the calling thread only")
    }
    XCTAssertEqual(KernelConfiguration.active, outside)
  }

  func testShapes_describeEveryVariant() {
    XCTAssertEqual(KernelVariant.avx512.shapes.gemm, [8, 32])
    XCTAssertEqual(KernelVariant.avx2.shapes.gemm, [6, 16])
    XCTAssertEqual(KernelVariant.neon.shapes.gemm, [8, 12])
    XCTAssertEqual(KernelVariant.generic.shapes.gemm, [6, 8])
    XCTAssertEqual(KernelVariant.neon.shapes.convolution, [8, 8])
    XCTAssertEqual(
      KernelVariant.avx2.shapes.description, "SIMD8, gemm 6x16, conv 6x16, dot 3x3")
    // Dot-product tiles whose accumulators and operands (x rows + y rows) fit the register file
    // however the compiler orders the loads: 32 vectors with AVX-512 and NEON, 16 otherwise.
    let registers: [KernelVariant: Int] = [.avx512: 32, .neon: 32, .avx2: 16, .generic: 16]
    for (variant, count) in registers {
      let dot = variant.shapes.dotProduct
      XCTAssertLessThanOrEqual(dot[0] * dot[1] + dot[0] + dot[1], count, "\(variant)")
    }
    XCTAssertEqual(KernelVariant.avx512.shapes.dotProduct, [4, 5])
    XCTAssertEqual(KernelVariant.avx2.shapes.dotProduct, [3, 3])
    for variant in KernelVariant.allCases {
      // Convolution tiles must cut the driver's 16-pixel runs into whole pieces.
      XCTAssertEqual(16 % (variant.shapes.convolution[1] / 2), 0, "\(variant)")
    }
  }
}
