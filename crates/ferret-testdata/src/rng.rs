//! The seeded random source every generator uses.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Deterministic RNG: the same seed gives the same stream on every platform.
pub type TestRng = ChaCha8Rng;

/// A generator-specific RNG derived from the scenario seed and a label, so adding a generator
/// does not change the bytes of the others.
pub fn rng_for(seed: u64, label: &str) -> TestRng {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in label.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    ChaCha8Rng::seed_from_u64(seed ^ h)
}

/// A random lowercase word of `len` letters.
pub fn word(rng: &mut TestRng, len: usize) -> String {
    (0..len).map(|_| char::from(b'a' + rng.random_range(0..26u8))).collect()
}

/// A random hex string of `len` characters.
pub fn hex_string(rng: &mut TestRng, len: usize) -> String {
    const HEX: &[u8] = b"0123456789abcdef";
    (0..len).map(|_| char::from(HEX[rng.random_range(0..16usize)])).collect()
}

/// A random UUID-shaped string (upper case, as iOS writes them).
pub fn uuid(rng: &mut TestRng) -> String {
    let h = hex_string(rng, 32).to_uppercase();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}
