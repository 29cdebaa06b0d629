//! The provider's side of activation.

use std::fmt;

use opaque_ke::{
    CredentialFinalization, CredentialRequest, Identifiers, ServerLogin, ServerLoginParameters,
};
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use super::{
    Binding, CONFIRMATION_LEN, HandshakeError, PasswordFile, ProviderSetup, SuiteV1,
    derive::{self, Side, TRANSCRIPT_HASH_LEN},
};
use crate::secret::Seed;

/// Version byte of [`ServerActivation::to_bytes`].
const STATE_VERSION: u8 = 1;

/// An activation in progress on the provider, between answering KE1 and receiving KE3.
pub struct ServerActivation {
    login: ServerLogin<SuiteV1>,
    transcript_hash: [u8; TRANSCRIPT_HASH_LEN],
    binding: Binding,
}

impl fmt::Debug for ServerActivation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerActivation")
            .field("binding", &self.binding)
            .finish_non_exhaustive()
    }
}

/// What the provider learns when activation succeeds.
#[derive(Debug)]
pub struct ServerFinish {
    /// The seed, identical to the app's.
    pub seed: Seed,
    /// The provider's key confirmation, to send to the app.
    pub server_confirmation: [u8; CONFIRMATION_LEN],
}

impl ServerActivation {
    /// Answers KE1 with KE2.
    ///
    /// With `password_file: None` (unknown token) OPAQUE's fake-record path runs, so the reply
    /// looks like any other and the app simply fails to authenticate: an observer cannot tell
    /// an unknown token from a wrong password.
    pub fn start<R: RngCore + CryptoRng>(
        rng: &mut R,
        setup: &ProviderSetup,
        password_file: Option<&PasswordFile>,
        binding: Binding,
        ke1: &[u8],
    ) -> Result<(Self, Vec<u8>), HandshakeError> {
        let request = CredentialRequest::<SuiteV1>::deserialize(ke1)
            .map_err(|e| HandshakeError::from_opaque(e, "KE1"))?;
        let record = password_file.map(PasswordFile::decode).transpose()?;
        let context = binding.to_bytes();
        let start = ServerLogin::start(
            rng,
            setup.inner(),
            record,
            request,
            &binding.credential_id(),
            ServerLoginParameters {
                context: Some(&context),
                identifiers: Identifiers::default(),
            },
        )
        .map_err(|e| HandshakeError::from_opaque(e, "KE1"))?;
        let ke2 = start.message.serialize().to_vec();
        let transcript_hash = derive::transcript_hash(ke1, &ke2)?;
        Ok((
            Self {
                login: start.state,
                transcript_hash,
                binding,
            },
            ke2,
        ))
    }

    /// Checks KE3 and the client confirmation; on success derives the seed and the provider's
    /// confirmation.
    pub fn finish(
        self,
        ke3: &[u8],
        client_confirmation: &[u8],
    ) -> Result<ServerFinish, HandshakeError> {
        let finalization = CredentialFinalization::<SuiteV1>::deserialize(ke3)
            .map_err(|e| HandshakeError::from_opaque(e, "KE3"))?;
        let context = self.binding.to_bytes();
        let result = self
            .login
            .finish(
                finalization,
                ServerLoginParameters {
                    context: Some(&context),
                    identifiers: Identifiers::default(),
                },
            )
            .map_err(|e| HandshakeError::from_opaque(e, "KE3"))?;
        let session_key = Zeroizing::new(result.session_key.to_vec());
        let keys = derive::derive_keys(&session_key, &self.transcript_hash, &self.binding)?;
        derive::verify_confirmation(
            &keys.confirm_key,
            Side::Client,
            &self.transcript_hash,
            client_confirmation,
        )?;
        let server_confirmation =
            derive::confirmation(&keys.confirm_key, Side::Server, &self.transcript_hash);
        Ok(ServerFinish {
            seed: keys.seed,
            server_confirmation,
        })
    }

    /// Serializes the in-progress state so the provider can keep it between the two HTTP round
    /// trips: `version (1) ‖ transcript hash (32) ‖ opaque-ke ServerLogin state`. It holds
    /// ephemeral secrets: store it encrypted, and only until the activation expires.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let state = self.login.serialize();
        let mut out = Zeroizing::new(Vec::with_capacity(1 + TRANSCRIPT_HASH_LEN + state.len()));
        out.push(STATE_VERSION);
        out.extend_from_slice(&self.transcript_hash);
        out.extend_from_slice(&state);
        out
    }

    /// Restores a state saved by [`ServerActivation::to_bytes`] for the token `binding`.
    pub fn from_bytes(bytes: &[u8], binding: Binding) -> Result<Self, HandshakeError> {
        let malformed = HandshakeError::Malformed {
            what: "activation state",
        };
        let (version, rest) = bytes.split_first().ok_or(malformed.clone())?;
        if *version != STATE_VERSION || rest.len() < TRANSCRIPT_HASH_LEN {
            return Err(malformed);
        }
        let (hash, state) = rest.split_at(TRANSCRIPT_HASH_LEN);
        let mut transcript_hash = [0u8; TRANSCRIPT_HASH_LEN];
        transcript_hash.copy_from_slice(hash);
        let login = ServerLogin::<SuiteV1>::deserialize(state).map_err(|_| malformed)?;
        Ok(Self {
            login,
            transcript_hash,
            binding,
        })
    }
}
