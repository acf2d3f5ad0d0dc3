import GrawaTensor
import XCTest
import _TestSupport

final class RandomTests: XCTestCase {
  // MARK: - Golden values

  // Produced by Tests/Fixtures/xoshiro_golden.py, an independent Python implementation of
  // SplitMix64 seeding (mixer = seed ^ (stream * 0xD1B54A32D192ED03 mod 2^64)) and xoshiro256**
  // written from Vigna's reference C code. Run `python3 Tests/Fixtures/xoshiro_golden.py`.
  private let golden: [(seed: UInt64, stream: UInt64, state: [UInt64], outputs: [UInt64])] = [
    (
      0x0000_0000_0000_0000, 0,
      [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F, 0xF88B_B8A8_724C_81EC],
      [
        0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0, 0x6AA5_94F1_262D_2D2C,
        0xBBA5_AD4A_1F84_2E59, 0xFFEF_8375_D9EB_CACA,
      ]
    ),
    (
      0x0000_0000_0000_002A, 0,
      [0xBDD7_3226_2FEB_6E95, 0x28EF_E333_B266_F103, 0x4752_6757_130F_9F52, 0x581C_E1FF_0E4A_E394],
      [
        0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1, 0xECB8_AD47_03B3_60A1,
        0xFDE6_DC7F_E2EC_5E64, 0xC50D_A531_0179_5238,
      ]
    ),
    (
      0x0000_0000_0000_002A, 1,
      [0xC8DD_BBBE_AB9C_BA1B, 0x3B33_3558_4873_A7B9, 0x4914_00C5_AAD0_9A09, 0x011F_78E5_3371_936D],
      [
        0x0030_425E_2A3D_C334, 0x057E_19F0_156C_8A6B, 0x8C5C_18F3_7D24_DFD8, 0x0878_8A1A_2C75_E2C4,
        0x32B4_6B76_5A14_DA30, 0x7640_8ABB_0354_69F1,
      ]
    ),
    (
      0x0000_0000_DEAD_BEEF, 7,
      [0xD2B2_B626_38CC_3675, 0xABC0_DFEB_135C_37C8, 0xB44C_7420_5FD3_A79C, 0x513B_85AB_B327_2278],
      [
        0x73AE_2933_9AE7_1595, 0xF5A1_5EB7_F219_E689, 0x5B5D_3C94_D143_2546, 0xC2F0_43DA_2167_41EA,
        0x96EE_1AF6_AA75_E24D, 0x127F_A1E4_9474_6F88,
      ]
    ),
    (
      0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF,
      [0x4841_6938_EF0D_CF6F, 0x8596_845E_7EA8_8CA1, 0x4C71_F30E_500F_0B72, 0x31F6_C0CA_FB92_5D54],
      [
        0xBAA2_4E21_D05C_2935, 0x19AC_3505_7764_8864, 0x7EF0_54B7_F95A_306A, 0x1D26_476E_F900_5C9B,
        0xBA2B_CCDD_E8E8_1B26, 0x4068_AB43_ED26_B416,
      ]
    ),
  ]

  func testSeeding_matchesSplitMix64GoldenState() {
    for (seed, stream, state, _) in golden {
      let generator = RandomGenerator(seed: seed, stream: stream)
      XCTAssertEqual(generator.state, state + [0, 0], "seed \(seed) stream \(stream)")
    }
  }

  func testNext_matchesXoshiro256StarStarGoldenOutputs() {
    for (seed, stream, _, outputs) in golden {
      var generator = RandomGenerator(seed: seed, stream: stream)
      let actual = (0..<outputs.count).map { _ in generator.next() }
      XCTAssertEqual(actual, outputs, "seed \(seed) stream \(stream)")
    }
  }

  func testNextUnitFloat_usesTopTwentyFourBits() {
    // From the script: the top 24 bits of the first four outputs of seed 42, stream 0.
    var generator = RandomGenerator(seed: 42)
    let numerators: [Float] = [1_406_987, 6_358_233, 11_409_235, 15_513_773]
    for numerator in numerators {
      XCTAssertEqual(generator.nextUnitFloat(), numerator / 16_777_216)
    }
  }

