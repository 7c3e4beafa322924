//! Randomness from the operating system's CSPRNG (ids, tokens); never a userspace PRNG.

use crate::error::{Error, ErrorKind, Result};

/// Fills `buf` from the OS CSPRNG.
pub(crate) fn fill(buf: &mut [u8]) -> Result<()> {
    getrandom::getrandom(buf)
        .map_err(|e| Error::new(ErrorKind::Io, format!("OS random source failed: {e}")))
}

/// `n` random bytes from the OS CSPRNG as lowercase hex (2n characters).
pub(crate) fn hex_token(n: usize) -> Result<String> {
    let mut buf = vec![0u8; n];
    fill(&mut buf)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn tokens_are_distinct_full_length_and_use_every_bit() {
        let mut seen = HashSet::new();
        let mut ones = [0u32; 128];
        for _ in 0..20_000 {
            let mut t = [0u8; 16];
            fill(&mut t).unwrap();
            assert!(seen.insert(t), "a 128-bit token repeated");
            for (bit, count) in ones.iter_mut().enumerate() {
                *count += u32::from(t[bit / 8] >> (bit % 8) & 1);
            }
        }
        // Every bit position is set about half the time (20,000 draws: 10,000 ± 6 sigma).
        for (bit, &count) in ones.iter().enumerate() {
            assert!(
                (9_575..=10_425).contains(&count),
                "bit {bit} set {count} times"
            );
        }
        let hex = hex_token(8).unwrap();
        assert_eq!(hex.len(), 16);
        assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
