//! The OPAQUE cipher suite of protocol v1 and its key-stretching parameters.

use opaque_ke::{
    argon2::{Algorithm, Argon2, Params, Version},
    errors::InternalError,
    generic_array::{ArrayLength, GenericArray},
    ksf::Ksf,
};

/// Argon2id memory cost, in KiB (64 MiB).
///
/// Chosen for a mid-range phone: on the x86-64 development machine one evaluation takes about
/// 116 ms; phones are three to five times slower, which keeps activation well under a second
/// while making each guess against a stolen password file cost 64 MiB of memory.
pub const KSF_MEMORY_KIB: u32 = 64 * 1024;
/// Argon2id passes over memory.
pub const KSF_ITERATIONS: u32 = 3;
/// Argon2id lanes. One: phones throttle parallel threads and the server runs it at issuance.
pub const KSF_PARALLELISM: u32 = 1;

/// OPAQUE cipher suite v1: OPRF over ristretto255 with SHA-512, 3DH key exchange over
/// ristretto255 with SHA-512, and Argon2id ([`KsfV1`]) as the key-stretching function.
///
/// Public so that a second implementation (or a test) can drive opaque-ke with exactly the
/// suite this crate uses.
#[derive(Debug, Clone, Copy)]
pub struct SuiteV1;

impl opaque_ke::CipherSuite for SuiteV1 {
    type OprfCs = opaque_ke::Ristretto255;
    type KeyExchange = opaque_ke::TripleDh<opaque_ke::Ristretto255, sha2::Sha512>;
    type Ksf = KsfV1;
}

/// Argon2id with the v1 parameters, salt 16 zero bytes (RFC 9807 §3.3.1.2: the OPRF output is
/// already unique per user, so the stretching needs no salt of its own).
///
/// A dedicated type (instead of `Argon2` itself) makes `Default` mean *our* parameters, so no
/// call site can silently fall back to the argon2 crate's defaults.
#[derive(Debug, Clone, Copy, Default)]
pub struct KsfV1;

impl Ksf for KsfV1 {
    fn hash<L: ArrayLength<u8>>(
        &self,
        input: GenericArray<u8, L>,
    ) -> Result<GenericArray<u8, L>, InternalError> {
        let params = Params::new(KSF_MEMORY_KIB, KSF_ITERATIONS, KSF_PARALLELISM, None)
            .map_err(|_| InternalError::KsfError)?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut output = GenericArray::default();
        argon2
            .hash_password_into(&input, &[0; 16], &mut output)
            .map_err(|_| InternalError::KsfError)?;
        Ok(output)
    }
}
