//! The worked example recomputed from the documented randomness (docs/protocol.md §8), value by
//! value, each checked against what the reference run produced before it is published.

use rand_chacha::ChaCha20Rng;
use serde_json::{Map, Value};

use crate::{
    rfc9807::{self as r, NH},
    rng::Stream,
};

/// RFC 9807 §6.4.2: the `info` of `DeriveDiffieHellmanKeyPair`.
const DH_KEY_PAIR_INFO: &[u8] = b"OPAQUE-DeriveDiffieHellmanKeyPair";
/// RFC 9807 §6.3.2.1 (via RFC 9497 `DeriveKeyPair`): the `info` of the per-token OPRF key.
const OPRF_KEY_PAIR_INFO: &[u8] = b"OPAQUE-DeriveKeyPair";
/// `Npk + Nn + Nm`: a masked credential response (server public key ‖ envelope).
const MASKED_RESPONSE_LEN: usize = 32 + 32 + NH;

/// What the reference run produced (through this crate's API, or opaque-ke's where this
/// crate's API hides a value), and each party's RNG as the run left it.
pub struct Observed {
    pub password: Vec<u8>,
    pub binding: Vec<u8>,
    pub credential_id: Vec<u8>,
    pub provider_setup: Vec<u8>,
    pub registration_request: Vec<u8>,
    pub registration_response: Vec<u8>,
    pub password_file: Vec<u8>,
    pub export_key: Vec<u8>,
    pub ke1: Vec<u8>,
    pub ke2: Vec<u8>,
    pub ke3: Vec<u8>,
    pub session_key: Vec<u8>,
    /// KE2 for the same KE1 and provider randomness, but without a password file (an unknown
    /// token: RFC 9807's fake record).
    pub unknown_token_ke2: Vec<u8>,
    pub setup_rng: ChaCha20Rng,
    pub registration_rng: ChaCha20Rng,
    pub app_rng_after_ke1: ChaCha20Rng,
    pub app_rng_after_ke3: ChaCha20Rng,
    pub provider_rng_after_ke2: ChaCha20Rng,
}

/// The published sections: `rng` (every draw) and `opaque` (the intermediate values).
pub struct Published {
    pub rng: Value,
    pub opaque: Value,
}

/// Values, by RFC 9807 test-vector name where the RFC has one.
#[derive(Default)]
struct Values(Map<String, Value>);

impl Values {
    fn put(&mut self, name: &str, bytes: &[u8]) {
        self.0.insert(name.into(), hex::encode(bytes).into());
    }
}

/// `masked_response = xor(Expand(key, nonce ‖ "CredentialResponsePad", 128), plaintext)`
/// (RFC 9807 §6.3.2.1).
fn mask(masking_key: &[u8], masking_nonce: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let pad = r::expand(
        masking_key,
        &[masking_nonce, b"CredentialResponsePad"],
        MASKED_RESPONSE_LEN,
    );
    pad.iter().zip(plaintext).map(|(p, x)| p ^ x).collect()
}

