//! Transaction authentication vectors (docs/protocol.md §9.8): the worked example's token
//! (§8's seed, Service ID, User ID and algorithm, read from `docs/vectors/activation-v1.json`)
//! and three fixed transactions, with canonical bytes, digests, keys, codes and MACs.
//!
//! `docs/vectors/transactions-v1.json` is checked against a fresh run; regenerate it (after a
//! deliberate protocol change only) with `cargo xtask vectors`, which runs
//! `transactions_match_the_published_vectors` alone with `UPDATE_VECTORS=1`. The keys and every
//! MAC are also recomputed here from the published inputs with plain HKDF/HMAC, independently
//! of the crate's `TransactionKeys`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use ring::hmac;
use serde_json::{Value, json};
use softtoken_protocol::{
    ids::{ServiceId, UserId},
    secret::Seed,
    totp::Algorithm,
    transaction::{
        AccountNumber, AccountType, Amount, BankCode, BranchCode, Decision, HolderName,
        OfflineChallenge, Payee, Reference, Transaction, TransactionId, TransactionKeys,
        TransactionState, online_suite,
    },
    wire::TokenState,
};

const DESCRIPTION: &str = "SoftToken protocol v1 transaction authentication vectors \
    (docs/protocol.md §9.8): the worked example's token (§8, docs/vectors/activation-v1.json) \
    and three fixed transactions. Hex throughout; times are unix seconds (codes) or \
    milliseconds (`*_ms`).";

/// Code times: two different 1-minute steps.
const CODE_TIMES: [u64; 2] = [1_795_000_000, 1_795_000_125];
const NONCE: [u8; 16] = [
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
];
const TIME_MS: u64 = 1_795_000_000_000;
const SERVER_TIME_MS: u64 = 1_795_000_000_123;
const DECIDED_AT_MS: u64 = 1_795_000_042_000;

fn path(name: &str) -> String {
    format!("{}/../docs/vectors/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn read(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path(name)).unwrap()).unwrap()
}

/// The worked example's token: seed, IDs and algorithm.
struct Token {
    seed: Vec<u8>,
    service_id: ServiceId,
    user_id: UserId,
    algorithm: Algorithm,
}

impl Token {
    /// The keys as the crate derives them.
    fn keys(&self) -> TransactionKeys {
        TransactionKeys::derive(
            &Seed::from_slice(&self.seed),
            self.algorithm,
            &self.service_id,
            &self.user_id,
        )
    }
}

fn token() -> Token {
    let activation = read("activation-v1.json");
    let inputs = &activation["inputs"];
    Token {
        seed: hex::decode(activation["seed"].as_str().unwrap()).unwrap(),
        service_id: ServiceId::parse(inputs["service_id"].as_str().unwrap()).unwrap(),
        user_id: UserId::parse(inputs["user_id"].as_str().unwrap()).unwrap(),
        algorithm: inputs["algorithm"].as_str().unwrap().parse().unwrap(),
    }
}

/// One fixed transaction as the bank registers it (the name as the bank sends it).
struct Input {
    id: u8,
    bank_code: &'static str,
    branch_code: &'static str,
    account_type: AccountType,
    account_number: &'static str,
    name: &'static str,
    amount: u64,
    reference: Option<&'static str>,
}

const INPUTS: [Input; 3] = [
    // The bank's half-width kana.
    Input {
        id: 0x00,
        bank_code: "0001",
        branch_code: "101",
        account_type: AccountType::Ordinary,
        account_number: "1234567",
        name: "ﾔﾏﾀﾞ ﾀﾛｳ",
        amount: 123_456,
        reference: None,
    },
    // A company name and a reference.
    Input {
        id: 0x10,
        bank_code: "0005",
        branch_code: "250",
        account_type: AccountType::Checking,
        account_number: "0012345",
        name: "ｶ)ｻｸﾗｼｮｳｼﾞ",
        amount: 80_000,
        reference: Some("振込 3月分家賃"),
    },
    // A savings account, full-width name, the largest amount.
    Input {
        id: 0x20,
        bank_code: "9900",
        branch_code: "001",
        account_type: AccountType::Savings,
        account_number: "7654321",
        name: "スズキ\u{3000}ハナコ",
        amount: 9_999_999_999,
        reference: None,
    },
];

fn transaction(t: &Token, input: &Input) -> Transaction {
    Transaction {
        id: TransactionId::from_bytes(core::array::from_fn(|i| input.id + i as u8)),
        service_id: t.service_id,
        user_id: t.user_id,
        payee: Payee {
            bank_code: BankCode::parse(input.bank_code).unwrap(),
            branch_code: BranchCode::parse(input.branch_code).unwrap(),
            account_type: input.account_type,
            account_number: AccountNumber::parse(input.account_number).unwrap(),
            name: HolderName::parse(input.name).unwrap(),
        },
        amount: Amount::jpy(input.amount).unwrap(),
        reference: Reference::parse_optional(input.reference).unwrap(),
        expires_at_ms: TIME_MS + 300_000,
    }
}

/// HMAC-SHA256 over concatenated parts.
fn hmac256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&key);
    parts.iter().for_each(|p| ctx.update(p));
    ctx.sign().as_ref().to_vec()
}

