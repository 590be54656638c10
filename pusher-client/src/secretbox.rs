//! NaCl's `crypto_secretbox` seal (XSalsa20-Poly1305), written for speed: encrypting a
//! trigger's payload is the client's most expensive CPU path.
//!
//! - Salsa20: the RustCrypto `salsa20` crate computes one 64-byte block at a time in scalar
//!   code. Here the 16 state words of four consecutive blocks are kept in `wide::u32x4` lanes,
//!   which compile to SSE2 on x86-64 and NEON on AArch64, in safe code.
//! - Poly1305: the `poly1305` crate's AVX2 backend calls its intrinsics out of line; 44/44/42-bit
//!   limbs with 64x64->128-bit products are faster here.
//!
//! Both are add-rotate-xor or branch-free arithmetic on secret data, so constant-time. Only
//! sealing lives here; opening stays on `crypto_secretbox`. The tests check this seal against
//! `crypto_secretbox` byte for byte, Poly1305 against RFC 8439 and the `poly1305` crate, and
//! `encryption.rs` against libsodium's known answers.

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
    let tag = poly1305(mac_key, ciphertext);
    buf[TAG_LEN..32].copy_from_slice(&tag);
    (buf, TAG_LEN)
}

const MASK44: u64 = 0xfff_ffff_ffff;
const MASK42: u64 = 0x3ff_ffff_ffff;

fn le64(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(word)
}

/// Poly1305 of `message` under the one-time `key` (32 bytes), in 44/44/42-bit limbs with
/// 64x64->128-bit products (the "donna-64" layout). Written here because the `poly1305`
/// crate's AVX2 backend calls its intrinsics out of line (a third of the time of a 1 KB seal,
/// by perf); this is branch-free on the data, so constant-time.
fn poly1305(key: &[u8], message: &[u8]) -> [u8; 16] {
    let (t0, t1) = (le64(&key[0..8]), le64(&key[8..16]));
    // r, clamped.
    let r0 = t0 & 0xffc_0fff_ffff;
    let r1 = ((t0 >> 44) | (t1 << 20)) & 0xfff_ffc0_ffff;
    let r2 = (t1 >> 24) & 0x00f_ffff_fc0f;
    let (s1, s2) = (r1 * 20, r2 * 20);
    let (mut h0, mut h1, mut h2) = (0u64, 0u64, 0u64);
    let mut block = |m: &[u8; 16], hibit: u64| {
        let (t0, t1) = (le64(&m[0..8]), le64(&m[8..16]));
        h0 += t0 & MASK44;
        h1 += ((t0 >> 44) | (t1 << 20)) & MASK44;
        h2 += ((t1 >> 24) & MASK42) | hibit;
        let mul = |a: u64, b: u64| u128::from(a) * u128::from(b);
        let d0 = mul(h0, r0) + mul(h1, s2) + mul(h2, s1);
        let mut d1 = mul(h0, r1) + mul(h1, r0) + mul(h2, s2);
        let mut d2 = mul(h0, r2) + mul(h1, r1) + mul(h2, r0);
        let c = (d0 >> 44) as u64;
        h0 = d0 as u64 & MASK44;
        d1 += u128::from(c);
        let c = (d1 >> 44) as u64;
        h1 = d1 as u64 & MASK44;
        d2 += u128::from(c);
        let c = (d2 >> 42) as u64;
        h2 = d2 as u64 & MASK42;
        h0 += c * 5;
        let c = h0 >> 44;
        h0 &= MASK44;
        h1 += c;
    };
    let mut blocks = message.chunks_exact(16);
    for m in &mut blocks {
        let mut full = [0u8; 16];
        full.copy_from_slice(m);
        block(&full, 1 << 40);
    }
    let rest = blocks.remainder();
    if !rest.is_empty() {
        let mut last = [0u8; 16];
        last[..rest.len()].copy_from_slice(rest);
        last[rest.len()] = 1;
        block(&last, 0);
    }

    // Fully carry h.
    let c = h1 >> 44;
    h1 &= MASK44;
    h2 += c;
    let c = h2 >> 42;
    h2 &= MASK42;
    h0 += c * 5;
    let c = h0 >> 44;
    h0 &= MASK44;
    h1 += c;
    let c = h1 >> 44;
    h1 &= MASK44;
    h2 += c;
    let c = h2 >> 42;
    h2 &= MASK42;
    h0 += c * 5;
    let c = h0 >> 44;
    h0 &= MASK44;
    h1 += c;

    // g = h - p; keep h if that underflowed, g otherwise, without branching.
    let mut g0 = h0 + 5;
    let c = g0 >> 44;
    g0 &= MASK44;
    let mut g1 = h1 + c;
    let c = g1 >> 44;
    g1 &= MASK44;
    let mut g2 = (h2 + c).wrapping_sub(1 << 42);
    let keep_g = (g2 >> 63).wrapping_sub(1);
    g0 &= keep_g;
    g1 &= keep_g;
    g2 &= keep_g;
    let keep_h = !keep_g;
    h0 = (h0 & keep_h) | g0;
    h1 = (h1 & keep_h) | g1;
    h2 = (h2 & keep_h) | g2;

    // h + s (the key's second half), mod 2^128.
    let (t0, t1) = (le64(&key[16..24]), le64(&key[24..32]));
    h0 += t0 & MASK44;
    let c = h0 >> 44;
    h0 &= MASK44;
    h1 += (((t0 >> 44) | (t1 << 20)) & MASK44) + c;
    let c = h1 >> 44;
    h1 &= MASK44;
    h2 += ((t1 >> 24) & MASK42) + c;
    h2 &= MASK42;

    let mut tag = [0u8; 16];
    tag[..8].copy_from_slice(&(h0 | (h1 << 44)).to_le_bytes());
    tag[8..].copy_from_slice(&((h1 >> 20) | (h2 << 24)).to_le_bytes());
    tag
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypto_secretbox::aead::{Aead, KeyInit};
    use crypto_secretbox::{Key, Nonce, XSalsa20Poly1305};

    /// RFC 8439 section 2.5.2's test vector, then every length against the `poly1305` crate
    /// with keys that include the all-ones edge.
    #[test]
    fn poly1305_as_rfc_8439_and_the_poly1305_crate() {
        let key = hex::decode("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b")
            .unwrap();
        assert_eq!(
            hex::encode(poly1305(&key, b"Cryptographic Forum Research Group")),
            "a8061dc1305136c6c22b8baf0c0127a9"
        );
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        };
        for len in (0..=200).chain([1024, 1056, 4099]) {
            for key in [core::array::from_fn::<u8, 32, _>(|_| next()), [0xff; 32]] {
                let message: Vec<u8> = (0..len).map(|_| next()).collect();
                let expected = poly1305::Poly1305::new(poly1305::Key::from_slice(&key))
                    .compute_unpadded(&message);
                assert_eq!(
                    poly1305(&key, &message),
                    expected.as_slice(),
                    "length {len}"
                );
            }
        }
        // h just above p: all-ones message blocks under the all-ones key.
        let ones = [0xffu8; 64];
        let expected =
            poly1305::Poly1305::new(poly1305::Key::from_slice(&[0xff; 32])).compute_unpadded(&ones);
        assert_eq!(poly1305(&[0xff; 32], &ones), expected.as_slice());
    }

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