  func testNextUnitDouble_usesTopFiftyThreeBits() {
    var generator = RandomGenerator(seed: 42)
    // First output of seed 42 (golden) shifted right by 11, times 2^-53.
    let expected = Double(UInt64(0x1578_0B2E_0C2E_C716) >> 11) * 0x1p-53
    XCTAssertEqual(generator.nextUnitDouble(), expected)
  }

  func testNextInt_matchesLemireGoldenValues() {
    // From the script, seed 42: Lemire's multiply-shift (high 64 bits of next() * bound).
    var generator = RandomGenerator(seed: 42)
    XCTAssertEqual(
      (0..<12).map { _ in generator.nextInt(below: 10) }, [0, 3, 6, 9, 9, 7, 7, 8, 7, 5, 6, 2])
  }

  func testNextInt_rejectionLoopMatchesGolden() {
    // Bound 3 * 2^61 + 1 has rejection threshold 2^62 - 2. The script shows raw draws 2, 8, 10,
    // 11, 12 and 13 are rejected (draw 11 with its low word at 0.66 of the threshold), so ten
    // results consume sixteen outputs.
    var generator = RandomGenerator(seed: 42)
    let bound = 0x6000_0000_0000_0001
    let values = (0..<10).map { _ in generator.nextInt(below: bound) }
    XCTAssertEqual(
      values,
      [
        0x080D_0431_4491_8AA8, 0x2461_D192_68E6_75EF, 0x58C5_40FA_A163_443D, 0x5F36_92AF_F518_A366,
        0x49E5_1DF2_608D_7ED5, 0x450C_7FB2_01E6_3323, 0x5199_CEB9_7876_4033, 0x3800_6483_CCC3_E697,
        0x4445_3896_7B11_32ED, 0x5444_01E7_4586_6CFE,
      ])
    XCTAssertEqual(generator.next(), 0x9DE4_159E_DA9C_EF95)
  }

  func testNextNormal_matchesBoxMullerGolden() {
    // From the script (Python's libm): (r cos, r sin) for two pairs of uniforms.
    var generator = RandomGenerator(seed: 42)
    let expected = [
      -0.303263064678738, 0.28846173882942383, 1.3438117634372806, -0.6879751798977497,
    ]
    for value in expected {
      XCTAssertEqual(generator.nextNormal(), value, accuracy: 1e-13)
    }
  }

  // MARK: - Reproducibility

  func testSameSeedAndStream_giveTheSameStream() {
    var a = RandomGenerator(seed: 2024, stream: 3)
    var b = RandomGenerator(seed: 2024, stream: 3)
    for _ in 0..<1000 {
      XCTAssertEqual(a.next(), b.next())
    }
    XCTAssertEqual(a, b)
  }

  func testDifferentSeedsOrStreams_differ() {
    func firstOutputs(_ seed: UInt64, _ stream: UInt64) -> [UInt64] {
      var g = RandomGenerator(seed: seed, stream: stream)
      return (0..<8).map { _ in g.next() }
    }
    let base = firstOutputs(5, 0)
    XCTAssertNotEqual(base, firstOutputs(6, 0))
    XCTAssertNotEqual(base, firstOutputs(5, 1))
    XCTAssertNotEqual(firstOutputs(5, 1), firstOutputs(5, 2))
    // Streams of one seed share no value among their first outputs.
    XCTAssertTrue(Set(firstOutputs(5, 1)).isDisjoint(with: firstOutputs(5, 2)))
  }

  // MARK: - State save and restore

  func testStateRestore_midStreamContinuesIdentically() throws {
    var original = RandomGenerator(seed: 99, stream: 4)
    for _ in 0..<37 { _ = original.next() }
    var restored = try RandomGenerator(state: original.state)
    XCTAssertEqual(restored, original)
    for _ in 0..<100 {
      XCTAssertEqual(restored.next(), original.next())
    }
  }

