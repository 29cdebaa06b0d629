//! `softtoken transactions …` (取引認証): the transfers the bank registered for a token, shown
//! as the provider's MAC proved them; approve or reject one; its 8-digit code; and the offline
//! code for a payee's account.
//!
//! Every command that acts on a transfer first fetches and verifies the list in the same
//! process (the core acts only on transfers of a verified list) and prints the transfer it acts
//! on, so what is approved is what was shown.

use std::{
    io::{BufRead, IsTerminal, Write},
    path::Path,
};

use serde::Serialize;
use softtoken_core::{
    OtpCode, SoftToken, TokenInfo,
    transaction::{DecisionOutcome, PendingTransaction},
};

use crate::{
    cli::{TransactionsCommand, TxCodeArgs, TxDecideArgs, TxListArgs, TxOfflineArgs},
    error::{CliError, Exit},
    output::{CodeJson, grouped, print_json},
};

/// Runs one of the subcommands.
pub fn run(data_dir: &Path, command: &TransactionsCommand) -> Result<(), CliError> {
    match command {
        TransactionsCommand::List(args) => list(data_dir, args),
        TransactionsCommand::Approve(args) => decide(data_dir, args, Choice::Approve),
        TransactionsCommand::Reject(args) => decide(data_dir, args, Choice::Reject),
        TransactionsCommand::Code(args) => code(data_dir, args),
        TransactionsCommand::Offline(args) => offline(data_dir, args),
    }
}

/// The token a subcommand works on, with a core on its provider.
fn open(data_dir: &Path, token: Option<&str>) -> Result<(SoftToken, TokenInfo), CliError> {
    let opened = super::open_existing(data_dir)?.ok_or_else(super::no_tokens)?;
    let token = super::find_token(&opened.core.tokens()?, token)?;
    let core = super::core_for(&opened, &token)?;
    Ok((core, token))
}

/// The verified pending list.
fn fetch(core: &SoftToken, token: &TokenInfo) -> Result<Vec<PendingTransaction>, CliError> {
    let runtime = crate::app_core::runtime()?;
    Ok(runtime.block_on(core.pending_transactions(&token.id))?)
}

fn list(data_dir: &Path, args: &TxListArgs) -> Result<(), CliError> {
    let (core, token) = open(data_dir, args.token.as_deref())?;
    let pending = fetch(&core, &token)?;
    if args.json {
        let view: Vec<TransactionJson<'_>> = pending.iter().map(TransactionJson::from).collect();
        print_json(&view);
    } else if pending.is_empty() {
        println!("no transfers waiting for your decision");
    } else {
        for transaction in &pending {
            print!("{}", card(transaction));
        }
    }
    Ok(())
}

/// Approve or reject.
#[derive(Clone, Copy)]
enum Choice {
    Approve,
    Reject,
}

fn decide(data_dir: &Path, args: &TxDecideArgs, choice: Choice) -> Result<(), CliError> {
    let (core, token) = open(data_dir, args.token.as_deref())?;
    let transaction = find(&fetch(&core, &token)?, &args.transaction)?;
    if !args.json {
        print!("{}", card(&transaction));
    }
    if !args.yes && !args.json && !confirm(choice)? {
        println!("nothing sent");
        return Ok(());
    }
    let runtime = crate::app_core::runtime()?;
    let outcome = match choice {
        Choice::Approve => runtime.block_on(core.approve_transaction(&token.id, &transaction.id)),
        Choice::Reject => runtime.block_on(core.reject_transaction(&token.id, &transaction.id)),
    }?;
    let state = match outcome {
        DecisionOutcome::Approved => "approved",
        DecisionOutcome::Rejected => "rejected",
    };
    if args.json {
        print_json(&DecisionJson {
            transaction: &transaction.id,
            state,
        });
    } else {
        match outcome {
            DecisionOutcome::Approved => println!("approved: the bank may now make the transfer"),
            DecisionOutcome::Rejected => {
                println!("rejected: the bank is told you did not make this transfer")
            }
        }
    }
    Ok(())
}

