//! The demo's 取引認証 steps (issue 13), after the first 認証確認: a transfer the user approves
//! on the phone; a phishing relay that changed the payee's account, which the phone shows and
//! the user rejects, so the bank refuses the transfer; and the offline code, which verifies
//! for the account the user typed and not for a changed one.

use softtoken_core::transaction::{DecisionOutcome, PendingTransaction};
use softtoken_protocol::{transaction::TransactionState, wire::VerifyResult};
use softtoken_testkit::fixtures::transfer;

use super::{Demo, Step, World, wire_name};
use crate::{demo::narrator::Narrator, error::CliError, output::grouped};

/// The account the user means to pay: 0001 (bank) 101 (branch) 普通 1234567.
const INTENDED_ACCOUNT: &str = "1234567";
/// The account a phishing relay puts in its place.
const RELAY_ACCOUNT: &str = "7654321";
/// The amount, in yen.
const AMOUNT_YEN: u64 = 50_000;

impl Demo<'_> {
    /// 取引認証: the bank registers the transfer; the phone shows payee and amount; the user
    /// approves with one tap; the bank reads `approved` (long poll) and makes the transfer.
    pub(super) fn approve_transfer(
        &self,
        n: &mut Narrator,
        world: &World,
        phone: usize,
        user_id: &str,
    ) -> Step {
        n.step("取引認証 — the bank asks the phone to confirm a transfer; the user approves");
        let registered = self.register(n, world, user_id, INTENDED_ACCOUNT)?;
        let shown = self.phone_shows(n, phone, registered.id.as_str())?;
        if shown.account_number != INTENDED_ACCOUNT {
            return Err(format!("the phone shows account {}", shown.account_number));
        }
        n.say("the user checks the account and amount against what they typed: they match");
        self.tap(n, world, phone, &shown.id, &registered.id, true)?;
        n.ok("approved: the bank makes the transfer");
        n.pause();
        Ok(())
    }

    /// Real-time phishing: a fake site relays the user's transfer but changes the account
    /// number before the bank registers it. The phone shows the bank's registered account,
    /// which is not the user's; the user rejects, and the bank refuses the transfer.
    pub(super) fn phishing_rejected(
        &self,
        n: &mut Narrator,
        world: &World,
        phone: usize,
        user_id: &str,
    ) -> Step {
        n.step("フィッシング — a relay changes the payee's account; the phone shows it; rejected");
        n.say(&format!(
            "the user types account {INTENDED_ACCOUNT} on a fake site, which relays the transfer \
             to the bank with account {RELAY_ACCOUNT}"
        ));
        let registered = self.register(n, world, user_id, RELAY_ACCOUNT)?;
        let shown = self.phone_shows(n, phone, registered.id.as_str())?;
        if shown.account_number != RELAY_ACCOUNT {
            return Err(format!(
                "the phone shows account {}, not the account the bank registered",
                shown.account_number
            ));
        }
        n.say(&format!(
            "the phone shows {}: not the {INTENDED_ACCOUNT} the user typed",
            shown.account_line()
        ));
        self.tap(n, world, phone, &shown.id, &registered.id, false)?;
        n.ok("rejected: the bank refuses the transfer and warns the customer");
        n.pause();
        Ok(())
    }

    /// 振込先専用ワンタイムパスワード: the user types the account and amount into the app; the
    /// code verifies for them at the bank, and not for a relay's changed account.
    pub(super) fn offline_code(
        &self,
        n: &mut Narrator,
        world: &World,
        phone: usize,
        user_id: &str,
    ) -> Step {
        n.step("振込先専用ワンタイムパスワード — an offline code bound to the account and amount");
        let p = self.phone(phone)?;
        let id = p.token_id.as_deref().ok_or("no token on this phone")?;
        // Typed the way people type: full-width digits, the amount with a comma and 円.
        let typed_account = super::full_width_spaced(INTENDED_ACCOUNT);
        let code = p
            .core
            .offline_code(id, &typed_account, Some("50,000円"))
            .map_err(|e| CliError::from(e).render())?;
        let typed = grouped(&code.code);
        n.say(&format!(
            "the user types account {typed_account} and 50,000円 into the app: it shows {typed}"
        ));
        let relayed = self
            .runtime
            .block_on(
                world
                    .bank
                    .verify_challenge(user_id, RELAY_ACCOUNT, Some(AMOUNT_YEN), &typed),
            )
            .map_err(|e| e.to_string())?;
        n.say(&format!(
            "a relay sends the code with account {RELAY_ACCOUNT}: bank → provider → {}",
            wire_name(&relayed.result)
        ));
        if relayed.result != VerifyResult::Rejected {
            return Err(format!(
                "the code verified for a changed account: {}",
                wire_name(&relayed.result)
            ));
        }
        let genuine = self
            .runtime
            .block_on(world.bank.verify_challenge(
                user_id,
                INTENDED_ACCOUNT,
                Some(AMOUNT_YEN),
                &typed,
            ))
            .map_err(|e| e.to_string())?;
        n.say(&format!(
            "the bank's own page sends it with account {INTENDED_ACCOUNT}: → {}",
            wire_name(&genuine.result)
        ));
        if genuine.result != VerifyResult::Accepted {
            return Err(format!(
                "the code did not verify for its account: {}",
                wire_name(&genuine.result)
            ));
        }
        n.ok("the code is good only for the account and amount the user typed");
        n.pause();
        Ok(())
    }

    /// The bank registers a transfer to `account_number`.
    fn register(
        &self,
        n: &mut Narrator,
        world: &World,
        user_id: &str,
        account_number: &str,
    ) -> Step<softtoken_protocol::wire::TransactionDetails> {
        let registered = self
            .runtime
            .block_on(
                world
                    .bank
                    .register_transaction(user_id, &transfer(account_number, AMOUNT_YEN)),
            )
            .map_err(|e| e.to_string())?;
        n.say(&format!(
            "bank → provider: register a transfer of {} to 0001-101 普通 {account_number} → {}",
            softtoken_core::transaction::format_en_suffix(AMOUNT_YEN),
            wire_name(&registered.state)
        ));
        Ok(registered)
    }

    /// The phone fetches its pending transfers (the list's MAC verified) and shows this one.
    fn phone_shows(
        &self,
        n: &mut Narrator,
        phone: usize,
        transaction_id: &str,
    ) -> Step<PendingTransaction> {
        let p = self.phone(phone)?;
        let id = p.token_id.as_deref().ok_or("no token on this phone")?;
        let pending = self
            .runtime
            .block_on(p.core.pending_transactions(id))
            .map_err(|e| CliError::from(e).render())?;
        let shown = pending
            .into_iter()
            .find(|t| t.id == transaction_id)
            .ok_or("the phone does not list the registered transfer")?;
        n.screen(
            "取引内容の確認 (the phone)",
            &[
                (
                    "振込先",
                    format!("{} {}", shown.bank_code, shown.branch_code),
                ),
                ("口座", shown.account_line()),
                ("受取人", shown.payee_name.clone()),
                ("金額", shown.amount_yen_sign()),
                ("摘要", shown.reference.clone().unwrap_or_default()),
            ],
        );
        Ok(shown)
    }

    /// The user taps approve or reject on the phone; the bank then reads that very outcome.
    fn tap(
        &self,
        n: &mut Narrator,
        world: &World,
        phone: usize,
        shown_id: &str,
        registered_id: &softtoken_protocol::transaction::TransactionId,
        approve: bool,
    ) -> Step {
        let (said, expected_outcome, expected_state) = if approve {
            (
                "the user taps [承認] (approve): the app sends the 署名値 over this exact transfer",
                DecisionOutcome::Approved,
                TransactionState::Approved,
            )
        } else {
            (
                "the user taps [拒否] (reject): \"I did not make this transfer\"",
                DecisionOutcome::Rejected,
                TransactionState::Rejected,
            )
        };
        let outcome = self.decide(phone, shown_id, approve)?;
        n.say(said);
        if outcome != expected_outcome {
            return Err(format!("the decision came back {outcome:?}"));
        }
        let state = self.bank_reads(n, world, registered_id)?;
        if state != expected_state {
            return Err(format!("the bank reads {}", wire_name(&state)));
        }
        Ok(())
    }

    fn decide(&self, phone: usize, transaction_id: &str, approve: bool) -> Step<DecisionOutcome> {
        let p = self.phone(phone)?;
        let id = p.token_id.as_deref().ok_or("no token on this phone")?;
        let decided = if approve {
            self.runtime
                .block_on(p.core.approve_transaction(id, transaction_id))
        } else {
            self.runtime
                .block_on(p.core.reject_transaction(id, transaction_id))
        };
        decided.map_err(|e| CliError::from(e).render())
    }

    /// The bank reads the outcome (a long poll that returns once the phone has decided).
    fn bank_reads(
        &self,
        n: &mut Narrator,
        world: &World,
        transaction_id: &softtoken_protocol::transaction::TransactionId,
    ) -> Step<TransactionState> {
        let details = self
            .runtime
            .block_on(world.bank.transaction(transaction_id, 5))
            .map_err(|e| e.to_string())?;
        n.say(&format!(
            "bank → provider: read the transfer → {}",
            wire_name(&details.state)
        ));
        Ok(details.state)
    }
}
