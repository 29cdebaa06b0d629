//! docs/protocol.md quotes the vectors: the §6.2 examples carry the example's real messages and
//! §8 lists selected values. Every quote is checked against the vector file here, so the
//! document cannot drift from the code again.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::Value;

use crate::published;

fn spec() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/protocol.md")).unwrap()
}

/// The value at a dotted path of the vector file, as text (hex strings and numbers alike).
fn vector_at(vectors: &Value, path: &str) -> Option<String> {
    let value = path.split('.').try_fold(vectors, |at, key| at.get(key))?;
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

#[test]
fn json_examples_carry_the_vectors_messages() {
    let spec = spec();
    // §9 (transaction authentication) quotes its own vectors, with the same field names.
    let spec = spec.split("## 9. ").next().unwrap();
    let vectors = published();
    for (field, path) in [
        ("ke1", "ke1"),
        ("ke2", "ke2"),
        ("ke3", "ke3"),
        ("client_confirmation", "client_confirmation"),
        ("server_confirmation", "server_confirmation"),
        ("nonce", "status.nonce"),
        ("proof", "status.proof"),
        ("mac", "status.mac"),
    ] {
        let expected = vector_at(&vectors, path).unwrap();
        let quote = format!("\"{field}\":\"");
        let quotes: Vec<&str> = spec
            .match_indices(&quote)
            .map(|(at, _)| {
                let rest = &spec[at + quote.len()..];
                &rest[..rest.find('"').unwrap()]
            })
            .collect();
        assert!(!quotes.is_empty(), "no {quote} example in docs/protocol.md");
        for text in quotes {
            let bytes = URL_SAFE_NO_PAD
                .decode(text)
                .unwrap_or_else(|_| panic!("{field}: {text} is not base64url"));
            assert_eq!(hex::encode(bytes), expected, "docs/protocol.md's {field}");
        }
    }
}

#[test]
fn selected_values_are_the_vectors() {
    let spec = spec();
    let vectors = published();
    let section = spec
        .split("### 8.4 Selected values")
        .nth(1)
        .expect("docs/protocol.md has §8.4");
    let block = section.split("```").nth(1).expect("§8.4 has a code block");
    // `path value…`, the value's words joined; an indented line continues the value above.
    let mut quotes: Vec<(&str, String)> = Vec::new();
    for line in block.lines().skip(1).filter(|line| !line.trim().is_empty()) {
        let mut words = line.split_whitespace();
        if line.starts_with(char::is_whitespace) {
            quotes.last_mut().unwrap().1.extend(words);
        } else {
            quotes.push((words.next().unwrap(), words.collect()));
        }
    }
    for (path, quoted) in &quotes {
        let expected = vector_at(&vectors, path)
            .unwrap_or_else(|| panic!("§8.4 names {path}, which the vectors lack"));
        assert_eq!(*quoted, expected, "§8.4 {path}");
    }
    let checked = quotes.len();
    assert!(checked >= 5, "§8.4 lists only {checked} values");
}
