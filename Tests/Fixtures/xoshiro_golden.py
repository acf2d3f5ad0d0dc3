#!/usr/bin/env python3
"""Golden outputs of RandomGenerator (xoshiro256** seeded through SplitMix64).

Independent reference for Tests/GrawaTensorTests/RandomTests.swift: written from the published
algorithms (Vigna's splitmix64.c and xoshiro256starstar.c), not from our Swift code's output.

Seeding, as documented in Sources/GrawaTensor/Random.swift:
    mixer = seed ^ (stream * 0xD1B54A32D192ED03 mod 2^64)
    s0, s1, s2, s3 = four successive SplitMix64 outputs from `mixer`
Then each draw is xoshiro256** next().

Run:  python3 Tests/Fixtures/xoshiro_golden.py
and paste the printed Swift literals into RandomTests.swift.
"""

MASK = (1 << 64) - 1


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class SplitMix64:
    def __init__(self, state):
        self.state = state & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)


class Xoshiro256StarStar:
    def __init__(self, seed, stream=0):
        mixer = SplitMix64(seed ^ ((stream * 0xD1B54A32D192ED03) & MASK))
        self.s = [mixer.next() for _ in range(4)]

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result


def swift_hex(x):
    digits = f"{x:016X}"
    return "0x" + "_".join(digits[i:i + 4] for i in range(0, 16, 4))


def next_int_below(g, bound):
    """Lemire's multiply-shift with rejection (unbiased), as documented for nextInt(below:)."""
    product = g.next() * bound
    low = product & MASK
    if low < bound:
        threshold = ((1 << 64) - bound) % bound
        while low < threshold:
            product = g.next() * bound
            low = product & MASK
    return product >> 64


def next_normal_pair(g):
    """Box-Muller on two 53-bit uniforms: u1 = 1 - U, u2 = U'; returns (r cos, r sin)."""
    import math
    u1 = 1.0 - (g.next() >> 11) * 2.0 ** -53
    u2 = (g.next() >> 11) * 2.0 ** -53
    radius = math.sqrt(-2.0 * math.log(u1))
    angle = 2.0 * math.pi * u2
    return radius * math.cos(angle), radius * math.sin(angle)


CASES = [(0, 0), (42, 0), (42, 1), (0xDEADBEEF, 7), (MASK, MASK)]
COUNT = 6

if __name__ == "__main__":
    # Sanity check against Vigna's splitmix64 with seed 1234567 (first output from his test vectors).
    assert SplitMix64(1234567).next() == 6457827717110365317
    for seed, stream in CASES:
        g = Xoshiro256StarStar(seed, stream)
        state = ", ".join(swift_hex(w) for w in g.s)
        values = ", ".join(swift_hex(g.next()) for _ in range(COUNT))
        print(f"// seed {swift_hex(seed)}, stream {stream}: state [{state}]")
        print(f"({swift_hex(seed)}, {swift_hex(stream)}, [{values}]),")
    # Derived draws for seed 42, stream 0 (each list from a fresh generator).
    g = Xoshiro256StarStar(42)
    units = [(g.next() >> 40) for _ in range(4)]
    print("// nextUnitFloat numerators (value = n / 2^24):", ", ".join(str(u) for u in units))
    g = Xoshiro256StarStar(42)
    print("// nextInt(below: 10):", ", ".join(str(next_int_below(g, 10)) for _ in range(12)))
    # A bound of 3 * 2^61 + 1 rejects about a quarter of the draws (threshold 2^62 - 2), exercising
    # Lemire's rejection loop; print which raw draws were rejected and where their low word fell.
    big = (3 << 61) + 1
    threshold = ((1 << 64) - big) % big
    g = Xoshiro256StarStar(42)
    for i in range(16):
        low = (g.next() * big) & MASK
        if low < threshold:
            print(f"//   raw draw {i} rejected: low word = {low / threshold:.3f} * threshold")
    g = Xoshiro256StarStar(42)
    print(f"// nextInt(below: {swift_hex(big)}):", ", ".join(swift_hex(next_int_below(g, big)) for _ in range(10)))
    print(f"//   (then the generator's next() is {swift_hex(g.next())})")
    g = Xoshiro256StarStar(42)
    pairs = [next_normal_pair(g) for _ in range(2)]
    print("// nextNormal():", ", ".join(repr(v) for pair in pairs for v in pair))
