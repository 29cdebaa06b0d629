//! The command line: every command, argument and help text (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Printed after `softtoken --help`: the exit codes scripts can rely on.
const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  failure (a demo step failed, an unexpected error)
  2  usage error (bad arguments, no terminal for a prompt)
  3  input rejected on this machine (ID typo, bad label, bad hex); nothing was sent
  4  refused: wrong activation password, token locked, revoked, moved to a new phone,
     expired, in use elsewhere, or to be set up again
  5  network, TLS or provider reply problem
  6  keystore or local storage unavailable (e.g. no usable kernel keyring)
  7  no such token

Files: token metadata and provider settings (no secrets) live in --data-dir
(SOFTTOKEN_HOME, default $XDG_DATA_HOME/softtoken); seeds live only in the OS keystore
(Linux: the kernel session keyring; see `softtoken session`).";

/// SoftToken on the desktop: set up a bank's software token, show its 8-digit codes, and run
/// the whole flow as a demo.
#[derive(Debug, Parser)]
#[command(name = "softtoken", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// Where token metadata and provider settings are kept (never seeds).
    #[arg(long, global = true, env = "SOFTTOKEN_HOME", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole flow on this machine: provider, bank, app, 認証確認, phone change.
    Demo(DemoArgs),
    /// Set up a token (初期設定) with the IDs from the bank's mail and your 利用開始パスワード.
    Activate(ActivateArgs),
    /// List the tokens on this machine.
    List(JsonArg),
    /// Show the current 8-digit code with its countdown.
    Code(CodeArgs),
    /// Ask the provider for the tokens' state (learns revocation, corrects the clock).
    Refresh(RefreshArgs),
    /// Give a token a name (or clear it).
    Rename(RenameArgs),
    /// Remove a token from this machine (its seed and its metadata).
    Remove(RemoveArgs),
    /// 取引認証: see the transfers the bank asks you to confirm, approve or reject them, show a
    /// transfer's code, or compute an offline code for a payee's account.
    #[command(subcommand, visible_alias = "tx")]
    Transactions(TransactionsCommand),
    /// Compute RFC 6238 codes from a hex secret (an oathtool-style calculator for operators and
    /// tests).
    Totp(TotpArgs),
    /// 機種変更: how to move your token to a new phone, with the old phone at hand or lost.
    PhoneChange,
    /// Start a shell (or COMMAND) with a kernel session keyring of its own, so the tokens set up
    /// in it stay readable by later commands in it (Linux; like `keyctl session -`).
    Session(SessionArgs),
}

/// `softtoken transactions …`.
#[derive(Debug, Subcommand)]
pub enum TransactionsCommand {
    /// List the transfers waiting for your decision (payee and amount, as the provider proved
    /// them).
    List(TxListArgs),
    /// Approve a transfer with one tap (after showing it; `--yes` skips the question).
    Approve(TxDecideArgs),
    /// Reject a transfer: the bank is told you did not make it.
    Reject(TxDecideArgs),
    /// Show a transfer's 8-digit code, to type into the bank's transfer page.
    Code(TxCodeArgs),
    /// Compute an offline code (振込先専用ワンタイムパスワード) for the payee's account number, and
    /// the amount where the bank asks for it.
    Offline(TxOfflineArgs),
}

