//! Activation handshake: right and wrong passwords, tampering, unknown tokens, state storage.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use rand_core::OsRng;
use softtoken_protocol::{
    activation::{
        Binding, ClientActivation, HandshakeError, PasswordFile, ProviderSetup, ServerActivation,
        prepare_password, register,
    },
    ids::{ServiceId, UserId},
    totp::{Algorithm, TokenParams},
};

fn binding(algorithm: Algorithm) -> Binding {
    Binding::new(
        ServiceId::parse("10121234").unwrap(),
        UserId::parse("12345678901234CI").unwrap(),
        TokenParams::new(algorithm, 8, 30).unwrap(),
    )
}

fn issue(setup: &ProviderSetup, binding: &Binding, password: &str) -> PasswordFile {
    register(
        &mut OsRng,
        setup,
        binding,
        &prepare_password(password).unwrap(),
    )
    .unwrap()
}

/// Runs KE1 → KE2 on both sides, returning the client's finish attempt and the server state.
fn run_to_client_finish(
    setup: &ProviderSetup,
    file: Option<&PasswordFile>,
    server_binding: Binding,
    client_binding: &Binding,
    password: &str,
) -> (
    Result<softtoken_protocol::activation::ClientFinish, HandshakeError>,
    ServerActivation,
) {
    let password = prepare_password(password).unwrap();
    let (client, ke1) = ClientActivation::start(&mut OsRng, &password).unwrap();
    let (server, ke2) =
        ServerActivation::start(&mut OsRng, setup, file, server_binding, &ke1).unwrap();
    (
        client.finish(&mut OsRng, &password, client_binding, &ke2),
        server,
    )
}

#[test]
fn right_password_gives_the_same_seed_on_both_sides() {
    for (algorithm, len) in [
        (Algorithm::Sha1, 20),
        (Algorithm::Sha256, 32),
        (Algorithm::Sha512, 64),
    ] {
        let setup = ProviderSetup::generate(&mut OsRng);
        let b = binding(algorithm);
        let file = issue(&setup, &b, "Sakura#2026");
        let (client, server) = run_to_client_finish(&setup, Some(&file), b, &b, "Sakura#2026");
        let client = client.unwrap();
        let server = server
            .finish(&client.ke3, &client.client_confirmation)
            .unwrap();
        let seed = client
            .pending
            .accept_server_confirmation(&server.server_confirmation)
            .unwrap();
        assert_eq!(seed, server.seed);
        assert_eq!(seed.len(), len);
    }
}

#[test]
fn full_width_password_typed_on_the_phone_still_matches() {
    let setup = ProviderSetup::generate(&mut OsRng);
    let b = binding(Algorithm::Sha1);
    let file = issue(&setup, &b, "Sakura#2026");
    let (client, server) =
        run_to_client_finish(&setup, Some(&file), b, &b, "Ｓａｋｕｒａ＃２０２６");
    let client = client.unwrap();
    assert!(
        server
            .finish(&client.ke3, &client.client_confirmation)
            .is_ok()
    );
}

#[test]
fn wrong_password_fails_on_the_client_without_a_seed() {
    let setup = ProviderSetup::generate(&mut OsRng);
    let b = binding(Algorithm::Sha1);
    let file = issue(&setup, &b, "Sakura#2026");
    let (client, _server) = run_to_client_finish(&setup, Some(&file), b, &b, "Sakura#2027");
    assert_eq!(client.unwrap_err(), HandshakeError::AuthenticationFailed);
}

#[test]
fn unknown_token_looks_like_a_wrong_password() {
    let setup = ProviderSetup::generate(&mut OsRng);
    let b = binding(Algorithm::Sha1);
    let (client, _server) = run_to_client_finish(&setup, None, b, &b, "Sakura#2026");
    assert_eq!(client.unwrap_err(), HandshakeError::AuthenticationFailed);
}

#[test]
fn parameters_altered_in_transit_fail_authentication() {
    // The provider binds SHA1; a man in the middle tells the app SHA256.
    let setup = ProviderSetup::generate(&mut OsRng);
    let server_binding = binding(Algorithm::Sha1);
    let file = issue(&setup, &server_binding, "Sakura#2026");
    let (client, _) = run_to_client_finish(
        &setup,
        Some(&file),
        server_binding,
        &binding(Algorithm::Sha256),
        "Sakura#2026",
    );
    assert_eq!(client.unwrap_err(), HandshakeError::AuthenticationFailed);
}

#[test]
fn tampered_ke2_fails_on_the_client() {
    let setup = ProviderSetup::generate(&mut OsRng);
    let b = binding(Algorithm::Sha1);
    let file = issue(&setup, &b, "Sakura#2026");
    let password = prepare_password("Sakura#2026").unwrap();
    let (client, ke1) = ClientActivation::start(&mut OsRng, &password).unwrap();
    let (_server, mut ke2) =
        ServerActivation::start(&mut OsRng, &setup, Some(&file), b, &ke1).unwrap();
    // Flip a bit in the masked response (past the 32-byte evaluated element and 32-byte nonce),
    // which a point check cannot catch: only authentication can.
    ke2[100] ^= 0x01;
    let err = client.finish(&mut OsRng, &password, &b, &ke2).unwrap_err();
    assert!(
        matches!(
            err,
            HandshakeError::AuthenticationFailed | HandshakeError::Malformed { .. }
        ),
        "{err:?}"
    );
    // Truncated and empty KE2 are malformed, not a panic.
    let (client, _) = ClientActivation::start(&mut OsRng, &password).unwrap();
    assert!(matches!(
        client
            .finish(&mut OsRng, &password, &b, &ke2[..10])
            .unwrap_err(),
        HandshakeError::Malformed { what: "KE2" }
    ));
}

