//! `softtoken demo`: the whole seed flow on this machine, narrated in the bank manual's words.
//!
//! The real provider runs in process on 127.0.0.1 with `--dev` TLS in a temporary directory
//! (the test kit's `TestProvider`); the bank's calls go to it over HTTPS (the kit's
//! `BankClient`, what a core-banking system does); two "phones" are app cores with their own
//! data directories and the OS keystore. Steps: issue → typo caught → set up → code → 認証確認
//! → 取引認証 (approve a transfer, reject a phishing relay's, an offline code: `transfers.rs`)
//! → revoke (phone change) → the old phone refuses codes → re-issue → set up the new phone →
//! 認証確認. Nothing outlives the demo: tokens are removed, the provider stops, the directory
//! is deleted, and on Linux the seeds live in a session keyring of the demo's own.

mod keystore;
mod narrator;
mod transfers;

use std::{
    io::{BufRead, IsTerminal},
    path::{Path, PathBuf},
    sync::mpsc,
};

use rand_core::{OsRng, RngCore};
use softtoken_core::{CoreError, OtpCode, SoftToken, TokenInfo, TokenStatus};
use softtoken_protocol::wire::{IssueTokenResponse, TokenState, VerifyResult};
use softtoken_testkit::{
    BankClient, TestProvider,
    fixtures::{EMAIL, SERVICE_ID, user_id_with_typo},
};
use tokio::runtime::Runtime;
use zeroize::Zeroizing;

use crate::{
    app_core,
    cli::DemoArgs,
    config::Provider,
    countdown::{self, Next},
    error::{CliError, Exit},
    output::{grouped, status_text},
};
use keystore::DemoKeystore;
use narrator::Narrator;

/// How many numbered steps the demo has.
const STEPS: usize = 16;

/// A failed step: what went wrong, in one line.
type Step<T = ()> = Result<T, String>;

/// Runs the demo. Interactive only with a terminal on both stdin and stdout and without
/// `--non-interactive`, so it never waits for input in CI or a pipe.
pub fn run(args: &DemoArgs) -> Result<(), CliError> {
    let interactive =
        !args.non_interactive && std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    // Before the runtime starts any thread: the session keyring is per thread, inherited.
    let keystore = DemoKeystore::prepare();
    let runtime = app_core::runtime()?;
    let dir = tempfile::Builder::new()
        .prefix("softtoken-demo-")
        .tempdir()
        .map_err(|e| CliError::new(Exit::Failure, format!("cannot create a temp dir: {e}")))?;
    let mut narrator = Narrator::new(STEPS, interactive);

    println!("SoftToken demo — ワンタイムパスワード（ソフトウェアトークン）の利用開始");
    println!("The bank manual's steps, all on this machine: the provider on 127.0.0.1 over HTTPS,");
    println!("the bank's calls to it, and the app (a phone) keeping its seed in the OS keystore.");
    if !interactive {
        println!("(non-interactive: running straight through)");
    }

    let mut demo = Demo {
        runtime: &runtime,
        dir: dir.path().to_path_buf(),
        keystore: &keystore,
        provider: None,
        phones: Vec::new(),
    };
    let outcome = demo.steps(&mut narrator);
    if let Err(reason) = &outcome {
        narrator.failed(reason);
    }
    let cleaned = demo.cleanup();
    match (outcome, cleaned) {
        (Ok(()), Ok(())) => {
            println!(
                "\n後片付け (cleanup): tokens removed from the keystore, provider stopped, \
                 temporary files deleted."
            );
            println!("all {STEPS} steps succeeded");
            Ok(())
        }
        (Ok(()), Err(reason)) => Err(CliError::new(
            Exit::Failure,
            format!("demo cleanup failed: {reason}"),
        )),
        (Err(reason), _) => Err(CliError::new(
            Exit::Failure,
            format!("demo step {}/{STEPS} failed: {reason}", narrator.current()),
        )),
    }
}

