//! `softtoken totp`: an oathtool-style RFC 6238 calculator, for operators checking a token and
//! for tests. It uses the same code path as the app (`softtoken_protocol::totp`).

use std::io::BufRead;

use serde::Serialize;
use softtoken_protocol::totp::{Algorithm, TokenParams, Totp};
use zeroize::Zeroizing;

use crate::{
    cli::{AlgorithmArg, TotpArgs},
    error::{CliError, Exit},
    output::print_json,
};

#[derive(Serialize)]
struct TotpJson<'a> {
    code: &'a str,
    time: u64,
    step: u64,
    algorithm: &'static str,
    digits: u8,
    period: u32,
}

/// Runs the command.
pub fn run(args: &TotpArgs) -> Result<(), CliError> {
    let secret = secret(&args.secret_hex)?;
    let algorithm = match args.algorithm {
        AlgorithmArg::Sha1 => Algorithm::Sha1,
        AlgorithmArg::Sha256 => Algorithm::Sha256,
        AlgorithmArg::Sha512 => Algorithm::Sha512,
    };
    let invalid =
        |e: softtoken_protocol::totp::TotpError| CliError::new(Exit::Input, e.to_string());
    let params = TokenParams::new(algorithm, args.digits, args.period).map_err(invalid)?;
    let totp = Totp::new(params, &secret).map_err(invalid)?;
    drop(secret);
    let time = match args.time {
        Some(time) => time,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .map_err(|_| CliError::new(Exit::Failure, "the system clock is before 1970"))?,
    };
    let code = totp.code_at(time);
    if args.json {
        print_json(&TotpJson {
            code: code.as_str(),
            time,
            step: totp.step_at(time),
            algorithm: algorithm.as_str(),
            digits: params.digits(),
            period: params.period(),
        });
    } else {
        println!("{}", code.as_str());
    }
    Ok(())
}

/// The secret bytes from hex, or from the first line of stdin for `-` (keeps it out of `ps`).
fn secret(arg: &str) -> Result<Zeroizing<Vec<u8>>, CliError> {
    let line;
    let text = if arg == "-" {
        let mut read = Zeroizing::new(String::new());
        std::io::stdin()
            .lock()
            .read_line(&mut read)
            .map_err(|e| CliError::new(Exit::Usage, format!("cannot read stdin: {e}")))?;
        line = read;
        line.as_str()
    } else {
        arg
    };
    let compact: Zeroizing<String> =
        Zeroizing::new(text.chars().filter(|c| !c.is_whitespace()).collect());
    hex::decode(compact.as_str())
        .map(Zeroizing::new)
        .map_err(|_| {
            CliError::new(Exit::Input, "--secret-hex is not hex")
                .next("give the secret as hex digits, two per byte")
        })
}
