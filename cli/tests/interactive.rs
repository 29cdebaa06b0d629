#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! The interactive commands in a real terminal (tmux): the hidden activation-password prompt
//! (what is typed is never echoed), a wrong password, the one-line error for a User ID typo,
//! then list, code (accepted by the bank), refresh, `code --watch`, a revocation learnt on
//! refresh, rename and remove, against the real provider.
//!
//! Needs tmux (CI installs it); without it the test says so and passes.

mod common;

use std::time::Duration;

use common::{Provider, SERVICE, Terminal, have_tmux, last_line, with_typo};

const PASSWORD: &str = "Hanako#Secret-2026";

/// The `NNNN NNNN` code of `softtoken code` on a terminal, without the space.
fn code_in(output: &str) -> String {
    let line = output
        .lines()
        .find(|l| l.contains("s left"))
        .unwrap_or_else(|| panic!("no code line in:\n{output}"));
    let digits: String = line
        .chars()
        .take_while(|c| *c != '[')
        .filter(char::is_ascii_digit)
        .collect();
    assert_eq!(digits.len(), 8, "{line}");
    digits
}

#[test]
fn interactive_commands_in_a_real_terminal() {
    if !have_tmux() {
        eprintln!("SKIPPED: tmux is not installed (apt-get install tmux); CI installs it");
        return;
    }
    let provider = Provider::start();
    let user_id = provider.issue(PASSWORD);
    let data_dir = provider.dir.path().join("home");
    let mut term = Terminal::start(provider.dir.path(), &data_dir);
    let activate = |user: &str| {
        format!(
            "softtoken activate --provider {} --ca {} --service-id {SERVICE} --user-id {user}",
            provider.url,
            provider.ca_file.display()
        )
    };
    let bin = env!("CARGO_BIN_EXE_softtoken");
    let cmd = |line: String| line.replacen("softtoken", bin, 1);

    // A typo in the User ID: one clear line, before any password is asked for.
    let (rc, out) = term.run(&cmd(activate(&with_typo(&user_id))));
    assert_eq!(rc, 3, "{out}");
    assert!(
        out.contains("error: User ID has a typo: its check characters do not match; type the ユーザID (User ID) exactly as in the bank's mail"),
        "{out}"
    );
    assert!(
        !out.contains("利用開始パスワード (activation password):"),
        "{out}"
    );

    // A wrong password at the hidden prompt: refused, attempts left shown, nothing echoed.
    let marker = term.start_command(&cmd(activate(&user_id)));
    term.wait_for(Duration::from_secs(20), |s| {
        last_line(s).ends_with("利用開始パスワード (activation password):")
    });
    term.type_text("Wrong#Password");
    term.key("Enter");
    let (rc, out) = term.finish(&marker);
    assert_eq!(rc, 4, "{out}");
    assert!(
        out.contains("wrong activation password; 4 attempts left"),
        "{out}"
    );
    assert!(
        !term.screen().contains("Wrong#Password"),
        "{}",
        term.screen()
    );

    // The right password, with a label.
    let marker = term.start_command(&format!(
        "{} --label 'Hanako bank'",
        cmd(activate(&user_id))
    ));
    term.wait_for(Duration::from_secs(20), |s| {
        last_line(s).ends_with("(activation password):")
            && s.matches("(activation password):").count() >= 2
    });
    term.type_text(PASSWORD);
    term.key("Enter");
    let (rc, out) = term.finish(&marker);
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains("初期設定完了 (setup complete)"), "{out}");
    assert!(out.contains(&format!("ユーザID {user_id}")), "{out}");
    let screen = term.screen();
    assert!(
        !screen.contains(PASSWORD),
        "the password was echoed:\n{screen}"
    );

    // list: the token, waiting for 認証確認.
    let (rc, out) = term.run(&format!("{bin} list"));
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains("Hanako bank"), "{out}");
    assert!(out.contains(&format!("ユーザID {user_id}")), "{out}");
    assert!(out.contains("waiting for 認証確認"), "{out}");

    // code: 8 digits with the countdown; the bank accepts it (認証確認).
    let (rc, out) = term.run(&format!("{bin} code"));
    assert_eq!(rc, 0, "{out}");
    let code = code_in(&out);
    assert_eq!(provider.verify(&user_id, &code), "accepted");
    assert_eq!(provider.state(&user_id), "active");

    // refresh: the app learns it is active.
    let (rc, out) = term.run(&format!("{bin} refresh"));
    assert_eq!(rc, 0, "{out}");
    assert!(
        out.contains("Hanako bank") && out.contains(": active"),
        "{out}"
    );

    // code --watch: the live bar, until Ctrl-C.
    let marker = term.start_command(&format!("{bin} code 'Hanako bank' --watch"));
    term.wait_for(Duration::from_secs(10), |s| {
        let line = last_line(s);
        line.contains("s left") && line.contains('[')
    });
    std::thread::sleep(Duration::from_millis(1200));
    term.key("C-c");
    let (rc, out) = term.finish(&marker);
    assert_eq!(rc, 0, "Ctrl-C ends --watch cleanly: {out}");
    assert!(out.contains("s left"), "{out}");

    // JSON for scripts.
    let (rc, out) = term.run(&format!("{bin} list --json"));
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains("\"status\":\"active\""), "{out}");
    assert!(out.contains("\"label\":\"Hanako bank\""), "{out}");

    // Phone change: the bank revokes; the app learns it on refresh and refuses codes.
    provider.revoke(&user_id);
    let (rc, out) = term.run(&format!("{bin} refresh"));
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains("revoked (失効)"), "{out}");
    let (rc, out) = term.run(&format!("{bin} code"));
    assert_eq!(rc, 4, "{out}");
    assert!(
        out.contains("error: the token was revoked; ask the bank to issue a new token"),
        "{out}"
    );

    // rename, by User ID.
    let (rc, out) = term.run(&format!("{bin} rename {user_id} Work"));
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains("renamed: Work"), "{out}");

    // remove asks first; "n" keeps it, "y" removes it.
    let marker = term.start_command(&format!("{bin} remove Work"));
    term.wait_for(Duration::from_secs(10), |s| last_line(s).ends_with("[y/N]"));
    term.type_text("n");
    term.key("Enter");
    let (rc, out) = term.finish(&marker);
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains("kept Work"), "{out}");
    let marker = term.start_command(&format!("{bin} remove Work"));
    term.wait_for(Duration::from_secs(10), |s| {
        last_line(s).ends_with("[y/N]") && s.matches("[y/N]").count() >= 2
    });
    term.type_text("y");
    term.key("Enter");
    let (rc, out) = term.finish(&marker);
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains("removed Work"), "{out}");

    let (rc, out) = term.run(&format!("{bin} list"));
    assert_eq!(rc, 0, "{out}");
    assert!(out.contains("no tokens on this machine"), "{out}");
    let (rc, out) = term.run(&format!("{bin} code"));
    assert_eq!(rc, 7, "{out}");
    assert!(
        out.contains("error: no tokens on this machine; set one up with `softtoken activate`"),
        "{out}"
    );
}
