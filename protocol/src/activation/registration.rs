//! Provider-side OPAQUE setup and issuance-time registration.

use std::fmt;

use opaque_ke::{
    ClientRegistration, ClientRegistrationFinishParameters, Identifiers, ServerRegistration,
    ServerSetup,
};
use rand_core::{CryptoRng, RngCore};
use ring::hkdf;
use zeroize::Zeroizing;

use super::{Binding, HandshakeError, KsfV1, SuiteV1, derive::OutputLen};

/// The provider's long-term OPAQUE secrets for one service: its 3DH key pair and the OPRF seed
/// from which every token's OPRF key is derived.
///
/// Losing it makes every issued-but-not-activated token unusable (re-issue); leaking it allows
/// offline guessing of activation passwords from password files, so the provider keeps it
/// encrypted under its key-encryption key. `Debug` is redacted.
pub struct ProviderSetup(ServerSetup<SuiteV1>);

impl ProviderSetup {
    /// Generates fresh provider secrets.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self(ServerSetup::<SuiteV1>::new(rng))
    }

    /// Serializes the setup for (encrypted) storage.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.0.serialize().to_vec())
    }

    /// Restores a setup serialized by [`ProviderSetup::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, HandshakeError> {
        ServerSetup::<SuiteV1>::deserialize(bytes)
            .map(Self)
            .map_err(|_| HandshakeError::Malformed {
                what: "provider setup",
            })
    }

    pub(crate) fn inner(&self) -> &ServerSetup<SuiteV1> {
        &self.0
    }
}

impl fmt::Debug for ProviderSetup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProviderSetup(<redacted>)")
    }
}

/// An OPAQUE password file (RFC 9807 "registration record") for one token: what the provider
/// keeps instead of the activation password.
///
/// It allows no password guessing without the provider's OPRF seed, but with it each guess costs
/// one Argon2id evaluation, so it is stored like a password hash. `Debug` is redacted.
#[derive(Clone)]
pub struct PasswordFile(Zeroizing<Vec<u8>>);

impl PasswordFile {
    /// The serialized record, for storage.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Restores a record, checking that it decodes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, HandshakeError> {
        ServerRegistration::<SuiteV1>::deserialize(bytes).map_err(|_| {
            HandshakeError::Malformed {
                what: "password file",
            }
        })?;
        Ok(Self(Zeroizing::new(bytes.to_vec())))
    }

    /// The fake password file that answers for a token `binding` names but the provider will
    /// not let anyone authenticate against (unknown, or out of attempts): RFC 9807 §6.3.2.2's
    /// fake record, derived from `setup` so it is the same on every start, across restarts and
    /// on every provider sharing the setup. Answering with it takes exactly the work of a real
    /// file (the caller passes it to [`ServerActivation::start`](super::ServerActivation::start)
    /// as `Some`), and no password opens its envelope.
    ///
    /// Layout (`docs/protocol.md` §5.4): `fake_record_public_key` of `setup` ‖ masking key (64)
    /// ‖ envelope (96), the last 160 bytes `HKDF-SHA-512(salt = "SoftToken-v1 fake record",
    /// IKM = oprf_seed, info = credential_id)`.
    pub fn fake(setup: &ProviderSetup, binding: &Binding) -> Result<Self, HandshakeError> {
        let setup_bytes = setup.to_bytes();
        let (Some(oprf_seed), Some(fake_public_key)) = (
            setup_bytes.get(..FAKE_OPRF_SEED_LEN),
            setup_bytes.get(FAKE_PUBLIC_KEY_AT..FAKE_PUBLIC_KEY_AT + FAKE_PUBLIC_KEY_LEN),
        ) else {
            return Err(HandshakeError::Internal);
        };
        let credential_id = binding.credential_id();
        let info = [credential_id.as_slice()];
        let mut derived = Zeroizing::new([0u8; FAKE_DERIVED_LEN]);
        hkdf::Salt::new(hkdf::HKDF_SHA512, FAKE_RECORD_SALT)
            .extract(oprf_seed)
            .expand(&info, OutputLen(FAKE_DERIVED_LEN))
            .and_then(|okm| okm.fill(&mut derived[..]))
            .map_err(|_| HandshakeError::Internal)?;
        let mut record = Zeroizing::new(Vec::with_capacity(FAKE_PUBLIC_KEY_LEN + FAKE_DERIVED_LEN));
        record.extend_from_slice(fake_public_key);
        record.extend_from_slice(&derived[..]);
        Self::from_bytes(&record)
    }

    pub(crate) fn decode(&self) -> Result<ServerRegistration<SuiteV1>, HandshakeError> {
        ServerRegistration::<SuiteV1>::deserialize(&self.0).map_err(|_| HandshakeError::Malformed {
            what: "password file",
        })
    }
}

