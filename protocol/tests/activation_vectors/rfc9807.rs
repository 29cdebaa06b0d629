//! The primitives of OPAQUE-3DH (RFC 9807) with ristretto255-SHA512 and this protocol's KSF,
//! written out from the RFCs' definitions rather than taken from opaque-ke's state machines:
//! the vectors test recomputes every intermediate value with them and checks each against
//! what opaque-ke actually produced.

use curve25519_dalek::{
    constants::RISTRETTO_BASEPOINT_POINT,
    ristretto::{CompressedRistretto, RistrettoPoint},
    scalar::Scalar,
};
use opaque_ke::argon2::{Algorithm, Argon2, Params, Version};
use ring::{digest, hkdf, hmac};
use voprf::Group;

/// RFC 9497 `contextString` of the OPRF: `"OPRFV1-" ‖ I2OSP(mode = 0x00, 1) ‖ "-" ‖
/// identifier`.
const CONTEXT_STRING: [&[u8]; 4] = [b"OPRFV1-", &[0x00], b"-", b"ristretto255-SHA512"];

/// `Nh`, `Nx`, `Nm`: SHA-512's output length.
pub const NH: usize = 64;

/// `I2OSP(len, 2)`.
pub fn u16be(len: usize) -> [u8; 2] {
    u16::try_from(len).unwrap().to_be_bytes()
}

/// A scalar drawn from the RNG: 64 bytes read as a little-endian integer, reduced mod ℓ
/// (curve25519-dalek's `Scalar::random`, which opaque-ke and voprf call).
pub fn scalar_from_wide_draw(bytes: &[u8]) -> Scalar {
    Scalar::from_bytes_mod_order_wide(&bytes.try_into().unwrap())
}

/// `SerializeElement(sk · G)`.
pub fn public_key(secret: &Scalar) -> [u8; 32] {
    (RISTRETTO_BASEPOINT_POINT * secret).compress().to_bytes()
}

/// `DeserializeElement`; the vectors only hold valid encodings.
pub fn element(bytes: &[u8]) -> RistrettoPoint {
    CompressedRistretto::from_slice(bytes)
        .unwrap()
        .decompress()
        .unwrap()
}

/// `SerializeElement(scalar · element)`.
pub fn multiply(scalar: &Scalar, element: &RistrettoPoint) -> [u8; 32] {
    (element * scalar).compress().to_bytes()
}

/// RFC 9497 `HashToGroup`: hash_to_ristretto255 with expand_message_xmd(SHA-512) and
/// DST = `"HashToGroup-" ‖ contextString`.
pub fn hash_to_group(input: &[u8]) -> RistrettoPoint {
    let dst: Vec<&[u8]> = [b"HashToGroup-".as_slice()]
        .into_iter()
        .chain(CONTEXT_STRING)
        .collect();
    voprf::Ristretto255::hash_to_curve::<sha2::Sha512>(&[input], &dst).unwrap()
}

/// RFC 9497 §3.2.1 `DeriveKeyPair(seed, info)`: the first non-zero
/// `HashToScalar(seed ‖ I2OSP(len(info), 2) ‖ info ‖ I2OSP(counter, 1))` with
/// DST = `"DeriveKeyPair" ‖ contextString`, counter from 0.
pub fn derive_key_pair(seed: &[u8], info: &[u8]) -> Scalar {
    let dst: Vec<&[u8]> = [b"DeriveKeyPair".as_slice()]
        .into_iter()
        .chain(CONTEXT_STRING)
        .collect();
    let info_len = u16be(info.len());
    (0..=u8::MAX)
        .map(|counter| {
            voprf::Ristretto255::hash_to_scalar::<sha2::Sha512>(
                &[seed, &info_len, info, &[counter]],
                &dst,
            )
            .unwrap()
        })
        .find(|scalar| *scalar != Scalar::ZERO)
        .unwrap()
}

/// RFC 9497 OPRF `Finalize` output: `Hash(I2OSP(len(input), 2) ‖ input ‖
/// I2OSP(len(unblinded), 2) ‖ unblinded ‖ "Finalize")`.
pub fn oprf_output(input: &[u8], unblinded_element: &[u8; 32]) -> [u8; NH] {
    hash(&[
        &u16be(input.len()),
        input,
        &u16be(unblinded_element.len()),
        unblinded_element,
        b"Finalize",
    ])
}

/// SHA-512 over the concatenation of `parts`.
pub fn hash(parts: &[&[u8]]) -> [u8; NH] {
    let mut context = digest::Context::new(&digest::SHA512);
    for part in parts {
        context.update(part);
    }
    context.finish().as_ref().try_into().unwrap()
}

/// HMAC-SHA-512 over the concatenation of `parts`.
pub fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; NH] {
    let mut context = hmac::Context::with_key(&hmac::Key::new(hmac::HMAC_SHA512, key));
    for part in parts {
        context.update(part);
    }
    context.sign().as_ref().try_into().unwrap()
}

/// HKDF-SHA-512 `Extract(salt, ikm)` = HMAC(salt, ikm) (RFC 5869 §2.2).
pub fn extract(salt: &[u8], ikm: &[&[u8]]) -> [u8; NH] {
    mac(salt, ikm)
}

/// An HKDF output length, as ring wants it.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-SHA-512 `Expand(prk, info, len)` with `info` the concatenation of `info`.
pub fn expand(prk: &[u8], info: &[&[u8]], len: usize) -> Vec<u8> {
    let mut out = vec![0; len];
    hkdf::Prk::new_less_safe(hkdf::HKDF_SHA512, prk)
        .expand(info, Len(len))
        .unwrap()
        .fill(&mut out)
        .unwrap();
    out
}

/// RFC 9807 §6.4.1 `Expand-Label(secret, label, context, Nx)`.
pub fn expand_label(secret: &[u8], label: &[u8], context: &[u8]) -> Vec<u8> {
    let full_label = [b"OPAQUE-".as_slice(), label].concat();
    expand(
        secret,
        &[
            &u16be(NH),
            &[u8::try_from(full_label.len()).unwrap()],
            &full_label,
            &[u8::try_from(context.len()).unwrap()],
            context,
        ],
        NH,
    )
}

/// The KSF of docs/protocol.md §5.1, from its parameter table (not from `KsfV1`): Argon2id,
/// version 0x13, m = 65536 KiB, t = 3, p = 1, salt = 16 zero bytes, no secret, no associated
/// data, output length Nh = 64, over the 64-byte OPRF output.
pub fn stretch(oprf_output: &[u8; NH]) -> [u8; NH] {
    let params = Params::new(65_536, 3, 1, Some(NH)).unwrap();
    let mut out = [0; NH];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(oprf_output, &[0; 16], &mut out)
        .unwrap();
    out
}

/// `SerializeElement(secret · peer)`: one of the three 3DH shares.
pub fn diffie_hellman(secret: &Scalar, peer_public: &[u8]) -> [u8; 32] {
    multiply(secret, &element(peer_public))
}
