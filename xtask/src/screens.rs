//! `cargo xtask screens` and `cargo xtask phone`: the Compose screens (`android/ui/`) as
//! pictures and as a window.
//!
//! - `screens` renders every screen (ja/en, light/dark) offscreen to `docs/screens/*.png`: the
//!   module's `ScreenshotsTest`, against a real provider, with a Japanese font installed
//!   (`fonts-noto-cjk`; without one, kana render as boxes and the test fails).
//! - `phone` opens the desktop build in a phone-sized window against a dev provider on this
//!   machine, with one token issued at the bank for you to set up by hand: it prints the
//!   サービスID, ユーザID and 利用開始パスワード to type. It needs a display; without one the window
//!   program says so and exits with status 2.

use std::{fs, path::Path, process::Command};

use crate::{
    bindings::{LIB_DIR, LIB_FILE},
    kotlin::{self, Keyring, SCREENS},
    provider::TestProvider,
    tools::{self, ensure_programs, run as run_command, workspace_root},
};

/// The font Skia needs for kana (Debian's `fonts-noto-cjk`).
const CJK_FONT: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

/// The activation password `phone` issues its token with.
const PHONE_PASSWORD: &str = "Sakura#2026";

/// Renders the pictures into `docs/screens/`.
pub fn pictures() -> Result<(), String> {
    if !Path::new(CJK_FONT).is_file() {
        return Err(format!(
            "{CJK_FONT} is missing: install a Japanese font (`apt-get install fonts-noto-cjk`; .ci/run does)"
        ));
    }
    let root = workspace_root();
    let lib_dir = kotlin::prepare(&root.join(LIB_DIR).join(LIB_FILE))?;
    let provider = TestProvider::start()?;
    let out = root.join("docs/screens");
    kotlin::maven(
        SCREENS,
        &lib_dir,
        &[
            "test",
            "-Dtest=ScreenshotsTest",
            "-Dsurefire.failIfNoSpecifiedTests=false",
            &format!("-Dsofttoken.screens.dir={}", out.display()),
        ],
        Keyring::Inherited,
        &provider,
    )?;
    eprintln!("xtask: pictures written to {}", out.display());
    Ok(())
}

/// Opens the phone window against a fresh dev provider.
pub fn phone() -> Result<(), String> {
    ensure_programs(&[("curl", "curl")])?;
    let root = workspace_root();
    let lib_dir = kotlin::prepare(&root.join(LIB_DIR).join(LIB_FILE))?;
    let provider = TestProvider::start()?;
    let env = provider.env()?;
    let var = |name: &str| {
        env.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .ok_or_else(|| format!("the test provider did not print {name}"))
    };
    let build = root.join("target/android-ui-maven");
    let user_id = issue(
        &build,
        &var("SOFTTOKEN_TEST_PROVIDER_URL")?,
        &var("SOFTTOKEN_TEST_CA_PEM")?,
        &var("SOFTTOKEN_TEST_API_KEY")?,
        &var("SOFTTOKEN_TEST_SERVICE_ID")?,
    )?;
    eprintln!(
        "xtask: a token was issued at the bank. Type in the window:\n  サービスID {}\n  ユーザID {user_id}\n  利用開始パスワード {PHONE_PASSWORD}",
        var("SOFTTOKEN_TEST_SERVICE_ID")?
    );
    // Compile, then run the window program on the module's classpath (no exec plugin needed).
    let classpath_file = build.join("phone.classpath");
    kotlin::maven(
        SCREENS,
        &lib_dir,
        &[
            "-q",
            "compile",
            "dependency:build-classpath",
            &format!("-Dmdep.outputFile={}", classpath_file.display()),
        ],
        Keyring::Inherited,
        &provider,
    )?;
    let classpath = fs::read_to_string(&classpath_file)
        .map_err(|e| format!("cannot read {}: {e}", classpath_file.display()))?;
    let data_dir = root.join("target/phone");
    run_command(
        Command::new("java")
            .arg(format!("-Djna.library.path={}", lib_dir.display()))
            .arg("-cp")
            .arg(format!(
                "{}:{}",
                build.join("classes").display(),
                classpath.trim()
            ))
            .arg("dev.softtoken.ui.desktop.PhoneKt")
            .env("SOFTTOKEN_PHONE_DATA_DIR", &data_dir)
            .envs(env.iter().cloned()),
    )
}

/// Issues a token as the bank does (`POST /v1/services/{id}/tokens`); returns its User ID. The
/// API key goes to curl in a header file under `build`, so it is in no command line or message.
fn issue(
    build: &Path,
    url: &str,
    ca_pem: &str,
    api_key: &str,
    service_id: &str,
) -> Result<String, String> {
    fs::create_dir_all(build).map_err(|e| format!("cannot create {}: {e}", build.display()))?;
    let headers = build.join("phone.headers");
    fs::write(
        &headers,
        format!("Authorization: Bearer {api_key}\nContent-Type: application/json\n"),
    )
    .map_err(|e| format!("cannot write {}: {e}", headers.display()))?;
    let body =
        format!(r#"{{"email":"phone@example.jp","activation_password":"{PHONE_PASSWORD}"}}"#);
    let answer = tools::output(
        Command::new("curl")
            .args(["-sS", "--fail", "--cacert", ca_pem])
            .arg("-H")
            .arg(format!("@{}", headers.display()))
            .args(["--data", &body])
            .arg(format!("{url}/v1/services/{service_id}/tokens")),
    );
    // The key is a throwaway provider's, but it is a key: it does not stay on disk.
    let _ = fs::remove_file(&headers);
    let answer = answer?;
    answer
        .split("\"user_id\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
        .ok_or_else(|| "the provider's answer to the issue has no user_id".to_owned())
}
