//! What a handshake is bound to: the token's identity and parameters.

use crate::{
    ids::{ServiceId, UserId},
    totp::TokenParams,
};

/// Domain-separation prefix of every v1 binding (ASCII, 12 bytes).
const BINDING_PREFIX: &[u8; 12] = b"SoftToken-v1";

/// Length of [`Binding::to_bytes`].
pub const BINDING_LEN: usize = 12 + ServiceId::LEN + UserId::LEN + 1 + 1 + 4;

/// Length of [`Binding::credential_id`].
pub const CREDENTIAL_ID_LEN: usize = ServiceId::LEN + UserId::LEN;

/// The token a handshake is about: Service ID, User ID and token parameters.
///
/// Its bytes are the OPAQUE `context` (so KE2 and KE3 only verify if both sides agree on all of
/// it) and are mixed into every derived key, so a seed for one token or one set of parameters
/// can never be mistaken for another's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    service_id: ServiceId,
    user_id: UserId,
    params: TokenParams,
}

impl Binding {
    /// Binds a token identity to its parameters.
    pub fn new(service_id: ServiceId, user_id: UserId, params: TokenParams) -> Self {
        Self {
            service_id,
            user_id,
            params,
        }
    }

    /// The Service ID.
    pub fn service_id(&self) -> &ServiceId {
        &self.service_id
    }

    /// The User ID.
    pub fn user_id(&self) -> &UserId {
        &self.user_id
    }

    /// The token parameters.
    pub fn params(&self) -> &TokenParams {
        &self.params
    }

    /// The fixed 42-byte layout: `"SoftToken-v1" ‖ service_id (8 ASCII) ‖ user_id (16 ASCII) ‖
    /// algorithm code (1: SHA1, 2: SHA256, 3: SHA512) ‖ digits (1) ‖ period (u32 big-endian)`.
    pub fn to_bytes(&self) -> [u8; BINDING_LEN] {
        let mut out = [0u8; BINDING_LEN];
        let period = self.params.period().to_be_bytes();
        let parts: [&[u8]; 6] = [
            BINDING_PREFIX,
            self.service_id.as_bytes(),
            self.user_id.as_bytes(),
            &[self.params.algorithm().wire_code()],
            &[self.params.digits()],
            &period,
        ];
        let mut at = 0;
        for part in parts {
            for (slot, byte) in out.iter_mut().skip(at).zip(part) {
                *slot = *byte;
            }
            at += part.len();
        }
        out
    }

    /// The OPAQUE credential identifier: `service_id ‖ user_id` (24 ASCII bytes). The provider
    /// derives the per-token OPRF key from it.
    pub fn credential_id(&self) -> [u8; CREDENTIAL_ID_LEN] {
        let mut out = [0u8; CREDENTIAL_ID_LEN];
        let ids = self
            .service_id
            .as_bytes()
            .iter()
            .chain(self.user_id.as_bytes());
        for (slot, byte) in out.iter_mut().zip(ids) {
            *slot = *byte;
        }
        out
    }
}
