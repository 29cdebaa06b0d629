//! The end-to-end suite: bank → provider → app core → kernel keyring → bank, every part real.
//! One test binary (`cargo test -p softtoken-testkit --test end_to_end`, under
//! `keyctl session -`).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod setup_and_confirm;
