//! The provider's configuration file (TOML), as `softtoken-server serve --config` reads it.
//! Property: any text is either a configuration or an error; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use softtoken_server::config::Config;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = toml::from_str::<Config>(text);
    }
});
