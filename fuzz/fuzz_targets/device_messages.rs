//! The device API's JSON (what the provider decodes from any phone, and what the app decodes
//! from the provider, a malicious one included): every request and reply type and the error
//! body. Properties: no panic; accepted messages survive a round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use softtoken_fuzz::round_trip;
use softtoken_protocol::wire::{
    ActivationFinishRequest, ActivationFinishResponse, ActivationStartRequest,
    ActivationStartResponse, ErrorBody, StatusRequest, StatusResponse,
};

fuzz_target!(|data: &[u8]| {
    round_trip::<ActivationStartRequest>(data);
    round_trip::<ActivationStartResponse>(data);
    round_trip::<ActivationFinishRequest>(data);
    round_trip::<ActivationFinishResponse>(data);
    round_trip::<StatusRequest>(data);
    round_trip::<StatusResponse>(data);
    round_trip::<ErrorBody>(data);
});