/// Recomputes the whole example and returns what the vector file publishes of it.
pub fn recompute(seen: &Observed) -> Published {
    let mut v = Values::default();

    // Provider setup (stream 0x01): the AKE key pair, the OPRF seed, the fake record's key.
    let mut setup = Stream::new(1);
    let server_private_key = r::scalar_from_wide_draw(&setup.draw("server_private_key", 64));
    let oprf_seed = setup.draw("oprf_seed", NH);
    let fake_record_private_key =
        r::scalar_from_wide_draw(&setup.draw("fake_record_private_key", 64));
    setup.assert_consumed_exactly_by(&seen.setup_rng, "provider setup");
    let server_public_key = r::public_key(&server_private_key);
    let fake_record_public_key = r::public_key(&fake_record_private_key);
    assert_eq!(
        seen.provider_setup,
        [
            oprf_seed.as_slice(),
            server_private_key.as_bytes(),
            &fake_record_public_key
        ]
        .concat(),
        "provider_setup = oprf_seed ‖ server_private_key ‖ fake_record_public_key"
    );
    v.put("oprf_seed", &oprf_seed);
    v.put("server_private_key", server_private_key.as_bytes());
    v.put("server_public_key", &server_public_key);
    v.put("fake_record_public_key", &fake_record_public_key);

    // The token's OPRF key, from the seed and the credential identifier.
    let oprf_key = r::derive_key_pair(
        &r::expand(&oprf_seed, &[&seen.credential_id, b"OprfKey"], 32),
        OPRF_KEY_PAIR_INFO,
    );
    v.put("oprf_key", oprf_key.as_bytes());

    // Registration (stream 0x02), run by the provider at issuance.
    let mut registration = Stream::new(2);
    let blind_registration = r::scalar_from_wide_draw(&registration.draw("blind_registration", 64));
    let envelope_nonce = registration.draw("envelope_nonce", 32);
    registration.assert_consumed_exactly_by(&seen.registration_rng, "registration");
    let input_element = r::hash_to_group(&seen.password);
    let registration_request = r::multiply(&blind_registration, &input_element);
    assert_eq!(seen.registration_request, registration_request);
    let registration_response = [
        r::multiply(&oprf_key, &r::element(&registration_request)).as_slice(),
        &server_public_key,
    ]
    .concat();
    assert_eq!(seen.registration_response, registration_response);
    v.put("blind_registration", blind_registration.as_bytes());
    v.put("input_element", input_element.compress().as_bytes());
    v.put("registration_request", &registration_request);
    v.put("registration_response", &registration_response);

    // What the password becomes: OPRF output, Argon2id, randomized password, envelope.
    let oprf_output = r::oprf_output(&seen.password, &r::multiply(&oprf_key, &input_element));
    let stretched_oprf_output = r::stretch(&oprf_output);
    let randomized_password = r::extract(&[], &[&oprf_output, &stretched_oprf_output]);
    let masking_key = r::expand(&randomized_password, &[b"MaskingKey"], NH);
    let auth_key = r::expand(&randomized_password, &[&envelope_nonce, b"AuthKey"], NH);
    let export_key = r::expand(&randomized_password, &[&envelope_nonce, b"ExportKey"], NH);
    let client_private_key = r::derive_key_pair(
        &r::expand(&randomized_password, &[&envelope_nonce, b"PrivateKey"], 32),
        DH_KEY_PAIR_INFO,
    );
    let client_public_key = r::public_key(&client_private_key);
    // CleartextCredentials with the default identities: the two public keys.
    let auth_tag = r::mac(
        &auth_key,
        &[
            &envelope_nonce,
            &server_public_key,
            &r::u16be(32),
            &server_public_key,
            &r::u16be(32),
            &client_public_key,
        ],
    );
    let envelope = [envelope_nonce.as_slice(), &auth_tag].concat();
    assert_eq!(
        seen.password_file,
        [client_public_key.as_slice(), &masking_key, &envelope].concat(),
        "password_file = client_public_key ‖ masking_key ‖ envelope_nonce ‖ auth_tag"
    );
    assert_eq!(seen.export_key, export_key);
    v.put("envelope_nonce", &envelope_nonce);
    v.put("oprf_output", &oprf_output);
    v.put("stretched_oprf_output", &stretched_oprf_output);
    v.put("randomized_password", &randomized_password);
    v.put("masking_key", &masking_key);
    v.put("auth_key", &auth_key);
    v.put("export_key", &export_key);
    v.put("client_public_key", &client_public_key);
    v.put("envelope", &envelope);

    // KE1 (stream 0x03); KE3 draws nothing.
    let mut app = Stream::new(3);
    let blind_login = r::scalar_from_wide_draw(&app.draw("blind_login", 64));
    let client_keyshare_seed = app.draw("client_keyshare_seed", 32);
    let client_nonce = app.draw("client_nonce", 32);
    app.assert_consumed_exactly_by(&seen.app_rng_after_ke1, "KE1");
    app.assert_consumed_exactly_by(&seen.app_rng_after_ke3, "KE3");
    let blinded_element = r::multiply(&blind_login, &input_element);
    let client_keyshare_secret = r::derive_key_pair(&client_keyshare_seed, DH_KEY_PAIR_INFO);
    let client_public_keyshare = r::public_key(&client_keyshare_secret);
    let ke1 = [
        blinded_element.as_slice(),
        &client_nonce,
        &client_public_keyshare,
    ]
    .concat();
    assert_eq!(
        seen.ke1, ke1,
        "KE1 = blinded_element ‖ client_nonce ‖ client_public_keyshare"
    );
    v.put("blind_login", blind_login.as_bytes());
    v.put("blinded_element", &blinded_element);
    v.put("client_keyshare_seed", &client_keyshare_seed);
    v.put("client_keyshare_secret", client_keyshare_secret.as_bytes());
    v.put("client_public_keyshare", &client_public_keyshare);
    v.put("client_nonce", &client_nonce);

    // KE2 (stream 0x04).
    let mut provider = Stream::new(4);
    let fake_record_masking_key = provider.draw("fake_record_masking_key", NH);
    let masking_nonce = provider.draw("masking_nonce", 32);
    let server_keyshare_seed = provider.draw("server_keyshare_seed", 32);
    let server_nonce = provider.draw("server_nonce", 32);
    provider.assert_consumed_exactly_by(&seen.provider_rng_after_ke2, "KE2");
    let evaluated_element = r::multiply(&oprf_key, &r::element(&blinded_element));
    let masked_response = mask(
        &masking_key,
        &masking_nonce,
        &[server_public_key.as_slice(), &envelope].concat(),
    );
    let server_keyshare_secret = r::derive_key_pair(&server_keyshare_seed, DH_KEY_PAIR_INFO);
    let server_public_keyshare = r::public_key(&server_keyshare_secret);
    let credential_response = [
        evaluated_element.as_slice(),
        &masking_nonce,
        &masked_response,
    ]
    .concat();
    v.put("evaluated_element", &evaluated_element);
    v.put("masking_nonce", &masking_nonce);
    v.put("masked_response", &masked_response);
    v.put("server_keyshare_seed", &server_keyshare_seed);
    v.put("server_keyshare_secret", server_keyshare_secret.as_bytes());
    v.put("server_public_keyshare", &server_public_keyshare);
    v.put("server_nonce", &server_nonce);

    // 3DH key schedule (RFC 9807 §6.4), context = the binding.
    let preamble = [
        b"OPAQUEv1-".as_slice(),
        &r::u16be(seen.binding.len()),
        &seen.binding,
        &r::u16be(32),
        &client_public_key,
        &ke1,
        &r::u16be(32),
        &server_public_key,
        &credential_response,
        &server_nonce,
        &server_public_keyshare,
    ]
    .concat();
    let provider_shares = [
        r::diffie_hellman(&server_keyshare_secret, &client_public_keyshare),
        r::diffie_hellman(&server_private_key, &client_public_keyshare),
        r::diffie_hellman(&server_keyshare_secret, &client_public_key),
    ]
    .concat();
    let app_shares = [
        r::diffie_hellman(&client_keyshare_secret, &server_public_keyshare),
        r::diffie_hellman(&client_keyshare_secret, &server_public_key),
        r::diffie_hellman(&client_private_key, &server_public_keyshare),
    ]
    .concat();
    assert_eq!(provider_shares, app_shares, "both sides' 3DH shares");
    let preamble_hash = r::hash(&[&preamble]);
    let prk = r::extract(&[], &[&provider_shares]);
    let handshake_secret = r::expand_label(&prk, b"HandshakeSecret", &preamble_hash);
    let session_key = r::expand_label(&prk, b"SessionKey", &preamble_hash);
    let server_mac_key = r::expand_label(&handshake_secret, b"ServerMAC", b"");
    let client_mac_key = r::expand_label(&handshake_secret, b"ClientMAC", b"");
    let server_mac = r::mac(&server_mac_key, &[&preamble_hash]);
    let client_mac = r::mac(&client_mac_key, &[&r::hash(&[&preamble, &server_mac])]);
    assert_eq!(
        seen.ke2,
        [
            credential_response.as_slice(),
            &server_nonce,
            &server_public_keyshare,
            &server_mac
        ]
        .concat(),
        "KE2 = evaluated_element ‖ masking_nonce ‖ masked_response ‖ server_nonce ‖ \
         server_public_keyshare ‖ server_mac"
    );
    assert_eq!(seen.ke3, client_mac, "KE3 = client_mac");
    assert_eq!(seen.session_key, session_key);
    v.put("preamble", &preamble);
    v.put("handshake_secret", &handshake_secret);
    v.put("server_mac_key", &server_mac_key);
    v.put("client_mac_key", &client_mac_key);
    v.put("server_mac", &server_mac);
    v.put("client_mac", &client_mac);

    // An unknown token: the same draws, the fake record's masking key masks the server key and
    // an all-zero envelope; everything before and after the masked response is unchanged.
    let unknown = &seen.unknown_token_ke2;
    assert_eq!(
        unknown[64..192],
        mask(
            &fake_record_masking_key,
            &masking_nonce,
            &[server_public_key.as_slice(), &[0; 96]].concat()
        )
    );
    assert_eq!(unknown[..64], seen.ke2[..64]);
    assert_eq!(unknown[192..256], seen.ke2[192..256]);

    let mut streams = Map::new();
    for (name, stream) in [
        ("provider_setup", &setup),
        ("registration", &registration),
        ("app", &app),
        ("provider_ke2", &provider),
    ] {
        streams.insert(name.into(), stream.to_json());
    }
    Published {
        rng: streams.into(),
        opaque: v.0.into(),
    }
}
