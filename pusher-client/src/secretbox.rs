//! NaCl's `crypto_secretbox` seal (XSalsa20-Poly1305), with a Salsa20 keystream that computes
//! four blocks at once.
//!
//! Encrypting a trigger's payload is dominated by the Salsa20 keystream, and the RustCrypto
//! `salsa20` crate computes one 64-byte block at a time in scalar code. Here the 16 state words
//! of four consecutive blocks are kept as `[u32; 4]` lanes, which the compiler turns into SIMD
//! on any x86-64 (SSE2) or AArch64 (NEON) target without `unsafe` or target-specific code.
//! Only sealing lives here; opening stays on `crypto_secretbox`, and the tests check this seal
//! against it byte for byte (and against libsodium's known answers, in `encryption.rs`).
//! Salsa20 is add-rotate-xor only, so the lanes keep it constant-time.

use poly1305::Poly1305;
use poly1305::universal_hash::KeyInit;
use wide::u32x4;

/// Bytes of a Poly1305 tag.
pub(crate) const TAG_LEN: usize = 16;

/// "expand 32-byte k"
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// Four blocks computed together.
const LANES: usize = 4;

type Lanes = u32x4;

#[inline(always)]
fn add(a: Lanes, b: Lanes) -> Lanes {
    a + b
}

/// `a ^ rotl(b + c, R)` on every lane.
#[inline(always)]
fn step<const R: u32>(a: Lanes, b: Lanes, c: Lanes) -> Lanes {
    let t = b + c;
    a ^ ((t << R) | (t >> (32 - R)))
}

/// The 20 Salsa20 rounds over `x` (one state per lane), without the final addition.
#[inline(always)]
fn rounds(x: &mut [Lanes; 16]) {
    let [
        mut x0,
        mut x1,
        mut x2,
        mut x3,
        mut x4,
        mut x5,
        mut x6,
        mut x7,
        mut x8,
        mut x9,
        mut x10,
        mut x11,
        mut x12,
        mut x13,
        mut x14,
        mut x15,
    ] = *x;
    for _ in 0..10 {
        // Column round.
        x4 = step::<7>(x4, x0, x12);
        x8 = step::<9>(x8, x4, x0);
        x12 = step::<13>(x12, x8, x4);
        x0 = step::<18>(x0, x12, x8);
        x9 = step::<7>(x9, x5, x1);
        x13 = step::<9>(x13, x9, x5);
        x1 = step::<13>(x1, x13, x9);
        x5 = step::<18>(x5, x1, x13);
        x14 = step::<7>(x14, x10, x6);
        x2 = step::<9>(x2, x14, x10);
        x6 = step::<13>(x6, x2, x14);
        x10 = step::<18>(x10, x6, x2);
        x3 = step::<7>(x3, x15, x11);
        x7 = step::<9>(x7, x3, x15);
        x11 = step::<13>(x11, x7, x3);
        x15 = step::<18>(x15, x11, x7);
        // Row round.
        x1 = step::<7>(x1, x0, x3);
        x2 = step::<9>(x2, x1, x0);
        x3 = step::<13>(x3, x2, x1);
        x0 = step::<18>(x0, x3, x2);
        x6 = step::<7>(x6, x5, x4);
        x7 = step::<9>(x7, x6, x5);
        x4 = step::<13>(x4, x7, x6);
        x5 = step::<18>(x5, x4, x7);
        x11 = step::<7>(x11, x10, x9);
        x8 = step::<9>(x8, x11, x10);
        x9 = step::<13>(x9, x8, x11);
        x10 = step::<18>(x10, x9, x8);
        x12 = step::<7>(x12, x15, x14);
        x13 = step::<9>(x13, x12, x15);
        x14 = step::<13>(x14, x13, x12);
        x15 = step::<18>(x15, x14, x13);
    }
    *x = [
        x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15,
    ];
}

fn words<const N: usize>(bytes: &[u8]) -> [u32; N] {
    core::array::from_fn(|i| {
        u32::from_le_bytes([
            bytes[4 * i],
            bytes[4 * i + 1],
            bytes[4 * i + 2],
            bytes[4 * i + 3],
        ])
    })
}

/// The Salsa20 input block for `key`, `nonce` (8 bytes) and a zero counter.
fn salsa_input(key: &[u32; 8], nonce: &[u32; 2]) -> [u32; 16] {
    [
        SIGMA[0], key[0], key[1], key[2], key[3], SIGMA[1], nonce[0], nonce[1], 0, 0, SIGMA[2],
        key[4], key[5], key[6], key[7], SIGMA[3],
    ]
}