#[test]
fn tampered_ke3_or_confirmation_fails_on_the_server() {
    let setup = ProviderSetup::generate(&mut OsRng);
    let b = binding(Algorithm::Sha1);
    let file = issue(&setup, &b, "Sakura#2026");

    let (client, server) = run_to_client_finish(&setup, Some(&file), b, &b, "Sakura#2026");
    let client = client.unwrap();
    let mut ke3 = client.ke3.clone();
    ke3[0] ^= 0x80;
    assert_eq!(
        server
            .finish(&ke3, &client.client_confirmation)
            .unwrap_err(),
        HandshakeError::AuthenticationFailed
    );

    let (client, server) = run_to_client_finish(&setup, Some(&file), b, &b, "Sakura#2026");
    let client = client.unwrap();
    let mut confirmation = client.client_confirmation;
    confirmation[31] ^= 0x01;
    assert_eq!(
        server.finish(&client.ke3, &confirmation).unwrap_err(),
        HandshakeError::ConfirmationFailed
    );
}

#[test]
fn tampered_server_confirmation_keeps_the_seed_from_the_app() {
    let setup = ProviderSetup::generate(&mut OsRng);
    let b = binding(Algorithm::Sha1);
    let file = issue(&setup, &b, "Sakura#2026");
    let (client, server) = run_to_client_finish(&setup, Some(&file), b, &b, "Sakura#2026");
    let client = client.unwrap();
    let mut confirmation = server
        .finish(&client.ke3, &client.client_confirmation)
        .unwrap()
        .server_confirmation;
    confirmation[0] ^= 0x01;
    assert_eq!(
        client
            .pending
            .accept_server_confirmation(&confirmation)
            .unwrap_err(),
        HandshakeError::ConfirmationFailed
    );
}

#[test]
fn server_state_and_setup_survive_storage() {
    let setup = ProviderSetup::generate(&mut OsRng);
    let setup = ProviderSetup::from_bytes(&setup.to_bytes()).unwrap();
    let b = binding(Algorithm::Sha256);
    let file = PasswordFile::from_bytes(issue(&setup, &b, "pw").as_bytes()).unwrap();
    let (client, server) = run_to_client_finish(&setup, Some(&file), b, &b, "pw");
    let client = client.unwrap();
    let server = ServerActivation::from_bytes(&server.to_bytes(), b).unwrap();
    let server = server
        .finish(&client.ke3, &client.client_confirmation)
        .unwrap();
    let seed = client
        .pending
        .accept_server_confirmation(&server.server_confirmation)
        .unwrap();
    assert_eq!(seed, server.seed);
}

#[test]
fn each_activation_derives_a_fresh_seed() {
    let setup = ProviderSetup::generate(&mut OsRng);
    let b = binding(Algorithm::Sha1);
    let file = issue(&setup, &b, "pw");
    let mut seeds = Vec::new();
    for _ in 0..2 {
        let (client, server) = run_to_client_finish(&setup, Some(&file), b, &b, "pw");
        let client = client.unwrap();
        seeds.push(
            server
                .finish(&client.ke3, &client.client_confirmation)
                .unwrap()
                .seed,
        );
    }
    assert_ne!(seeds[0], seeds[1]);
}

#[test]
fn garbage_never_panics() {
    let setup = ProviderSetup::generate(&mut OsRng);
    let b = binding(Algorithm::Sha1);
    for garbage in [&[][..], &[0u8; 1][..], &[0xffu8; 96][..], &[0u8; 5000][..]] {
        assert!(ServerActivation::start(&mut OsRng, &setup, None, b, garbage).is_err());
        assert!(ProviderSetup::from_bytes(garbage).is_err());
        assert!(PasswordFile::from_bytes(garbage).is_err());
        assert!(ServerActivation::from_bytes(garbage, b).is_err());
    }
    let password = prepare_password("pw").unwrap();
    let (_, ke1) = ClientActivation::start(&mut OsRng, &password).unwrap();
    let (server, _) = ServerActivation::start(&mut OsRng, &setup, None, b, &ke1).unwrap();
    assert!(server.finish(&[1, 2, 3], &[0; 32]).is_err());
}

#[test]
fn debug_output_holds_no_secrets() {
    let setup = ProviderSetup::generate(&mut OsRng);
    let b = binding(Algorithm::Sha1);
    let file = issue(&setup, &b, "Sakura#2026");
    let (client, _) = run_to_client_finish(&setup, Some(&file), b, &b, "Sakura#2026");
    let client = client.unwrap();
    for shown in [
        format!("{setup:?}"),
        format!("{file:?}"),
        format!("{:?}", client.pending),
    ] {
        assert!(shown.contains("redacted"), "{shown}");
    }
}