fn code(data_dir: &Path, args: &TxCodeArgs) -> Result<(), CliError> {
    let (core, token) = open(data_dir, args.token.as_deref())?;
    let transaction = find(&fetch(&core, &token)?, &args.transaction)?;
    let code = core.transaction_code(&token.id, &transaction.id)?;
    show_code(&token, &code, args.json, Some(&transaction));
    Ok(())
}

fn offline(data_dir: &Path, args: &TxOfflineArgs) -> Result<(), CliError> {
    let opened = super::open_existing(data_dir)?.ok_or_else(super::no_tokens)?;
    let token = super::find_token(&opened.core.tokens()?, args.token.as_deref())?;
    let code = opened
        .core
        .offline_code(&token.id, &args.account, args.amount.as_deref())?;
    show_code(&token, &code, args.json, None);
    Ok(())
}

/// The transaction the user named: its id, or a unique start of it.
fn find(pending: &[PendingTransaction], wanted: &str) -> Result<PendingTransaction, CliError> {
    let wanted = wanted.trim();
    let matching: Vec<&PendingTransaction> = pending
        .iter()
        .filter(|t| t.id == wanted || (!wanted.is_empty() && t.id.starts_with(wanted)))
        .collect();
    match matching.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(CliError::new(
            Exit::NotFound,
            format!("no pending transfer \"{wanted}\" for this token"),
        )
        .next("see `softtoken transactions list`")),
        several => Err(CliError::new(
            Exit::Usage,
            format!("\"{wanted}\" matches {} transfers", several.len()),
        )
        .next("use the full id from `softtoken transactions list`")),
    }
}

/// Asks on the terminal; refuses to guess without one.
fn confirm(choice: Choice) -> Result<bool, CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(
            CliError::new(Exit::Usage, "no terminal to ask on").next("add --yes to decide at once")
        );
    }
    let question = match choice {
        Choice::Approve => "approve this transfer? [y/N] ",
        Choice::Reject => "reject this transfer (you did not make it)? [y/N] ",
    };
    print!("{question}");
    // A failed flush only delays the prompt; the answer is read either way.
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::new(Exit::Failure, format!("cannot read the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// A transfer as the user must check it: every digit of the account, the name, the amount.
fn card(t: &PendingTransaction) -> String {
    let mut out = format!(
        "振込 {}\n  振込先 {} {}  {}\n  受取人 {}\n  金額   {}\n",
        t.id,
        t.bank_code,
        t.branch_code,
        t.account_line(),
        t.payee_name,
        t.amount_en_suffix(),
    );
    if let Some(reference) = &t.reference {
        out.push_str(&format!("  摘要   {reference}\n"));
    }
    out
}

fn show_code(
    token: &TokenInfo,
    code: &OtpCode,
    json: bool,
    transaction: Option<&PendingTransaction>,
) {
    if json {
        print_json(&CodeJson::new(&token.id, code));
    } else {
        if let Some(transaction) = transaction {
            print!("{}", card(transaction));
        }
        println!(
            "{}  (valid {} s more)",
            grouped(&code.code),
            code.remaining_ms.div_ceil(1000)
        );
    }
}

/// A pending transfer as JSON.
#[derive(Debug, Serialize)]
struct TransactionJson<'a> {
    id: &'a str,
    bank_code: &'a str,
    branch_code: &'a str,
    account_type: &'static str,
    account_number: &'a str,
    payee_name: &'a str,
    amount_yen: u64,
    reference: Option<&'a str>,
    expires_at_ms: u64,
}

impl<'a> From<&'a PendingTransaction> for TransactionJson<'a> {
    fn from(t: &'a PendingTransaction) -> Self {
        TransactionJson {
            id: &t.id,
            bank_code: &t.bank_code,
            branch_code: &t.branch_code,
            account_type: match t.account_kind {
                softtoken_core::transaction::AccountKind::Ordinary => "ordinary",
                softtoken_core::transaction::AccountKind::Checking => "checking",
                softtoken_core::transaction::AccountKind::Savings => "savings",
            },
            account_number: &t.account_number,
            payee_name: &t.payee_name,
            amount_yen: t.amount_yen,
            reference: t.reference.as_deref(),
            expires_at_ms: t.expires_at_ms,
        }
    }
}

/// A decision as JSON.
#[derive(Debug, Serialize)]
struct DecisionJson<'a> {
    transaction: &'a str,
    state: &'static str,
}
