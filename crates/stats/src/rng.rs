//! A small seeded pseudo-random generator for resampling: xoshiro256** by Blackman & Vigna,
//! "Scrambled Linear Pseudorandom Number Generators", ACM TOMS 47(4), 2021
//! (<https://prng.di.unimi.it/>), seeded through SplitMix64 (Steele, Lea & Flood, "Fast
//! splittable pseudorandom number generators", OOPSLA 2014) as the authors recommend, with
//! Lemire's multiply-and-reject method for unbiased bounded integers ("Fast Random Integer
//! Generation in an Interval", ACM TOMACS 29(1), 2019).
//!
//! It is here instead of the `rand` crate so that a bootstrap result depends only on this file:
//! the same seed gives the same stream on every platform and across dependency upgrades.
//! Not for cryptography.

/// The xoshiro256** generator (256 bits of state, period 2^256 − 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Xoshiro256StarStar {
    s: [u64; 4],
}

/// One step of SplitMix64: advances `state` and returns the next output.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Xoshiro256StarStar {
    /// A generator whose state is four SplitMix64 outputs of `seed` (never all zero).
    pub fn seed_from_u64(seed: u64) -> Self {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Self { s }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniform integer in `0..n` without modulo bias (Lemire's method).
    ///
    /// # Panics
    /// When `n` is zero.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0): empty range");
        let mut m = u128::from(self.next_u64()) * u128::from(n);
        if (m as u64) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u64) < threshold {
                m = u128::from(self.next_u64()) * u128::from(n);
            }
        }
        (m >> 64) as u64
    }

    /// A uniform index in `0..len`.
    ///
    /// # Panics
    /// When `len` is zero.
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// A uniform float in `[0, 1)` with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_reference_output() {
        // First outputs of the reference splitmix64.c seeded with 1234567.
        let mut s = 1_234_567u64;
        assert_eq!(splitmix64(&mut s), 6_457_827_717_110_365_317);
        assert_eq!(splitmix64(&mut s), 3_203_168_211_198_807_973);
    }

    #[test]
    fn xoshiro_matches_reference_output() {
        // Reference xoshiro256starstar.c with state {1, 2, 3, 4}: first outputs.
        let mut r = Xoshiro256StarStar { s: [1, 2, 3, 4] };
        let got: Vec<u64> = (0..4).map(|_| r.next_u64()).collect();
        assert_eq!(got, [11_520, 0, 1_509_978_240, 1_215_971_899_390_074_240]);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut r = Xoshiro256StarStar::seed_from_u64(7);
        let mut seen = [0usize; 7];
        for _ in 0..7000 {
            seen[r.index(7)] += 1;
        }
        assert!(seen.iter().all(|&c| (800..1200).contains(&c)), "{seen:?}");
    }

    #[test]
    fn unit_floats_are_in_range() {
        let mut r = Xoshiro256StarStar::seed_from_u64(1);
        assert!((0..1000)
            .map(|_| r.next_f64())
            .all(|x| (0.0..1.0).contains(&x)));
    }
}