/// One phone: an app core and the token set up on it.
struct Phone {
    core: SoftToken,
    token_id: Option<String>,
}

/// The demo's world and what must be cleaned up.
struct Demo<'a> {
    runtime: &'a Runtime,
    dir: PathBuf,
    keystore: &'a DemoKeystore,
    provider: Option<TestProvider>,
    phones: Vec<Phone>,
}

/// What step 1 sets up for the others.
struct World {
    bank: BankClient,
    provider: Provider,
    outbox: PathBuf,
}

impl Demo<'_> {
    fn steps(&mut self, n: &mut Narrator) -> Step {
        let world = self.start_provider(n)?;

        // First phone: issue, typo, set up, code, 認証確認.
        let password = demo_password();
        let issued = self.issue(
            n,
            &world,
            &password,
            "手順1 ワンタイムパスワードトークン発行 — the bank issues a token",
        )?;
        let user_id = issued.user_id.as_str().to_owned();
        let old = self.new_phone(&world, "phone-old")?;
        self.typo_is_caught(n, old, &user_id, &password)?;
        self.set_up(
            n,
            old,
            &user_id,
            &password,
            "手順3 ワンタイムパスワードアプリの初期設定 — the app sets up the token",
            false,
        )?;
        drop(password);
        let code = self.show_code(
            n,
            old,
            "手順4 ワンタイムパスワードの表示 — the app shows the code",
        )?;
        self.confirm(
            n,
            &world,
            old,
            &user_id,
            &code,
            "手順5 ワンタイムパスワード認証確認 — the bank checks the code",
        )?;

        // 取引認証: approve a transfer, reject a phishing relay's, an offline code.
        self.approve_transfer(n, &world, old, &user_id)?;
        self.phishing_rejected(n, &world, old, &user_id)?;
        self.offline_code(n, &world, old, &user_id)?;

        // 機種変更 with the old phone at hand: re-issue, set up the new phone; the old phone
        // keeps working until the new phone's 認証確認 retires it (docs/protocol.md §7.5).
        let password = demo_password();
        let reissued = self.issue(
            n,
            &world,
            &password,
            "機種変更 手順1 — the bank issues a token for the new phone (the old one is not revoked)",
        )?;
        let new_user_id = reissued.user_id.as_str().to_owned();
        let new = self.new_phone(&world, "phone-new")?;
        let code = self.set_up(
            n,
            new,
            &new_user_id,
            &password,
            "手順3・4 on the new phone — set up again (the seed is never copied between phones)",
            true,
        )?
        .ok_or("no code on the new phone")?;
        drop(password);
        self.old_phone_still_works(n, old)?;
        self.confirm(
            n,
            &world,
            new,
            &new_user_id,
            &code,
            "手順5 認証確認 on the new phone — it is the token now; the old one retires itself",
        )?;
        self.phone_refuses(n, old, Refusal::Replaced)?;

        // A lost phone: the bank revokes its token (then issues anew, as above).
        self.revoke(n, &world, &new_user_id)?;
        self.phone_refuses(n, new, Refusal::Revoked)?;
        Ok(())
    }

    /// Step 1: the provider, in process, as `softtoken-server serve --dev` would start it.
    fn start_provider(&mut self, n: &mut Narrator) -> Step<World> {
        n.step("プロバイダ起動 — the provider starts (in process, HTTPS on 127.0.0.1)");
        let data = self.dir.join("provider");
        let provider = self
            .runtime
            .block_on(TestProvider::start_in(&data, |_| {}))
            .map_err(|e| e.to_string())?;
        let url = provider.url().to_owned();
        let ca_pem = provider.ca_pem().to_owned();
        let ca_file = provider.ca_pem_path();
        let api_key_file = provider.api_key_path();
        let outbox = provider.outbox_dir();
        let bank = provider.bank().map_err(|e| e.to_string())?;
        self.provider = Some(provider);
        n.say(&format!("listening on {url} (TLS from a development CA)"));
        n.say(&format!(
            "the bank and the app trust only that CA: {}",
            ca_file.display()
        ));
        n.say(&format!(
            "demo bank: サービスID {SERVICE_ID}, its API key in {}",
            api_key_file.display()
        ));
        n.say(&format!("the app's keystore: {}", self.keystore.describe()));
        n.ok("ready");
        n.pause();
        Ok(World {
            bank,
            provider: Provider { url, ca_pem },
            outbox,
        })
    }

    /// 手順1/2: the bank issues a token and shows the IDs; the mail goes to the outbox.
    fn issue(
        &self,
        n: &mut Narrator,
        world: &World,
        password: &str,
        title: &str,
    ) -> Step<IssueTokenResponse> {
        n.step(title);
        n.say(&format!(
            "携帯電話メールアドレス (phone mail address): {EMAIL}"
        ));
        n.say(
            "利用開始パスワード (activation password): ●●●●●●●● (chosen by the user; never \
             shown, never stored by the provider)",
        );
        n.say("[トークン発行] (issue token)");
        let issued = self
            .runtime
            .block_on(world.bank.issue(EMAIL, password))
            .map_err(|e| e.to_string())?;
        n.screen(
            "ワンタイムパスワード認証確認 (the bank's screen)",
            &[
                ("携帯認証メールアドレス (mail)", EMAIL.to_owned()),
                ("サービスID (Service ID)   ", issued.service_id.to_string()),
                ("ユーザID (User ID)        ", issued.user_id.to_string()),
            ],
        );
        let mail = find_mail(&world.outbox, issued.user_id.as_str())?;
        n.say(&format!(
            "the mail with both IDs and the app link: {} (the demo has no SMTP; a real \
             provider sends it from @otp-auth.net)",
            mail.display()
        ));
        n.ok(&format!(
            "issued by bank {}; set it up within {}",
            world.bank.service_id(),
            human_duration(issued.expires_at_ms.saturating_sub(issued.server_time_ms))
        ));
        n.pause();
        Ok(issued)
    }

    /// A new phone: an app core with its own data directory.
    fn new_phone(&mut self, world: &World, name: &str) -> Step<usize> {
        let core =
            app_core::open_core(&self.dir.join(name), &world.provider, self.keystore.store())
                .map_err(|e| e.render())?;
        self.phones.push(Phone {
            core,
            token_id: None,
        });
        Ok(self.phones.len() - 1)
    }

    fn phone(&self, index: usize) -> Step<&Phone> {
        self.phones
            .get(index)
            .ok_or_else(|| "no such phone".to_owned())
    }

    /// 手順3 with a one-character typo: caught on the phone, nothing sent.
    fn typo_is_caught(
        &self,
        n: &mut Narrator,
        phone: usize,
        user_id: &str,
        password: &str,
    ) -> Step {
        n.step("手順3 ワンタイムパスワードアプリの初期設定 — a typo is caught on the phone");
        let typo = user_id_with_typo(user_id);
        n.say(&format!("typed ユーザID {typo} (one digit wrong)"));
        let core = &self.phone(phone)?.core;
        match self
            .runtime
            .block_on(core.activate(SERVICE_ID, &typo, password))
        {
            Err(err @ CoreError::InvalidUserId { .. }) => {
                n.say(&format!("the app says: {}", CliError::from(err).render()));
                n.ok("caught by the User ID's check letters, before anything was sent");
                n.pause();
                Ok(())
            }
            Err(other) => Err(format!("expected a User ID typo, got: {other}")),
            Ok(_) => Err("a User ID with a typo was accepted".into()),
        }
    }

    /// 手順3: the app's setup; the seed goes into the keystore.
    /// With `show_code` the new code is shown too (手順4), in the same step.
    fn set_up(
        &mut self,
        n: &mut Narrator,
        phone: usize,
        user_id: &str,
        password: &str,
        title: &str,
        show_code: bool,
    ) -> Step<Option<OtpCode>> {
        n.step(title);
        let typed_service = full_width_spaced(SERVICE_ID);
        n.say(&format!(
            "サービスID typed as \"{typed_service}\" (full-width, with a space: fine)"
        ));
        n.say(&format!(
            "ユーザID {user_id}, 利用開始パスワード ●●●●, [送信] (send)"
        ));
        n.say("OPAQUE: the app proves it knows the password without sending it; app and provider");
        n.say("both derive the token's seed, which never crosses the network");
        let core = &self.phone(phone)?.core;
        let token = self
            .runtime
            .block_on(core.activate(&typed_service, user_id, password))
            .map_err(|e| CliError::from(e).render())?;
        if token.status != TokenStatus::PendingConfirmation {
            return Err(format!("unexpected state after setup: {:?}", token.status));
        }
        n.say(&format!(
            "seed stored in {} (entry dev.softtoken.seed / {})",
            self.keystore.short_name(),
            token.id
        ));
        if let Some(p) = self.phones.get_mut(phone) {
            p.token_id = Some(token.id.clone());
        }
        let code = if show_code {
            let code = self.current(phone)?;
            n.say(&format!("「次へ」: {}", countdown::static_line(&code)));
            Some(code)
        } else {
            None
        };
        n.ok(&format!(
            "初期設定完了 (setup complete): {}",
            status_text(token.status)
        ));
        n.pause();
        Ok(code)
    }

    /// The phone's current code.
    fn current(&self, phone: usize) -> Step<OtpCode> {
        let p = self.phone(phone)?;
        let id = p.token_id.as_deref().ok_or("no token on this phone")?;
        p.core
            .current_code(id)
            .map_err(|e| CliError::from(e).render())
    }

    /// 手順4: the code with its countdown; on a terminal a live bar until Enter.
    fn show_code(&self, n: &mut Narrator, phone: usize, title: &str) -> Step<OtpCode> {
        n.step(title);
        n.say("「次へ」: the 8-digit code, with the time it stays valid");
        if !n.interactive() {
            let code = self.current(phone)?;
            n.say(&countdown::static_line(&code));
            n.ok("shown");
            return Ok(code);
        }
        n.say("(the bar empties as the code's 30 s run out; press Enter to type it at the bank)");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::stdin().lock().read_line(&mut line);
            let _ = tx.send(());
        });
        let look = countdown::Look {
            indent: "      ",
            clear_on_stop: true,
        };
        let code = countdown::live(
            &look,
            || {
                self.current(phone)
                    .map_err(|e| CliError::new(Exit::Failure, e))
            },
            |_| match rx.try_recv() {
                Err(mpsc::TryRecvError::Empty) => Next::Continue,
                _ => Next::Stop,
            },
        )
        .map_err(|e| e.render())?;
        n.ok("shown");
        Ok(code)
    }

    /// 手順5: the bank verifies the code; the app refreshes and sees the token active.
    fn confirm(
        &self,
        n: &mut Narrator,
        world: &World,
        phone: usize,
        user_id: &str,
        code: &OtpCode,
        title: &str,
    ) -> Step {
        n.step(title);
        let mut verdict = self.type_code(n, world, user_id, &code.code)?;
        if verdict == VerifyResult::Replayed {
            // A phone change: the old phone used this time step (one code per customer per
            // step, docs/protocol.md §7.5), so the user types the next code.
            n.say(&format!(
                "this time step was already used by the old phone: the user waits {} for the next code",
                human_duration(code.remaining_ms)
            ));
            std::thread::sleep(std::time::Duration::from_millis(code.remaining_ms + 200));
            let next = self.current(phone)?;
            verdict = self.type_code(n, world, user_id, &next.code)?;
        }
        if verdict != VerifyResult::Accepted {
            return Err(format!("the bank's check said {}", wire_name(&verdict)));
        }
        let details = self
            .runtime
            .block_on(world.bank.details(user_id))
            .map_err(|e| e.to_string())?;
        if details.state != TokenState::Active {
            return Err(format!(
                "the provider says the token is {:?}",
                details.state
            ));
        }
        let info = self.refresh(n, phone, "the app")?;
        if info.status != TokenStatus::Active {
            return Err(format!("the app sees {:?}", info.status));
        }
        n.ok("認証確認 OK: the token is active (以上で利用開始作業は終了)");
        n.pause();
        Ok(())
    }

    /// A lost phone: the bank revokes its token (トークンの失効手続き) before issuing a new one.
    fn revoke(&self, n: &mut Narrator, world: &World, user_id: &str) -> Step {
        n.step("機種変更, phone lost — the bank revokes its token at once (トークンの失効手続き)");
        let details = self
            .runtime
            .block_on(world.bank.revoke(user_id))
            .map_err(|e| e.to_string())?;
        n.say(&format!(
            "bank → provider: revoke {user_id} → {}",
            wire_name(&details.state)
        ));
        if details.state != TokenState::Revoked {
            return Err(format!("the token is {:?}, not revoked", details.state));
        }
        n.ok("revoked at the provider");
        n.pause();
        Ok(())
    }

    /// The phone's app refreshes its token from the provider and says what it learnt.
    fn refresh(&self, n: &mut Narrator, phone: usize, who: &str) -> Step<TokenInfo> {
        let p = self.phone(phone)?;
        let id = p.token_id.as_deref().ok_or("no token on this phone")?;
        let info = self
            .runtime
            .block_on(p.core.refresh(id))
            .map_err(|e| CliError::from(e).render())?;
        n.say(&format!("{who} refreshes: {}", status_text(info.status)));
        Ok(info)
    }

    /// The user types `code` at internet banking; the bank asks the provider.
    fn type_code(
        &self,
        n: &mut Narrator,
        world: &World,
        user_id: &str,
        code: &str,
    ) -> Step<VerifyResult> {
        let typed = grouped(code);
        n.say(&format!(
            "the user types {typed} into internet banking: [認証確認]"
        ));
        let verdict = self
            .runtime
            .block_on(world.bank.verify(user_id, &typed))
            .map_err(|e| e.to_string())?;
        n.say(&format!(
            "bank → provider: verify → {}",
            wire_name(&verdict.result)
        ));
        Ok(verdict.result)
    }

    /// Until the new phone's 認証確認 the old phone keeps working: its token is active and it
    /// shows a code.
    fn old_phone_still_works(&self, n: &mut Narrator, phone: usize) -> Step {
        n.step("meanwhile the old phone keeps working (no gap)");
        let info = self.refresh(n, phone, "the old app")?;
        if info.status != TokenStatus::Active {
            return Err(format!("the old phone sees {:?}, not active", info.status));
        }
        let code = self.current(phone)?;
        n.say(&format!("the old phone shows {}", grouped(&code.code)));
        n.ok("the old phone still shows codes");
        n.pause();
        Ok(())
    }

    /// A phone whose token was retired learns it on refresh and shows no code any more.
    fn phone_refuses(&self, n: &mut Narrator, phone: usize, refusal: Refusal) -> Step {
        n.step(match refusal {
            Refusal::Replaced => {
                "the old phone learns on refresh that its token moved, and shows no code"
            }
            Refusal::Revoked => {
                "the lost phone, if it is ever switched on, learns the revocation on refresh"
            }
        });
        let info = self.refresh(n, phone, "the app")?;
        let p = self.phone(phone)?;
        let id = p.token_id.as_deref().ok_or("no token on this phone")?;
        let expected = match (refusal, info.status) {
            (Refusal::Replaced, TokenStatus::Replaced { .. }) => CoreError::TokenReplaced,
            (Refusal::Revoked, TokenStatus::Revoked) => CoreError::TokenRevoked,
            (_, other) => return Err(format!("the phone sees {other:?}, not {refusal:?}")),
        };
        match p.core.current_code(id) {
            Err(err) if err == expected => {
                n.say(&format!(
                    "asked for a code, the app says: {}",
                    CliError::from(err).render()
                ));
            }
            Err(other) => return Err(format!("expected '{expected}', got: {other}")),
            Ok(_) => return Err("the retired token still showed a code".into()),
        }
        n.ok("no code is shown for a retired token");
        n.pause();
        Ok(())
    }

    /// Removes every token (their seeds leave the keystore) and stops the provider.
    fn cleanup(&mut self) -> Step {
        let mut first_error = None;
        for phone in self.phones.drain(..) {
            if let Some(id) = &phone.token_id
                && let Err(err) = phone.core.remove(id)
            {
                first_error.get_or_insert(format!("removing {id}: {err}"));
            }
        }
        if let Some(mut provider) = self.provider.take() {
            self.runtime.block_on(provider.stop());
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Why a phone's token stopped: the two ends of a phone change.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    /// The new phone's 認証確認 retired it.
    Replaced,
    /// The bank revoked it (a lost phone).
    Revoked,
}

/// A fresh activation password, as if the user had chosen one; wiped when dropped.
fn demo_password() -> Zeroizing<String> {
    let mut bytes = Zeroizing::new([0u8; 6]);
    OsRng.fill_bytes(bytes.as_mut());
    Zeroizing::new(format!("Sakura#{}", hex::encode(bytes.as_ref())))
}

/// `10121234` as a phone keyboard in Japanese mode may type it: `１０１２ １２３４`.
fn full_width_spaced(digits: &str) -> String {
    let half = digits.len() / 2;
    digits
        .chars()
        .enumerate()
        .flat_map(|(i, c)| {
            let wide = c
                .to_digit(10)
                .and_then(|d| char::from_u32(0xFF10 + d))
                .unwrap_or(c);
            let space = (i == half).then_some(' ');
            space.into_iter().chain(std::iter::once(wide))
        })
        .collect()
}

/// The issuance mail for `user_id` in the outbox (the provider writes it before it answers).
fn find_mail(outbox: &Path, user_id: &str) -> Step<PathBuf> {
    let entries = std::fs::read_dir(outbox)
        .map_err(|e| format!("no mail outbox at {}: {e}", outbox.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "eml")
            && std::fs::read_to_string(&path).is_ok_and(|text| text.contains(user_id))
        {
            return Ok(path);
        }
    }
    Err(format!("no mail for {user_id} in {}", outbox.display()))
}

/// A wire enum as the API spells it (`accepted`, `revoked`).
fn wire_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => "?".to_owned(),
    }
}

