//! Deterministic inputs: a small PRNG and a Zipf sampler, so both systems see the same keys.

/// SplitMix64: fast, deterministic, good enough to draw benchmark keys.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`; equal seeds give equal sequences.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n` > 0; the modulo bias is irrelevant at these sizes).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `len` random hex characters.
    pub fn hex(&mut self, len: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(len);
        let mut bits = 0u64;
        for i in 0..len {
            if i % 16 == 0 {
                bits = self.next_u64();
            }
            s.push(DIGITS[(bits & 15) as usize] as char);
            bits >>= 4;
        }
        s
    }
}

/// Zipf distribution over ranks `0..n` (rank 0 the most popular), by inverse CDF lookup.
#[derive(Debug)]
pub struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    /// Weights `1 / (k + 1)^s` for `k` in `0..n`, normalised.
    pub fn new(n: u64, s: f64) -> Zipf {
        let mut cdf = Vec::with_capacity(n as usize);
        let mut total = 0.0;
        for k in 1..=n {
            total += 1.0 / (k as f64).powf(s);
            cdf.push(total);
        }
        for c in &mut cdf {
            *c /= total;
        }
        Zipf { cdf }
    }

    /// One rank drawn with `rng`.
    pub fn sample(&self, rng: &mut Rng) -> u64 {
        let u = rng.unit();
        let i = self.cdf.partition_point(|&c| c < u);
        i.min(self.cdf.len() - 1) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_favours_low_ranks_and_stays_in_range() {
        let z = Zipf::new(1000, 1.1);
        let mut rng = Rng::new(7);
        let mut hits = [0u32; 2];
        for _ in 0..10_000 {
            let k = z.sample(&mut rng);
            assert!(k < 1000);
            if k == 0 {
                hits[0] += 1;
            } else if k == 999 {
                hits[1] += 1;
            }
        }
        assert!(hits[0] > 100 * hits[1].max(1) / 2, "{hits:?}");
    }

    #[test]
    fn rng_is_deterministic() {
        let mut a = Rng::new(1);
        let mut b = Rng::new(1);
        assert_eq!(a.hex(40), b.hex(40));
        assert!(a.below(10) < 10);
    }
}
