//! The app's side of activation.

use std::fmt;

use opaque_ke::{ClientLogin, ClientLoginFinishParameters, CredentialResponse, Identifiers};
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use super::{
    Binding, CONFIRMATION_LEN, HandshakeError, KsfV1, SuiteV1,
    derive::{self, Side, TRANSCRIPT_HASH_LEN},
};
use crate::secret::Seed;

/// An activation in progress on the app, between sending KE1 and receiving KE2.
pub struct ClientActivation {
    login: ClientLogin<SuiteV1>,
    ke1: Vec<u8>,
}

impl fmt::Debug for ClientActivation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientActivation(<redacted>)")
    }
}

impl ClientActivation {
    /// Starts activation: returns the state to keep and KE1 to send.
    ///
    /// `password` must come from [`prepare_password`](super::prepare_password).
    pub fn start<R: RngCore + CryptoRng>(
        rng: &mut R,
        password: &[u8],
    ) -> Result<(Self, Vec<u8>), HandshakeError> {
        let start = ClientLogin::<SuiteV1>::start(rng, password)
            .map_err(|e| HandshakeError::from_opaque(e, "KE1"))?;
        let ke1 = start.message.serialize().to_vec();
        Ok((
            Self {
                login: start.state,
                ke1: ke1.clone(),
            },
            ke1,
        ))
    }

    /// Processes KE2: authenticates the provider, derives the seed, and produces KE3 with the
    /// client key confirmation. Costs one Argon2id evaluation.
    ///
    /// A wrong password (or an altered KE2, which cannot be told apart) fails here with
    /// [`HandshakeError::AuthenticationFailed`], before anything is sent.
    pub fn finish<R: RngCore + CryptoRng>(
        self,
        rng: &mut R,
        password: &[u8],
        binding: &Binding,
        ke2: &[u8],
    ) -> Result<ClientFinish, HandshakeError> {
        let response = CredentialResponse::<SuiteV1>::deserialize(ke2)
            .map_err(|e| HandshakeError::from_opaque(e, "KE2"))?;
        let context = binding.to_bytes();
        let ksf = KsfV1;
        let result = self
            .login
            .finish(
                rng,
                password,
                response,
                ClientLoginFinishParameters::new(
                    Some(&context),
                    Identifiers::default(),
                    Some(&ksf),
                ),
            )
            .map_err(|e| HandshakeError::from_opaque(e, "KE2"))?;
        let session_key = Zeroizing::new(result.session_key.to_vec());
        let transcript_hash = derive::transcript_hash(&self.ke1, ke2)?;
        let keys = derive::derive_keys(&session_key, &transcript_hash, binding)?;
        let client_confirmation =
            derive::confirmation(&keys.confirm_key, Side::Client, &transcript_hash);
        Ok(ClientFinish {
            ke3: result.message.serialize().to_vec(),
            client_confirmation,
            pending: PendingSeed {
                keys,
                transcript_hash,
            },
        })
    }
}

/// What the app sends to finish activation, and the seed it holds back until the provider has
/// confirmed.
#[derive(Debug)]
pub struct ClientFinish {
    /// KE3, to send.
    pub ke3: Vec<u8>,
    /// The client key confirmation, to send.
    pub client_confirmation: [u8; CONFIRMATION_LEN],
    /// The derived seed, released by the provider's confirmation.
    pub pending: PendingSeed,
}

/// A derived seed that is not yet confirmed by the provider.
///
/// The app stores the seed only after the provider's confirmation proves that the provider
/// derived (and stored) the same one.
pub struct PendingSeed {
    keys: derive::DerivedKeys,
    transcript_hash: [u8; TRANSCRIPT_HASH_LEN],
}

impl fmt::Debug for PendingSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PendingSeed(<redacted>)")
    }
}

impl PendingSeed {
    /// Checks the provider's key confirmation and releases the seed.
    pub fn accept_server_confirmation(self, received: &[u8]) -> Result<Seed, HandshakeError> {
        derive::verify_confirmation(
            &self.keys.confirm_key,
            Side::Server,
            &self.transcript_hash,
            received,
        )?;
        Ok(self.keys.seed)
    }
}