/// RFC 5869 HKDF-SHA256 written out with HMAC (9.1), independent of the crate.
fn hkdf(seed: &[u8], label: &[u8], t: &Token, len: usize) -> Vec<u8> {
    let prk = hmac256(b"SoftToken-v1 transactions", &[seed]);
    let info = [label, t.service_id.as_bytes(), t.user_id.as_bytes()].concat();
    let (mut out, mut block, mut counter) = (Vec::new(), Vec::new(), 1u8);
    while out.len() < len {
        block = hmac256(&prk, &[&block, &info, &[counter]]);
        out.extend_from_slice(&block);
        counter += 1;
    }
    out.truncate(len);
    out
}

fn short(name: &str) -> Vec<u8> {
    [&[name.len() as u8][..], name.as_bytes()].concat()
}

fn generate() -> Value {
    let t = token();
    let keys = t.keys();
    let ocra_key = hkdf(
        &t.seed,
        b"SoftToken-v1 OCRA key",
        &t,
        t.algorithm.seed_len(),
    );
    let list_key = hkdf(&t.seed, b"SoftToken-v1 transaction list key", &t, 32);
    let decision_key = hkdf(&t.seed, b"SoftToken-v1 decision key", &t, 32);

    let transactions: Vec<Transaction> = INPUTS.iter().map(|i| transaction(&t, i)).collect();
    let mut published = Vec::new();
    for (input, txn) in INPUTS.iter().zip(&transactions) {
        let digest = txn.digest();
        let codes: serde_json::Map<String, Value> = CODE_TIMES
            .iter()
            .map(|at| (at.to_string(), keys.online_code(txn, *at).as_str().into()))
            .collect();
        let mut decisions = serde_json::Map::new();
        let mut results = serde_json::Map::new();
        for decision in [Decision::Approve, Decision::Reject] {
            let mac = keys.decision_mac(decision, &digest);
            let independent = hmac256(
                &decision_key,
                &[b"SoftToken-v1 decision", &short(decision.as_str()), &digest],
            );
            assert_eq!(mac.to_vec(), independent, "decision MAC");
            decisions.insert(decision.as_str().into(), hex::encode(mac).into());
            let state = decision.resulting_state();
            let result = keys.result_mac(&digest, state, DECIDED_AT_MS);
            let independent = hmac256(
                &decision_key,
                &[
                    b"SoftToken-v1 decision result",
                    &digest,
                    &short(state.as_str()),
                    &DECIDED_AT_MS.to_be_bytes(),
                ],
            );
            assert_eq!(result.to_vec(), independent, "result MAC");
            results.insert(state.as_str().into(), hex::encode(result).into());
        }
        published.push(json!({
            "input": {
                "id": txn.id.as_str(),
                "bank_code": input.bank_code,
                "branch_code": input.branch_code,
                "account_type": input.account_type.as_str(),
                "account_number": input.account_number,
                "name": input.name,
                "amount": {"value": input.amount, "currency": "JPY"},
                "reference": input.reference,
                "expires_at_ms": txn.expires_at_ms,
            },
            "canonical_name": txn.payee.name.as_str(),
            "canonical_bytes": hex::encode(txn.canonical_bytes()),
            "digest": hex::encode(digest),
            "online_codes": codes,
            "decision_mac": decisions,
            "result_mac": {"server_time_ms": DECIDED_AT_MS, "macs": results},
        }));
    }

    let digests: Vec<[u8; 32]> = transactions.iter().map(Transaction::digest).collect();
    let proof = keys.list_proof(&NONCE, TIME_MS);
    assert_eq!(
        proof.to_vec(),
        hmac256(
            &list_key,
            &[
                b"SoftToken-v1 transactions request",
                &NONCE,
                &TIME_MS.to_be_bytes()
            ]
        )
    );
    let list_mac = keys.list_mac(&NONCE, TokenState::Active, SERVER_TIME_MS, &digests);
    let mut parts: Vec<Vec<u8>> = vec![
        b"SoftToken-v1 transactions response".to_vec(),
        NONCE.to_vec(),
        short("active"),
        SERVER_TIME_MS.to_be_bytes().to_vec(),
        (digests.len() as u16).to_be_bytes().to_vec(),
    ];
    parts.extend(digests.iter().map(|d| d.to_vec()));
    let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    assert_eq!(list_mac.to_vec(), hmac256(&list_key, &parts));

    let offline: Vec<Value> = [
        ("1234567", None),
        ("1234567", Some("123,456円")),
        ("0012345", Some("6100")),
    ]
    .into_iter()
    .map(|(account, amount)| {
        let challenge = OfflineChallenge::parse(account, amount).unwrap();
        let codes: serde_json::Map<String, Value> = CODE_TIMES
            .iter()
            .map(|at| {
                (
                    at.to_string(),
                    keys.offline_code(&challenge, *at).as_str().into(),
                )
            })
            .collect();
        json!({
            "account_number": account,
            "amount_typed": amount,
            "suite": challenge.suite(t.algorithm),
            "challenge": challenge.challenge(),
            "codes": codes,
        })
    })
    .collect();

    json!({
        "description": DESCRIPTION,
        "inputs": {
            "seed": hex::encode(&t.seed),
            "service_id": t.service_id.as_str(),
            "user_id": t.user_id.as_str(),
            "algorithm": t.algorithm.as_str(),
        },
        "keys": {
            "ocra_key": hex::encode(&ocra_key),
            "list_key": hex::encode(&list_key),
            "decision_key": hex::encode(&decision_key),
        },
        "online_suite": online_suite(t.algorithm),
        "transactions": published,
        "list": {
            "nonce": hex::encode(NONCE),
            "time_ms": TIME_MS,
            "proof": hex::encode(proof),
            "state": TokenState::Active.as_str(),
            "server_time_ms": SERVER_TIME_MS,
            "digests": "the three transactions' digests, in order",
            "mac": hex::encode(list_mac),
        },
        "offline": offline,
    })
}

#[test]
fn transactions_match_the_published_vectors() {
    let fresh = generate();
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        // Write beside and rename over, so a reader never sees half a file.
        let path = path("transactions-v1.json");
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
        read("transactions-v1.json"),
        "protocol output changed; see the file's doc comment"
    );
}

#[test]
fn published_codes_verify_and_states_are_the_decisions() {
    let v = read("transactions-v1.json");
    let t = token();
    let keys = t.keys();
    for (input, published) in INPUTS.iter().zip(v["transactions"].as_array().unwrap()) {
        let txn = transaction(&t, input);
        for (at, code) in published["online_codes"].as_object().unwrap() {
            let at: u64 = at.parse().unwrap();
            assert_eq!(
                keys.verify_online(&txn, code.as_str().unwrap(), at, 1),
                Some(at / 60)
            );
        }
        let macs = &published["result_mac"]["macs"];
        for state in [TransactionState::Approved, TransactionState::Rejected] {
            let mac = hex::decode(macs[state.as_str()].as_str().unwrap()).unwrap();
            assert!(keys.verify_result(&txn.digest(), state, DECIDED_AT_MS, &mac));
        }
    }
}
