//! Secrets: sealing what the provider keeps at rest under the key-encryption key ([`kek`]), and
//! the banks' API keys ([`api_key`]): how one is made, how a presented one is read, how its
//! secret is compared.

pub mod api_key;
pub mod kek;

use softtoken_protocol::ids::{ServiceId, UserId};

/// The AAD context of the sealed setup that answers for unknown Service IDs (sealed as a
/// [`Purpose::ProviderSetup`](kek::Purpose::ProviderSetup), like a service's, whose context is
/// its 8-digit ID: this one can never be a Service ID).
pub const UNKNOWN_SERVICE_CONTEXT: &[u8] = b"unknown-service";

/// The AAD context that binds a token's sealed secrets (seed, password file) to the token:
/// `service_id ‖ user_id`. A blob copied to another token's row fails to open.
pub fn token_context(service_id: &ServiceId, user_id: &UserId) -> Vec<u8> {
    [
        service_id.as_bytes().as_slice(),
        user_id.as_bytes().as_slice(),
    ]
    .concat()
}