/// `softtoken transactions list`.
#[derive(Debug, Args)]
pub struct TxListArgs {
    /// Which token (optional with one token).
    #[arg(long)]
    pub token: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `softtoken transactions approve|reject`.
#[derive(Debug, Args)]
pub struct TxDecideArgs {
    /// The transaction's id (from `softtoken transactions list`).
    pub transaction: String,
    /// Which token (optional with one token).
    #[arg(long)]
    pub token: Option<String>,
    /// Do not ask; decide at once (the transfer is still printed).
    #[arg(long)]
    pub yes: bool,
    /// Print JSON instead of text (implies --yes).
    #[arg(long)]
    pub json: bool,
}

/// `softtoken transactions code`.
#[derive(Debug, Args)]
pub struct TxCodeArgs {
    /// The transaction's id (from `softtoken transactions list`).
    pub transaction: String,
    /// Which token (optional with one token).
    #[arg(long)]
    pub token: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `softtoken transactions offline`.
#[derive(Debug, Args)]
pub struct TxOfflineArgs {
    /// The payee's account number (7 digits; full-width digits, spaces and hyphens are fine).
    #[arg(long, value_name = "DIGITS")]
    pub account: String,
    /// The amount in yen, where the bank asks for it (`50000`, `50,000`, `¥50,000`, `50,000円`).
    #[arg(long, value_name = "YEN")]
    pub amount: Option<String>,
    /// Which token (optional with one token).
    #[arg(long)]
    pub token: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `--json`.
#[derive(Debug, Args)]
pub struct JsonArg {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `softtoken demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Run straight through without pauses or live bars (automatic when stdin or stdout is not
    /// a terminal). Exits 0 only if every step succeeded.
    #[arg(long)]
    pub non_interactive: bool,
}

/// `softtoken activate`.
#[derive(Debug, Args)]
pub struct ActivateArgs {
    /// The provider's URL, `https://host:port`.
    #[arg(long, value_name = "URL")]
    pub provider: String,
    /// The provider's CA certificate (PEM): the only certificate trusted for it.
    #[arg(long, value_name = "FILE")]
    pub ca: PathBuf,
    /// サービスID (8 digits), as in the bank's mail. Full-width digits and spaces are fine.
    #[arg(long, value_name = "ID")]
    pub service_id: String,
    /// ユーザID (16 characters), as in the bank's mail.
    #[arg(long, value_name = "ID")]
    pub user_id: String,
    /// Read the 利用開始パスワード (activation password) from the first line of stdin instead
    /// of a hidden prompt. It is never taken from the command line.
    #[arg(long)]
    pub password_stdin: bool,
    /// A name for the token.
    #[arg(long)]
    pub label: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `softtoken code`.
#[derive(Debug, Args)]
pub struct CodeArgs {
    /// Which token: its id, label, User ID or a unique start of its id (optional with one token).
    pub token: Option<String>,
    /// Keep showing the code, redrawn each period, until Ctrl-C.
    #[arg(long)]
    pub watch: bool,
    /// Print JSON instead of text (one object per period with --watch).
    #[arg(long)]
    pub json: bool,
}

/// `softtoken refresh`.
#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// Which token (default: all).
    pub token: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `softtoken rename`.
#[derive(Debug, Args)]
pub struct RenameArgs {
    /// Which token.
    pub token: String,
    /// The new name (at most 64 characters).
    #[arg(required_unless_present = "clear", conflicts_with = "clear")]
    pub label: Option<String>,
    /// Remove the name.
    #[arg(long)]
    pub clear: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `softtoken remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// Which token.
    pub token: String,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long, short)]
    pub yes: bool,
}

/// Hash names for `softtoken totp`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AlgorithmArg {
    /// HMAC-SHA-1 (the default of RFC 6238 and of this bank's tokens).
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

/// `softtoken totp`.
#[derive(Debug, Args)]
pub struct TotpArgs {
    /// The secret as hex (at least 16 bytes). `-` reads it from the first line of stdin.
    #[arg(long, value_name = "HEX")]
    pub secret_hex: String,
    /// HMAC hash.
    #[arg(long, value_enum, default_value = "sha1")]
    pub algorithm: AlgorithmArg,
    /// Digits per code (6 to 10).
    #[arg(long, default_value_t = 8)]
    pub digits: u8,
    /// Seconds per code.
    #[arg(long, default_value_t = 30)]
    pub period: u32,
    /// Unix time in seconds (default: now).
    #[arg(long, value_name = "UNIX")]
    pub time: Option<u64>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `softtoken session`.
#[derive(Debug, Args)]
pub struct SessionArgs {
    /// The command to run (default: $SHELL, or /bin/sh).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<String>,
}
