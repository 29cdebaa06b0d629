//! Provider-side OPAQUE setup and issuance-time registration.

use std::fmt;

use opaque_ke::{
    ClientRegistration, ClientRegistrationFinishParameters, Identifiers, ServerRegistration,
    ServerSetup,
};
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use super::{Binding, HandshakeError, KsfV1, SuiteV1};

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
