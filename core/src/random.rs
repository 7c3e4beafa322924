//! Randomness from the operating system's CSPRNG (ids, tokens); never a userspace PRNG.

use crate::error::{Error, ErrorKind, Result};

/// Fills `buf` from the OS CSPRNG.
pub(crate) fn fill(buf: &mut [u8]) -> Result<()> {
    getrandom::getrandom(buf)
        .map_err(|e| Error::new(ErrorKind::Io, format!("OS random source failed: {e}")))
}

/// `n` random bytes as lowercase hex (2n characters).
pub(crate) fn hex_token(n: usize) -> String {
    let mut buf = vec![0u8; n];
    fill(&mut buf).expect("the OS random source is unavailable");
    let mut s = String::with_capacity(n * 2);
    for b in buf {
        s.push_str(&format!("{b:02x}"));
    }
    s
}