  func testStateRestore_keepsPendingSpareNormal() throws {
    var original = RandomGenerator(seed: 7)
    _ = original.nextNormal()  // leaves the pair's second deviate pending
    let saved = original.state
    XCTAssertEqual(saved.count, 6)
    XCTAssertEqual(saved[4], 1, "the spare flag is set")
    var restored = try RandomGenerator(state: saved)
    // The continuation mixes normals (the first one is the spare), uniforms and raw bits.
    for _ in 0..<5 {
      XCTAssertEqual(restored.nextNormal().bitPattern, original.nextNormal().bitPattern)
      XCTAssertEqual(restored.nextUnitFloat(), original.nextUnitFloat())
      XCTAssertEqual(restored.nextNormal().bitPattern, original.nextNormal().bitPattern)
      XCTAssertEqual(restored.next(), original.next())
    }
    XCTAssertEqual(restored, original)
  }

  func testStateRestore_spareIsTheSecondDeviateOfThePair() throws {
    var pair = RandomGenerator(seed: 8)
    _ = pair.nextNormal()
    let spare = pair.nextNormal()
    var saved = RandomGenerator(seed: 8)
    _ = saved.nextNormal()
    let state = saved.state
    XCTAssertEqual(state[5], spare.bitPattern)
    // Dropping the spare flag gives a generator that draws a fresh pair instead.
    var withoutSpare = try RandomGenerator(state: Array(state[0..<4]) + [0, 0])
    XCTAssertNotEqual(withoutSpare.nextNormal(), spare)
  }

  func testStateRestore_rejectsMalformedState() {
    XCTAssertThrowsError(try RandomGenerator(state: [1, 2, 3, 4, 0])) { error in
      XCTAssertEqual("\(error)", "RandomGenerator(state:): expected 6 state words, got 5")
    }
    XCTAssertThrowsError(try RandomGenerator(state: [0, 0, 0, 0, 0, 0])) { error in
      XCTAssertEqual(
        "\(error)",
        "RandomGenerator(state:): the four generator words are all zero (not a valid xoshiro256** state)")
    }
    XCTAssertNoThrow(try RandomGenerator(state: [0, 0, 0, 1, 0, 0]))
  }

  // MARK: - Distributions

  func testNextInt_staysInRangeAndIsRoughlyUniform() {
    var generator = RandomGenerator(seed: 11)
    let bins = 10
    let draws = 100_000
    var counts = [Int](repeating: 0, count: bins)
    for _ in 0..<draws {
      let value = generator.nextInt(below: bins)
      XCTAssertTrue((0..<bins).contains(value))
      if (0..<bins).contains(value) { counts[value] += 1 }
    }
    // Chi-square with 9 degrees of freedom: mean 9, standard deviation sqrt(18) ~ 4.2.
    // 40 is more than 7 standard deviations above the mean.
    let expected = Double(draws) / Double(bins)
    let chiSquare = counts.reduce(0.0) {
      $0 + (Double($1) - expected) * (Double($1) - expected) / expected
    }
    XCTAssertLessThan(chiSquare, 40, "\(counts)")
    for _ in 0..<100 {
      XCTAssertEqual(generator.nextInt(below: 1), 0)
      XCTAssertTrue((0..<3).contains(generator.nextInt(below: 3)))
      XCTAssertTrue((0..<Int.max).contains(generator.nextInt(below: Int.max)))
    }
  }

  func testNextUnitFloatAndDouble_stayInHalfOpenUnitInterval() {
    var generator = RandomGenerator(seed: 12)
    let draws = 100_000
    var floatTotal: Double = 0
    var doubleTotal: Double = 0
    for _ in 0..<draws {
      let f = generator.nextUnitFloat()
      let d = generator.nextUnitDouble()
      XCTAssertTrue(f >= 0 && f < 1)
      XCTAssertTrue(d >= 0 && d < 1)
      floatTotal += Double(f)
      doubleTotal += d
    }
    // Uniform(0, 1): mean 1/2, variance 1/12; allow 6 standard errors.
    let tolerance = 6 * (1.0 / 12 / Double(draws)).squareRoot()
    XCTAssertEqual(floatTotal / Double(draws), 0.5, accuracy: tolerance)
    XCTAssertEqual(doubleTotal / Double(draws), 0.5, accuracy: tolerance)
  }