/// `7 days`, `5 hours`, `30 minutes`.
fn human_duration(ms: u64) -> String {
    // The wait for the next code is under a minute: say it in seconds, rounded up.
    if ms < 60_000 {
        return format!("{} seconds", ms.div_ceil(1000));
    }
    // Rounded to the nearest unit: a 24-hour deadline read a few ms later is still "24 hours".
    let minutes = (ms + 30_000) / 60_000;
    match minutes {
        m if m >= 2 * 24 * 60 => format!("{} days", (m + 12 * 60) / (24 * 60)),
        m if m >= 2 * 60 => format!("{} hours", (m + 30) / 60),
        m => format!("{m} minutes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use softtoken_protocol::ids::ServiceId;

    #[test]
    fn full_width_service_ids_still_parse() {
        let typed = full_width_spaced("10121234");
        assert_eq!(typed, "１０１２ １２３４");
        assert_eq!(ServiceId::parse(&typed).unwrap().as_str(), "10121234");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(7 * 24 * 3_600_000), "7 days");
        assert_eq!(human_duration(5 * 3_600_000), "5 hours");
        assert_eq!(human_duration(30 * 60_000), "30 minutes");
        assert_eq!(human_duration(12_400), "13 seconds");
        assert_eq!(human_duration(24 * 3_600_000 - 5), "24 hours");
    }
}
