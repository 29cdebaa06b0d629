//! The worked example of docs/protocol.md §8: a whole activation with fixed randomness, every
//! intermediate value recomputed from the documented draws and checked against the run.
//!
//! `docs/vectors/activation-v1.json` is checked against a fresh run; regenerate it (after a
//! deliberate protocol change only) with `cargo xtask vectors`, which runs
//! `worked_example_matches_the_published_vectors` alone with `UPDATE_VECTORS=1`; then bring the
//! values docs/protocol.md quotes up to date (`spec_quotes` names any that differ).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod recompute;
mod rfc9807;
mod rng;
mod spec_quotes;

use opaque_ke::{
    ClientLogin, ClientLoginFinishParameters, ClientRegistration,
    ClientRegistrationFinishParameters, CredentialResponse, Identifiers, ServerRegistration,
    ServerSetup,
};
use serde_json::{Value, json};
use softtoken_protocol::{
    activation::{
        Binding, ClientActivation, KsfV1, ProviderSetup, ServerActivation, SuiteV1,
        derive::{self, Side},
        prepare_password, register,
    },
    ids::{ServiceId, UserId},
    status::StatusKey,
    totp::{Algorithm, TokenParams, Totp},
    wire::TokenState,
};

use crate::{
    recompute::{Observed, recompute},
    rng::rng,
};

/// The replacement time of the `replaced` status vector, unix ms.
const REPLACED_AT_MS: u64 = 1_794_999_000_000;
const PASSWORD: &str = "Sakura#2026";

const DESCRIPTION: &str = "SoftToken protocol v1 worked example (docs/protocol.md §8), \
    opaque-ke 4.0.1 with suite v1. Randomness: ChaCha20 (the RFC 8439 keystream with key = 32 \
    bytes of 0x01 for the provider setup, 0x02 for registration, 0x03 for the app, 0x04 for the \
    provider's KE2; nonce 0, block counter from 0); `rng` lists every draw in order, `opaque` \
    the RFC 9807 intermediate values. Hex throughout.";

