#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! The token metadata file: round trip, atomic replace, and refusing what it cannot read.

use std::fs;

use softtoken_core::metadata::{
    FILE_NAME, MetadataError, MetadataStore, RecordState, SCHEMA_VERSION, TokenRecord,
};
use softtoken_protocol::totp::Algorithm;

/// A version-1 file exactly as version 1 of the app writes it. It must stay readable by every
/// future version: never edit this fixture, add new ones instead.
const V1_FIXTURE: &str = r#"{
  "schema_version": 1,
  "tokens": [
    {
      "id": "3f9a1c2e7b6d4e08",
      "service_id": "10121234",
      "user_id": "12345678901234CI",
      "label": "Main account",
      "algorithm": "SHA1",
      "digits": 8,
      "period": 30,
      "state": "active",
      "created_at_ms": 1767225600000,
      "clock_offset_ms": -1500,
      "last_refresh_ms": 1767229200000,
      "provider_url": "https://provider.example:8443"
    },
    {
      "id": "a0b1c2d3e4f50617",
      "service_id": "10121234",
      "user_id": "98765432109876AB",
      "label": null,
      "algorithm": "SHA256",
      "digits": 8,
      "period": 30,
      "state": "pending_confirmation",
      "created_at_ms": 1767225700000,
      "clock_offset_ms": 0,
      "last_refresh_ms": null,
      "provider_url": "https://provider.example:8443"
    }
  ]
}
"#;

fn record(id: &str, state: RecordState) -> TokenRecord {
    TokenRecord {
        id: id.to_string(),
        service_id: "10121234".to_string(),
        user_id: "12345678901234CI".to_string(),
        label: Some("働く口座".to_string()),
        algorithm: Algorithm::Sha512,
        digits: 8,
        period: 30,
        state,
        created_at_ms: 1_767_225_600_000,
        clock_offset_ms: -250,
        last_refresh_ms: None,
        provider_url: "https://provider.example:8443".to_string(),
        replaced_at_ms: None,
    }
}

fn assert_refuses_and_keeps(store: &MetadataStore, original: &[u8], expected: &MetadataError) {
    assert_eq!(&store.load().unwrap_err(), expected);
    assert_eq!(fs::read(store.path()).unwrap(), original);
    assert_eq!(
        &store
            .save(&[record("new", RecordState::Active)])
            .unwrap_err(),
        expected
    );
    assert_eq!(fs::read(store.path()).unwrap(), original);
    // Still refused (and still intact) on a second look.
    assert_eq!(&store.load().unwrap_err(), expected);
    assert!(!store.path().with_file_name("tokens.json.tmp").exists());
}

#[test]
fn round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = MetadataStore::open(dir.path()).unwrap();
    let tokens = vec![
        record("one", RecordState::PendingConfirmation),
        TokenRecord {
            label: None,
            algorithm: Algorithm::Sha1,
            last_refresh_ms: Some(1_767_229_200_000),
            ..record("two", RecordState::Locked)
        },
        record("three", RecordState::Revoked),
        record("four", RecordState::Expired),
    ];
    store.save(&tokens).unwrap();
    assert_eq!(store.load().unwrap(), tokens);

    // A second save replaces the whole list, and a fresh store over the same directory sees it.
    store.save(&tokens[1..2]).unwrap();
    let again = MetadataStore::open(dir.path()).unwrap();
    assert_eq!(again.load().unwrap(), tokens[1..2].to_vec());
    store.save(&[]).unwrap();
    assert_eq!(store.load().unwrap(), Vec::new());
}

#[test]
fn the_file_is_a_versioned_envelope_and_stable() {
    let dir = tempfile::tempdir().unwrap();
    let store = MetadataStore::open(dir.path()).unwrap();
    let tokens = [record("one", RecordState::Active)];
    store.save(&tokens).unwrap();
    let first = fs::read(dir.path().join(FILE_NAME)).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(json["schema_version"], SCHEMA_VERSION);
    assert_eq!(json["tokens"][0]["state"], "active");
    assert_eq!(json["tokens"][0]["algorithm"], "SHA512");
    // Saving the same records writes the same bytes.
    store.save(&tokens).unwrap();
    assert_eq!(fs::read(dir.path().join(FILE_NAME)).unwrap(), first);
}

#[test]
fn a_missing_file_means_no_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("not").join("yet");
    let store = MetadataStore::open(&data_dir).unwrap();
    assert!(data_dir.is_dir());
    assert_eq!(store.load().unwrap(), Vec::new());
    // Loading creates nothing.
    assert!(!store.path().exists());
}

