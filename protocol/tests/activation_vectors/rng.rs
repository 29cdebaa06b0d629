//! The fixed randomness of the worked example (docs/protocol.md §8.1): one ChaCha20 stream per
//! party, cut into the draws opaque-ke makes, in the order it makes them.

use rand_chacha::{
    ChaCha20Rng,
    rand_core::{RngCore, SeedableRng},
};
use serde_json::{Value, json};

/// More bytes than any party of the example draws (the provider setup's 192 are the most).
const STREAM_BYTES: usize = 256;

/// The RNG a party of the example runs on: ChaCha20 keyed with 32 copies of `seed_byte`.
pub fn rng(seed_byte: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed_byte; 32])
}

/// One draw: which value it becomes, and where it sits in the stream.
struct Draw {
    name: &'static str,
    offset: usize,
    len: usize,
}

/// One party's stream, read draw by draw as the document lists them.
pub struct Stream {
    seed_byte: u8,
    keystream: Vec<u8>,
    draws: Vec<Draw>,
    at: usize,
}

impl Stream {
    /// The stream of the party whose seed is 32 bytes of `seed_byte`.
    pub fn new(seed_byte: u8) -> Self {
        let mut keystream = vec![0; STREAM_BYTES];
        rng(seed_byte).fill_bytes(&mut keystream);
        Self {
            seed_byte,
            keystream,
            draws: Vec::new(),
            at: 0,
        }
    }

    /// The next `len` bytes of the stream, recorded as the draw `name`.
    pub fn draw(&mut self, name: &'static str, len: usize) -> Vec<u8> {
        let bytes = self.keystream[self.at..self.at + len].to_vec();
        self.draws.push(Draw {
            name,
            offset: self.at,
            len,
        });
        self.at += len;
        bytes
    }

    /// Checks that `used`, the RNG the reference run handed to opaque-ke, consumed exactly the
    /// draws listed so far: no more, no fewer (rand_chacha counts 4-byte words).
    pub fn assert_consumed_exactly_by(&self, used: &ChaCha20Rng, phase: &str) {
        assert_eq!(
            used.get_word_pos(),
            u128::try_from(self.at / 4).unwrap(),
            "{phase}: opaque-ke drew a different number of bytes than docs/protocol.md §8.1 lists"
        );
    }

    /// The stream for the vector file: its seed and every draw, in order.
    pub fn to_json(&self) -> Value {
        let draws: Vec<Value> = self
            .draws
            .iter()
            .map(|draw| {
                json!({
                    "name": draw.name,
                    "offset": draw.offset,
                    "length": draw.len,
                    "bytes": hex::encode(&self.keystream[draw.offset..draw.offset + draw.len]),
                })
            })
            .collect();
        json!({ "seed": hex::encode([self.seed_byte; 32]), "draws": draws })
    }
}

/// The document's claim that rand_chacha's `ChaCha20Rng` is the RFC 8439 §2.4 keystream with
/// key = seed, an all-zero nonce and the block counter starting at 0, checked on RFC 8439
/// Appendix A.1 test vectors #1 (zero key, block 0) and #3 (key `00…01`, block 1).
#[test]
fn chacha20_rng_is_the_rfc8439_keystream_with_a_zero_nonce() {
    let mut zero_key = [0u8; 64];
    ChaCha20Rng::from_seed([0; 32]).fill_bytes(&mut zero_key);
    assert_eq!(
        hex::encode(zero_key),
        "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7\
         da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586"
    );
    let mut key = [0u8; 32];
    key[31] = 1;
    let mut two_blocks = [0u8; 128];
    ChaCha20Rng::from_seed(key).fill_bytes(&mut two_blocks);
    assert_eq!(
        hex::encode(&two_blocks[64..]),
        "3aeb5224ecf849929b9d828db1ced4dd832025e8018b8160b82284f3c949aa5a\
         8eca00bbb4a73bdad192b5c42f73f2fd4e273644c8b36125a64addeb006c13a0"
    );
}
