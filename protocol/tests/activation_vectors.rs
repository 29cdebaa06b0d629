//! The worked example of docs/protocol.md: a whole activation with fixed randomness.
//!
//! `docs/vectors/activation-v1.json` is checked against a fresh run; regenerate it (after a
//! deliberate protocol change only) with `UPDATE_VECTORS=1 cargo test --test activation_vectors`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use opaque_ke::{ClientLogin, ClientLoginFinishParameters, CredentialResponse, Identifiers};
use rand_chacha::{ChaCha20Rng, rand_core::SeedableRng};
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

const PASSWORD: &str = "Sakura#2026";

fn rng(byte: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([byte; 32])
}

fn generate() -> Value {
    let binding = Binding::new(
        ServiceId::parse("10121234").unwrap(),
        UserId::parse("12345678901234CI").unwrap(),
        TokenParams::new(Algorithm::Sha1, 8, 30).unwrap(),
    );
    let password = prepare_password(PASSWORD).unwrap();

    let setup = ProviderSetup::generate(&mut rng(1));
    let file = register(&mut rng(2), &setup, &binding, &password).unwrap();

    let mut client_rng = rng(3);
    let (client, ke1) = ClientActivation::start(&mut client_rng, &password).unwrap();
    let (server, ke2) =
        ServerActivation::start(&mut rng(4), &setup, Some(&file), binding, &ke1).unwrap();
    let finish = client
        .finish(&mut client_rng, &password, &binding, &ke2)
        .unwrap();
    let server = server
        .finish(&finish.ke3, &finish.client_confirmation)
        .unwrap();
    let seed = finish
        .pending
        .accept_server_confirmation(&server.server_confirmation)
        .unwrap();
    assert_eq!(seed, server.seed);

    // The session key is internal to the handshake types; replay the client with raw opaque-ke
    // and the same randomness to expose it for the derivation vectors.
    let mut replay_rng = rng(3);
    let replay = ClientLogin::<SuiteV1>::start(&mut replay_rng, &password).unwrap();
    assert_eq!(replay.message.serialize().to_vec(), ke1);
    let context = binding.to_bytes();
    let ksf = KsfV1;
    let replay = replay
        .state
        .finish(
            &mut replay_rng,
            &password,
            CredentialResponse::<SuiteV1>::deserialize(&ke2).unwrap(),
            ClientLoginFinishParameters::new(Some(&context), Identifiers::default(), Some(&ksf)),
        )
        .unwrap();
    let session_key = replay.session_key.to_vec();
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
        "description": "SoftToken protocol v1 worked example. RNG: ChaCha20 seeded with 32 bytes of 0x01 (provider setup), 0x02 (registration), 0x03 (app: KE1 then KE3), 0x04 (provider: KE2), driving opaque-ke 4.0.1 with suite v1. Hex throughout.",
        "inputs": {
            "service_id": binding.service_id().as_str(),
            "user_id": binding.user_id().as_str(),
            "activation_password": PASSWORD,
            "algorithm": "SHA1", "digits": 8, "period": 30,
        },
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
            "mac": hex::encode(status.response_mac(&nonce, TokenState::Active, server_time_ms)),
        },
    })
}

#[test]
fn worked_example_matches_the_published_vectors() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/vectors/activation-v1.json"
    );
    let fresh = generate();
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        std::fs::write(path, serde_json::to_string_pretty(&fresh).unwrap() + "\n").unwrap();
        return;
    }
    let published: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(
        fresh, published,
        "protocol output changed; see the file's doc comment"
    );
}

#[test]
fn derivations_check_from_published_values_alone() {
    // What a second implementation can check without opaque-ke: everything after OPAQUE.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/vectors/activation-v1.json"
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
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
