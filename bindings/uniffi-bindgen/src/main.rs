//! `uniffi-bindgen`, built from the same uniffi version as `softtoken-ffi` (a mismatch between
//! the generator and the scaffolding breaks the bindings at load time). Used by
//! `cargo xtask bindings`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