#[test]
fn a_corrupted_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let store = MetadataStore::open(dir.path()).unwrap();
    for original in [
        &b"{\"schema_version\": 1, \"tokens\": [{\"id\": "[..],
        b"",
        b"\x00\xff garbage",
        b"[]",
        br#"{"tokens": []}"#,
        br#"{"schema_version": 1, "tokens": [{"id": "x"}]}"#,
        br#"{"schema_version": 0, "tokens": []}"#,
    ] {
        fs::write(store.path(), original).unwrap();
        let err = store.load().unwrap_err();
        assert!(matches!(err, MetadataError::Corrupted { .. }), "{err:?}");
        assert_refuses_and_keeps(&store, original, &err);
    }
}

#[test]
fn a_newer_file_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let store = MetadataStore::open(dir.path()).unwrap();
    let original = br#"{"schema_version": 2, "tokens": [], "devices": {"x": 1}}"#;
    fs::write(store.path(), original).unwrap();
    assert_refuses_and_keeps(&store, original, &MetadataError::NewerVersion { found: 2 });

    // Even when its content no longer fits version 1's shape.
    let original = br#"{"schema_version": 9, "tokens": {"moved": true}}"#;
    fs::write(store.path(), original).unwrap();
    assert_refuses_and_keeps(&store, original, &MetadataError::NewerVersion { found: 9 });
}

#[test]
fn an_unknown_state_reads_as_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let store = MetadataStore::open(dir.path()).unwrap();
    let file = V1_FIXTURE.replacen(r#""state": "active""#, r#""state": "suspended_by_bank""#, 1);
    assert_ne!(file, V1_FIXTURE);
    fs::write(store.path(), file).unwrap();
    let tokens = store.load().unwrap();
    assert_eq!(tokens[0].state, RecordState::Unknown);
    assert_eq!(tokens[1].state, RecordState::PendingConfirmation);
}

#[test]
fn unknown_fields_are_ignored_and_optional_fields_default() {
    let dir = tempfile::tempdir().unwrap();
    let store = MetadataStore::open(dir.path()).unwrap();
    let file = r#"{"schema_version": 1, "written_by": "a later 1.x", "tokens": [{
        "id": "t", "service_id": "10121234", "user_id": "12345678901234CI",
        "algorithm": "SHA1", "digits": 8, "period": 30, "state": "active",
        "created_at_ms": 5, "provider_url": "https://p.example", "favourite": true}]}"#;
    fs::write(store.path(), file).unwrap();
    let tokens = store.load().unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].label, None);
    assert_eq!(tokens[0].clock_offset_ms, 0);
    assert_eq!(tokens[0].last_refresh_ms, None);
}

#[test]
fn no_temporary_file_lingers_after_save() {
    let dir = tempfile::tempdir().unwrap();
    let store = MetadataStore::open(dir.path()).unwrap();
    // A leftover from a crash mid-save is harmless: it is never read and is replaced.
    fs::write(dir.path().join("tokens.json.tmp"), b"half a fi").unwrap();
    assert_eq!(store.load().unwrap(), Vec::new());
    store.save(&[record("one", RecordState::Active)]).unwrap();
    let names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec![FILE_NAME.to_string()]);
}

#[cfg(unix)]
#[test]
fn the_file_is_private_to_the_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = MetadataStore::open(dir.path()).unwrap();
    store.save(&[record("one", RecordState::Active)]).unwrap();
    let mode = fs::metadata(store.path()).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "{mode:o}");
}

#[test]
fn the_v1_fixture_stays_readable_forever() {
    let dir = tempfile::tempdir().unwrap();
    let store = MetadataStore::open(dir.path()).unwrap();
    fs::write(store.path(), V1_FIXTURE).unwrap();
    let tokens = store.load().unwrap();
    assert_eq!(
        tokens,
        vec![
            TokenRecord {
                id: "3f9a1c2e7b6d4e08".to_string(),
                service_id: "10121234".to_string(),
                user_id: "12345678901234CI".to_string(),
                label: Some("Main account".to_string()),
                algorithm: Algorithm::Sha1,
                digits: 8,
                period: 30,
                state: RecordState::Active,
                created_at_ms: 1_767_225_600_000,
                clock_offset_ms: -1500,
                last_refresh_ms: Some(1_767_229_200_000),
                provider_url: "https://provider.example:8443".to_string(),
                replaced_at_ms: None,
            },
            TokenRecord {
                id: "a0b1c2d3e4f50617".to_string(),
                service_id: "10121234".to_string(),
                user_id: "98765432109876AB".to_string(),
                label: None,
                algorithm: Algorithm::Sha256,
                digits: 8,
                period: 30,
                state: RecordState::PendingConfirmation,
                created_at_ms: 1_767_225_700_000,
                clock_offset_ms: 0,
                last_refresh_ms: None,
                provider_url: "https://provider.example:8443".to_string(),
                replaced_at_ms: None,
            },
        ]
    );
    // And a version-1 file can be rewritten by this version without losing anything.
    store.save(&tokens).unwrap();
    assert_eq!(store.load().unwrap(), tokens);
}