  func testNextNormal_hasZeroMeanAndUnitVariance() {
    var generator = RandomGenerator(seed: 13)
    let draws = 100_000
    var total: Double = 0
    var squares: Double = 0
    var fourth: Double = 0
    for _ in 0..<draws {
      let x = generator.nextNormal()
      XCTAssertTrue(x.isFinite)
      total += x
      squares += x * x
      fourth += x * x * x * x
    }
    let mean = total / Double(draws)
    let variance = squares / Double(draws) - mean * mean
    // Standard error of the mean is 1/sqrt(n); of the variance, sqrt(2/n). Allow 6 of each.
    XCTAssertEqual(mean, 0, accuracy: 6 / Double(draws).squareRoot())
    XCTAssertEqual(variance, 1, accuracy: 6 * (2 / Double(draws)).squareRoot())
    // The fourth moment of a normal is 3 (its standard error is sqrt(96/n)); a uniform would
    // give 1.8.
    XCTAssertEqual(fourth / Double(draws), 3, accuracy: 6 * (96 / Double(draws)).squareRoot())
  }

  // MARK: - shuffle

  func testShuffle_isADeterministicPermutation() {
    let values = Array(0..<50)
    var a = values
    var b = values
    var g1 = RandomGenerator(seed: 21)
    var g2 = RandomGenerator(seed: 21)
    g1.shuffle(&a)
    g2.shuffle(&b)
    XCTAssertEqual(a, b)
    XCTAssertEqual(a.sorted(), values)
    XCTAssertNotEqual(a, values)
    var c = values
    var g3 = RandomGenerator(seed: 22)
    g3.shuffle(&c)
    XCTAssertNotEqual(c, a)
    XCTAssertEqual(c.sorted(), values)
  }

  func testShuffle_matchesFisherYatesDrivenByNextInt() {
    // Fisher-Yates from the top: swap i with nextInt(below: i + 1) for i = n-1 down to 1.
    var values = Array(0..<20)
    var generator = RandomGenerator(seed: 23)
    generator.shuffle(&values)
    var expected = Array(0..<20)
    var reference = RandomGenerator(seed: 23)
    for i in stride(from: 19, to: 0, by: -1) {
      expected.swapAt(i, reference.nextInt(below: i + 1))
    }
    XCTAssertEqual(values, expected)
    XCTAssertEqual(generator, reference)
  }

  func testShuffle_positionsAreRoughlyUniform() {
    // Where element 0 ends up over many shuffles of 5 elements: uniform over 5 positions.
    var generator = RandomGenerator(seed: 24)
    var counts = [Int](repeating: 0, count: 5)
    let trials = 20_000
    for _ in 0..<trials {
      var values = [0, 1, 2, 3, 4]
      generator.shuffle(&values)
      if let position = values.firstIndex(of: 0) { counts[position] += 1 }
    }
    // Chi-square with 4 degrees of freedom: mean 4, standard deviation sqrt(8) ~ 2.8.
    let expected = Double(trials) / 5
    let chiSquare = counts.reduce(0.0) {
      $0 + (Double($1) - expected) * (Double($1) - expected) / expected
    }
    XCTAssertLessThan(chiSquare, 30, "\(counts)")
  }

  func testShuffle_emptyAndSingleElementAreUnchanged() {
    var generator = RandomGenerator(seed: 25)
    let before = generator
    var empty: [Int] = []
    var single = [42]
    generator.shuffle(&empty)
    generator.shuffle(&single)
    XCTAssertEqual(empty, [])
    XCTAssertEqual(single, [42])
    XCTAssertEqual(generator, before, "no draws for fewer than two elements")
  }
}
