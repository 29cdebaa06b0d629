//! What a user types: the Service ID, the User ID, a one-time code and the activation password,
//! through the one normaliser (full-width digits, spaces, hyphens, NFKC).
//! Properties: no panic; an accepted ID is in canonical form and parses to itself; an accepted
//! code has exactly the asked-for number of ASCII digits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use softtoken_protocol::{
    activation::prepare_password,
    ids::{ServiceId, UserId},
    otp_input::parse_otp,
};

fuzz_target!(|data: &[u8]| {
    let Ok(typed) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(id) = ServiceId::parse(typed) {
        assert_eq!(ServiceId::parse(id.as_str()).ok(), Some(id));
        assert!(id.as_str().bytes().all(|b| b.is_ascii_digit()));
    }
    if let Ok(id) = UserId::parse(typed) {
        assert_eq!(UserId::parse(id.as_str()).ok(), Some(id));
        assert!(id.as_str().is_ascii());
    }
    for digits in 6..=10 {
        if let Ok(code) = parse_otp(typed, digits) {
            assert_eq!(code.len(), usize::from(digits));
            assert!(code.as_str().bytes().all(|b| b.is_ascii_digit()));
        }
    }
    let _ = prepare_password(typed);
});
