import GrawaTensor

/// What a derived generator is for; keeps the sampler's and the augmentation's streams apart
/// even when the caller hands both the same seed.
enum SeedPurpose: UInt64 {
  case shardPermutation = 0x5348_4152_4450_4552  // "SHARDPER"
  case augmentation = 0x4155_474D_454E_5400  // "AUGMENT"
  case synthetic = 0x5359_4E54_4845_5449  // "SYNTHETI"
}

/// A generator determined by (`seed`, `purpose`, `first`, `second`) alone: the seed is mixed with
/// the purpose and `first` through SplitMix64's finaliser and `second` selects the stream.
///
/// Used so that every epoch's permutation and every batch's augmentation draws come from their
/// own generator, whatever order threads reach them in.
func derivedGenerator(seed: UInt64, purpose: SeedPurpose, _ first: UInt64, _ second: UInt64 = 0)
  -> RandomGenerator
{
  var z = seed ^ purpose.rawValue
  z = mix64(z &+ first &* 0x9E37_79B9_7F4A_7C15)
  return RandomGenerator(seed: z, stream: second)
}

/// SplitMix64's output function (a bijection on 64-bit words with good avalanche).
func mix64(_ value: UInt64) -> UInt64 {
  var z = value &+ 0x9E37_79B9_7F4A_7C15
  z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
  z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
  return z ^ (z >> 31)
}