/// HSalsa20: derives XSalsa20's subkey from the key and the nonce's first 16 bytes.
fn hsalsa20(key: &[u32; 8], nonce16: &[u32; 4]) -> [u32; 8] {
    let input = [
        SIGMA[0], key[0], key[1], key[2], key[3], SIGMA[1], nonce16[0], nonce16[1], nonce16[2],
        nonce16[3], SIGMA[2], key[4], key[5], key[6], key[7], SIGMA[3],
    ];
    let mut x: [Lanes; 16] = core::array::from_fn(|i| u32x4::splat(input[i]));
    rounds(&mut x);
    let w = |i: usize| x[i].to_array()[0];
    [w(0), w(5), w(10), w(15), w(6), w(7), w(8), w(9)]
}

/// XORs the Salsa20 keystream (counter from 0) into `buf`.
fn xor_keystream(key: &[u32; 8], nonce: &[u32; 2], buf: &mut [u8]) {
    let input = salsa_input(key, nonce);
    let mut counter: u64 = 0;
    for chunk in buf.chunks_mut(64 * LANES) {
        let mut start: [Lanes; 16] = core::array::from_fn(|i| u32x4::splat(input[i]));
        let blocks: [u64; LANES] = core::array::from_fn(|lane| counter + lane as u64);
        start[8] = u32x4::new(blocks.map(|b| b as u32));
        start[9] = u32x4::new(blocks.map(|b| (b >> 32) as u32));
        let mut x = start;
        rounds(&mut x);
        let words: [[u32; LANES]; 16] = core::array::from_fn(|i| add(x[i], start[i]).to_array());
        for (lane, block) in chunk.chunks_mut(64).enumerate() {
            if let Ok(block) = <&mut [u8; 64]>::try_from(&mut *block) {
                // A whole block: a word at a time.
                for (i, bytes) in block.chunks_exact_mut(4).enumerate() {
                    let mut word = [0u8; 4];
                    word.copy_from_slice(bytes);
                    let word = u32::from_le_bytes(word) ^ words[i][lane];
                    bytes.copy_from_slice(&word.to_le_bytes());
                }
            } else {
                for (i, b) in block.iter_mut().enumerate() {
                    *b ^= words[i / 4][lane].to_le_bytes()[i % 4];
                }
            }
        }
        counter += LANES as u64;
    }
}

/// Seals `plaintext` under `key` and `nonce` as `crypto_secretbox` does, returning
/// `tag ‖ ciphertext` (`TAG_LEN + plaintext.len()` bytes) as a slice of the returned buffer:
/// the buffer's first `TAG_LEN` bytes are scratch.
pub(crate) fn seal(key: &[u8; 32], nonce: &[u8; 24], plaintext: &[u8]) -> (Vec<u8>, usize) {
    let key: [u32; 8] = words(key);
    let subkey = hsalsa20(&key, &words(&nonce[..16]));
    // NaCl's layout: 32 zero bytes (whose keystream is the Poly1305 key), then the message.
    let mut buf = Vec::with_capacity(32 + plaintext.len());
    buf.resize(32, 0);
    buf.extend_from_slice(plaintext);
    xor_keystream(&subkey, &words(&nonce[16..]), &mut buf);
    let (mac_key, ciphertext) = buf.split_at_mut(32);
    let tag = Poly1305::new(poly1305::Key::from_slice(mac_key)).compute_unpadded(ciphertext);
    buf[TAG_LEN..32].copy_from_slice(&tag);
    (buf, TAG_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypto_secretbox::aead::Aead;
    use crypto_secretbox::{Key, Nonce, XSalsa20Poly1305};

    /// Byte for byte what `crypto_secretbox` seals, for every length around the four-block
    /// boundaries and a few keys and nonces.
    #[test]
    fn same_as_crypto_secretbox() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        };
        let lens = (0..=300).chain([511, 512, 513, 1024, 4096 + 7, 65_536]);
        for len in lens {
            let key: [u8; 32] = core::array::from_fn(|_| next());
            let nonce: [u8; 24] = core::array::from_fn(|_| next());
            let plaintext: Vec<u8> = (0..len).map(|_| next()).collect();
            let expected = XSalsa20Poly1305::new(Key::from_slice(&key))
                .encrypt(Nonce::from_slice(&nonce), plaintext.as_slice())
                .unwrap();
            let (buf, start) = seal(&key, &nonce, &plaintext);
            assert_eq!(&buf[start..], expected.as_slice(), "length {len}");
        }
    }
}