/// Path of the published vectors.
fn vectors_path() -> String {
    format!(
        "{}/../docs/vectors/activation-v1.json",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// The published vectors.
fn published() -> Value {
    serde_json::from_str(&std::fs::read_to_string(vectors_path()).unwrap()).unwrap()
}

/// The registration again, through opaque-ke's own API on the same RNG stream: its two
/// messages are hidden by [`register`]. Returns the request, the response and the export key.
fn replay_registration(
    setup: &ProviderSetup,
    binding: &Binding,
    password: &[u8],
    expected_file: &[u8],
) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let mut rng = rng(2);
    let start = ClientRegistration::<SuiteV1>::start(&mut rng, password).unwrap();
    let request = start.message.serialize().to_vec();
    let server_setup = ServerSetup::<SuiteV1>::deserialize(&setup.to_bytes()).unwrap();
    let response = ServerRegistration::<SuiteV1>::start(
        &server_setup,
        start.message,
        &binding.credential_id(),
    )
    .unwrap()
    .message;
    let response_bytes = response.serialize().to_vec();
    let ksf = KsfV1;
    let finish = start
        .state
        .finish(
            &mut rng,
            password,
            response,
            ClientRegistrationFinishParameters::new(Identifiers::default(), Some(&ksf)),
        )
        .unwrap();
    assert_eq!(finish.message.serialize().to_vec(), expected_file);
    (request, response_bytes, finish.export_key.to_vec())
}

/// The app's side again, through opaque-ke's own API on the same RNG stream: the session key
/// and the export key are internal to [`ClientActivation`].
fn replay_login(password: &[u8], binding: &Binding, ke1: &[u8], ke2: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut rng = rng(3);
    let start = ClientLogin::<SuiteV1>::start(&mut rng, password).unwrap();
    assert_eq!(start.message.serialize().to_vec(), ke1);
    let context = binding.to_bytes();
    let ksf = KsfV1;
    let finish = start
        .state
        .finish(
            &mut rng,
            password,
            CredentialResponse::<SuiteV1>::deserialize(ke2).unwrap(),
            ClientLoginFinishParameters::new(Some(&context), Identifiers::default(), Some(&ksf)),
        )
        .unwrap();
    (finish.session_key.to_vec(), finish.export_key.to_vec())
}

fn generate() -> Value {
    let binding = Binding::new(
        ServiceId::parse("10121234").unwrap(),
        UserId::parse("12345678901234CI").unwrap(),
        TokenParams::new(Algorithm::Sha1, 8, 30).unwrap(),
    );
    let password = prepare_password(PASSWORD).unwrap();

    // The reference run, through this crate's API, each party on its own stream.
    let mut setup_rng = rng(1);
    let setup = ProviderSetup::generate(&mut setup_rng);
    let mut registration_rng = rng(2);
    let file = register(&mut registration_rng, &setup, &binding, &password).unwrap();

    let mut app_rng = rng(3);
    let (client, ke1) = ClientActivation::start(&mut app_rng, &password).unwrap();
    let app_rng_after_ke1 = app_rng.clone();
    let mut provider_rng = rng(4);
    let (server, ke2) =
        ServerActivation::start(&mut provider_rng, &setup, Some(&file), binding, &ke1).unwrap();
    let finish = client
        .finish(&mut app_rng, &password, &binding, &ke2)
        .unwrap();
    let server = server
        .finish(&finish.ke3, &finish.client_confirmation)
        .unwrap();
    let seed = finish
        .pending
        .accept_server_confirmation(&server.server_confirmation)
        .unwrap();
    assert_eq!(seed, server.seed);
    let (_, unknown_token_ke2) =
        ServerActivation::start(&mut rng(4), &setup, None, binding, &ke1).unwrap();

    let (registration_request, registration_response, export_key) =
        replay_registration(&setup, &binding, &password, file.as_bytes());
    let (session_key, login_export_key) = replay_login(&password, &binding, &ke1, &ke2);
    assert_eq!(login_export_key, export_key);

    let opaque = recompute(&Observed {
        password: password.to_vec(),
        binding: binding.to_bytes().to_vec(),
        credential_id: binding.credential_id().to_vec(),
        provider_setup: setup.to_bytes().to_vec(),
        registration_request,
        registration_response,
        password_file: file.as_bytes().to_vec(),
        export_key,
        ke1: ke1.clone(),
        ke2: ke2.clone(),
        ke3: finish.ke3.clone(),
        session_key: session_key.clone(),
        unknown_token_ke2,
        setup_rng,
        registration_rng,
        app_rng_after_ke1,
        app_rng_after_ke3: app_rng,
        provider_rng_after_ke2: provider_rng,
    });

    // After OPAQUE: this protocol's own derivations.
    let th = derive::transcript_hash(&ke1, &ke2).unwrap();
    let keys = derive::derive_keys(&session_key, &th, &binding).unwrap();
    assert_eq!(keys.seed, seed);
    assert_eq!(
        derive::confirmation(&keys.confirm_key, Side::Client, &th),
        finish.client_confirmation
    );
    assert_eq!(
        derive::confirmation(&keys.confirm_key, Side::Server, &th),
        server.server_confirmation
    );

    let totp = Totp::new(*binding.params(), seed.expose()).unwrap();
    let status = StatusKey::derive(&seed, binding.service_id(), binding.user_id());
    let nonce = [0x5a; 16];
    let time_ms = 1_795_000_000_000u64;
    let server_time_ms = 1_795_000_000_123u64;

    json!({
        "description": DESCRIPTION,
        "inputs": {
            "service_id": binding.service_id().as_str(),
            "user_id": binding.user_id().as_str(),
            "activation_password": PASSWORD,
            "algorithm": "SHA1", "digits": 8, "period": 30,
        },
        "rng": opaque.rng,
        "opaque": opaque.opaque,
        "binding": hex::encode(binding.to_bytes()),
        "credential_id": hex::encode(binding.credential_id()),
        "provider_setup": hex::encode(&*setup.to_bytes()),
        "password_file": hex::encode(file.as_bytes()),
        "ke1": hex::encode(&ke1),
        "ke2": hex::encode(&ke2),
        "ke3": hex::encode(&finish.ke3),
        "session_key": hex::encode(&session_key),
        "transcript_hash": hex::encode(th),
        "seed": hex::encode(seed.expose()),
        "confirm_key": hex::encode(*keys.confirm_key),
        "client_confirmation": hex::encode(finish.client_confirmation),
        "server_confirmation": hex::encode(server.server_confirmation),
        "totp": {
            "at_59": totp.code_at(59).as_str(),
            "at_1111111109": totp.code_at(1_111_111_109).as_str(),
            "at_1795000000": totp.code_at(1_795_000_000).as_str(),
        },
        "status": {
            "nonce": hex::encode(nonce),
            "time_ms": time_ms,
            "proof": hex::encode(status.request_proof(&nonce, time_ms)),
            "state": "active",
            "server_time_ms": server_time_ms,
            "mac": hex::encode(status.response_mac(&nonce, TokenState::Active, server_time_ms, None)),
        },
        // The one state whose MAC also covers a time: u64be(replaced_at_ms) appended.
        "status_replaced": {
            "nonce": hex::encode(nonce),
            "state": "replaced",
            "server_time_ms": server_time_ms,
            "replaced_at_ms": REPLACED_AT_MS,
            "mac": hex::encode(status.response_mac(
                &nonce,
                TokenState::Replaced,
                server_time_ms,
                Some(REPLACED_AT_MS),
            )),
        },
    })
}

#[test]
fn worked_example_matches_the_published_vectors() {
    let fresh = generate();
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        // Write beside and rename over, so a test reading the file meanwhile sees either the
        // old or the new vectors, never half of them.
        let path = vectors_path();
        let fresh_path = format!("{path}.new");
        std::fs::write(
            &fresh_path,
            serde_json::to_string_pretty(&fresh).unwrap() + "\n",
        )
        .unwrap();
        std::fs::rename(fresh_path, path).unwrap();
        return;
    }
    assert_eq!(
        fresh,
        published(),
        "protocol output changed; see the file's doc comment"
    );
}

#[test]
fn derivations_check_from_published_values_alone() {
    // What a second implementation can check without opaque-ke: everything after OPAQUE.
    let v = published();
    let h = |k: &str| hex::decode(v[k].as_str().unwrap()).unwrap();
    let binding = Binding::new(
        ServiceId::parse(v["inputs"]["service_id"].as_str().unwrap()).unwrap(),
        UserId::parse(v["inputs"]["user_id"].as_str().unwrap()).unwrap(),
        TokenParams::new(Algorithm::Sha1, 8, 30).unwrap(),
    );
    assert_eq!(h("binding"), binding.to_bytes());
    let th = derive::transcript_hash(&h("ke1"), &h("ke2")).unwrap();
    assert_eq!(h("transcript_hash"), th);
    let keys = derive::derive_keys(&h("session_key"), &th, &binding).unwrap();
    assert_eq!(h("seed"), keys.seed.expose());
    assert_eq!(
        h("client_confirmation"),
        derive::confirmation(&keys.confirm_key, Side::Client, &th)
    );
}