impl fmt::Debug for PasswordFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordFile(<redacted>)")
    }
}

/// HKDF salt of [`PasswordFile::fake`].
const FAKE_RECORD_SALT: &[u8] = b"SoftToken-v1 fake record";
/// `oprf_seed` is the first 64 bytes of a serialized setup (`docs/protocol.md` §5.7).
const FAKE_OPRF_SEED_LEN: usize = 64;
/// `fake_record_public_key` is bytes 96–127 of a serialized setup.
const FAKE_PUBLIC_KEY_AT: usize = 96;
/// Length of a ristretto255 public key.
const FAKE_PUBLIC_KEY_LEN: usize = 32;
/// Masking key (64) ‖ envelope (32-byte nonce ‖ 64-byte tag).
const FAKE_DERIVED_LEN: usize = 160;

/// Runs both halves of OPAQUE registration on the provider, at issuance.
///
/// The bank passed the password the user chose; after this call the provider keeps only the
/// returned [`PasswordFile`] and must drop the password. `password` must come from
/// [`prepare_password`](super::prepare_password). Costs one Argon2id evaluation.
pub fn register<R: RngCore + CryptoRng>(
    rng: &mut R,
    setup: &ProviderSetup,
    binding: &Binding,
    password: &[u8],
) -> Result<PasswordFile, HandshakeError> {
    let client_start = ClientRegistration::<SuiteV1>::start(rng, password)
        .map_err(|e| HandshakeError::from_opaque(e, "registration request"))?;
    let server_start = ServerRegistration::<SuiteV1>::start(
        setup.inner(),
        client_start.message,
        &binding.credential_id(),
    )
    .map_err(|e| HandshakeError::from_opaque(e, "registration response"))?;
    let ksf = KsfV1;
    let client_finish = client_start
        .state
        .finish(
            rng,
            password,
            server_start.message,
            ClientRegistrationFinishParameters::new(Identifiers::default(), Some(&ksf)),
        )
        .map_err(|e| HandshakeError::from_opaque(e, "registration upload"))?;
    let record = ServerRegistration::<SuiteV1>::finish(client_finish.message);
    Ok(PasswordFile(Zeroizing::new(record.serialize().to_vec())))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use rand_core::OsRng;

    use super::*;
    use crate::{
        activation::{ClientActivation, ServerActivation},
        ids::{ServiceId, UserId},
        totp::TokenParams,
    };

    fn binding(body: &str) -> Binding {
        Binding::new(
            ServiceId::parse("10121234").unwrap(),
            UserId::from_body(body).unwrap(),
            TokenParams::default(),
        )
    }

    #[test]
    fn a_fake_file_is_stable_per_token_and_setup_and_opens_for_no_password() {
        let setup = ProviderSetup::generate(&mut OsRng);
        let again = ProviderSetup::from_bytes(&setup.to_bytes()).unwrap();
        let a = PasswordFile::fake(&setup, &binding("11112222333344")).unwrap();
        assert_eq!(
            a.as_bytes(),
            PasswordFile::fake(&again, &binding("11112222333344"))
                .unwrap()
                .as_bytes()
        );
        let b = PasswordFile::fake(&setup, &binding("11112222333345")).unwrap();
        assert_ne!(a.as_bytes(), b.as_bytes());
        let other = ProviderSetup::generate(&mut OsRng);
        let c = PasswordFile::fake(&other, &binding("11112222333344")).unwrap();
        assert_ne!(a.as_bytes(), c.as_bytes());

        let (client, ke1) = ClientActivation::start(&mut OsRng, b"Sakura#2026").unwrap();
        let target = binding("11112222333344");
        let (_, ke2) = ServerActivation::start(&mut OsRng, &setup, Some(&a), target, &ke1).unwrap();
        assert!(matches!(
            client.finish(&mut OsRng, b"Sakura#2026", &target, &ke2),
            Err(HandshakeError::AuthenticationFailed)
        ));
    }
}
