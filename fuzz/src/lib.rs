//! What the fuzz targets share: the properties every decoder must keep, whatever the bytes.
//!
//! - It never panics, never loops, never allocates without bound (libFuzzer's `-rss_limit_mb`
//!   and `-timeout` catch the last two).
//! - What it accepts survives a round trip: encoding a decoded message and decoding it again
//!   gives the same message. A decoder that accepts something its encoder cannot say back is a
//!   parser differential between app and provider.

use serde::{Serialize, de::DeserializeOwned};
use softtoken_protocol::wire;

/// The body limit the provider and the app decode with (64 KiB, the largest of theirs).
pub const BODY_LIMIT: usize = 64 * 1024;

/// Decodes `data` as a `T`; if it decodes, checks the round trip.
pub fn round_trip<T>(data: &[u8])
where
    T: Serialize + DeserializeOwned + PartialEq,
{
    let Ok(message) = wire::decode::<T>(data, BODY_LIMIT) else {
        return;
    };
    let again: T = match wire::decode(&wire::encode(&message), BODY_LIMIT) {
        Ok(again) => again,
        Err(err) => panic!("an accepted message does not decode after encoding: {err}"),
    };
    // Not `assert_eq!`: requests that carry a password or a code have no `Debug`, on purpose.
    assert!(message == again, "round trip changed the message");
}
