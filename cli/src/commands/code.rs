//! `softtoken code`: the current code (manual 手順4), once or redrawn each period.

use std::{
    io::IsTerminal,
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use crate::{
    cli::CodeArgs,
    countdown::{self, Next},
    error::CliError,
    output::{CodeJson, print_json},
};

/// Runs the command.
pub fn run(data_dir: &Path, args: &CodeArgs) -> Result<(), CliError> {
    let opened = super::open_existing(data_dir)?.ok_or_else(super::no_tokens)?;
    let core = &opened.core;
    let token = super::find_token(&core.tokens()?, args.token.as_deref())?;
    let fetch = || core.current_code(&token.id).map_err(CliError::from);
    let terminal = std::io::stdout().is_terminal();

    if !args.watch {
        let code = fetch()?;
        if args.json {
            print_json(&CodeJson::new(&token.id, &code));
        } else if terminal {
            println!("{}", countdown::static_line(&code));
        } else {
            // Pipes get the digits alone, like oathtool.
            println!("{}", code.code);
        }
        return Ok(());
    }

    // Ctrl-C ends the watch cleanly (exit 0, the last line left on screen), so a shell
    // running `softtoken code --watch; next-command` goes on to the next command.
    let runtime = crate::app_core::runtime()?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    runtime.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            flag.store(true, Ordering::SeqCst);
        }
    });
    let stopped = || stop.load(Ordering::SeqCst);

    if terminal && !args.json {
        let look = countdown::Look {
            indent: "",
            clear_on_stop: false,
        };
        let result = countdown::live(&look, fetch, |_| {
            if stopped() {
                Next::Stop
            } else {
                Next::Continue
            }
        });
        println!();
        return result.map(drop);
    }
    // Not a terminal: one line per period.
    let mut last_step = None;
    while !stopped() {
        let code = fetch()?;
        if last_step != Some(code.valid_from_unix) {
            last_step = Some(code.valid_from_unix);
            if args.json {
                print_json(&CodeJson::new(&token.id, &code));
            } else {
                println!("{}", code.code);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(
            code.remaining_ms.clamp(50, 200),
        ));
    }
    Ok(())
}
