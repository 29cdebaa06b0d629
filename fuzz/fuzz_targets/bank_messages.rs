//! The bank API's JSON (what the provider decodes from a bank, and what a bank's client decodes
//! back). Properties: no panic; accepted messages survive a round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use softtoken_fuzz::round_trip;
use softtoken_protocol::wire::{
    IssueTokenRequest, IssueTokenResponse, TokenDetails, VerifyRequest, VerifyResponse,
};

fuzz_target!(|data: &[u8]| {
    round_trip::<IssueTokenRequest>(data);
    round_trip::<IssueTokenResponse>(data);
    round_trip::<VerifyRequest>(data);
    round_trip::<VerifyResponse>(data);
    round_trip::<TokenDetails>(data);
});
