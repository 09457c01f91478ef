//! A small seeded random source (xorshift64*), so every random routing decision is
//! reproducible in tests and needs no dependency.

/// Random numbers for routing decisions.
pub trait Random {
    /// A uniform value in `0..n` (`0` when `n` is 0).
    fn below(&mut self, n: usize) -> usize;
    /// A uniform value in `[0, 1)`.
    fn unit(&mut self) -> f64;
}

#[derive(Debug, Clone)]
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        // Zero is a fixed point of xorshift.
        Self(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

impl Random for XorShift {
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        // Multiply-shift: unbiased enough for routing and branch-free.
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Fisher–Yates shuffle.
pub fn shuffle<T>(items: &mut [T], rng: &mut impl Random) {
    for i in (1..items.len()).rev() {
        let j = rng.below(i + 1);
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_within_tolerance() {
        let mut rng = XorShift::new(42);
        let mut counts = [0usize; 5];
        for _ in 0..50_000 {
            counts[rng.below(5)] += 1;
        }
        for c in counts {
            assert!((9_500..10_500).contains(&c), "{counts:?}");
        }
        let u = rng.unit();
        assert!((0.0..1.0).contains(&u));
    }

    #[test]
    fn shuffle_is_a_permutation_and_uniform() {
        let mut rng = XorShift::new(7);
        let mut first = [0usize; 4];
        for _ in 0..40_000 {
            let mut v = [0, 1, 2, 3];
            shuffle(&mut v, &mut rng);
            let mut sorted = v;
            sorted.sort_unstable();
            assert_eq!(sorted, [0, 1, 2, 3]);
            first[v[0]] += 1;
        }
        for c in first {
            assert!((9_500..10_500).contains(&c), "{first:?}");
        }
    }
}
