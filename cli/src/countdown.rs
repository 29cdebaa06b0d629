//! The code with its countdown: a static line for transcripts and pipes, a live indicatif bar
//! on a terminal (the app's countdown ring).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use softtoken_core::OtpCode;

use crate::{error::CliError, output::grouped};

/// Width of the bar, in cells.
const BAR_CELLS: usize = 30;
/// How often the live bar is redrawn.
const TICK: Duration = Duration::from_millis(100);

/// `1234 5678  [██████████░░░░░░░░░░░░░░░░░░░░] 10 s left`: one line, no terminal needed.
pub fn static_line(code: &OtpCode) -> String {
    let period_ms = u64::from(code.period).max(1) * 1000;
    let remaining = code.remaining_ms.min(period_ms);
    let filled = usize::try_from(remaining * BAR_CELLS as u64 / period_ms)
        .unwrap_or(BAR_CELLS)
        .min(BAR_CELLS);
    let empty = BAR_CELLS - filled;
    format!(
        "{}  [{}{}] {} s left",
        grouped(&code.code),
        "█".repeat(filled),
        "░".repeat(empty),
        remaining.div_ceil(1000)
    )
}

/// What the live bar does after each redraw.
pub enum Next {
    /// Keep going.
    Continue,
    /// Stop and leave the last line on screen.
    Stop,
}

/// How the live bar looks and ends.
pub struct Look {
    /// Text before the code (the demo indents it like its narration).
    pub indent: &'static str,
    /// On stop, erase the line the bar is on now. Right when the stop was an Enter key: the
    /// terminal has echoed the newline, the bar was redrawn below its old line, and erasing
    /// that copy leaves the bar as it was when Enter was pressed.
    pub clear_on_stop: bool,
}

/// Shows the code with a bar that empties as the code's time runs out, on stdout, until
/// `after_tick` says stop; returns the code on screen then. `fetch` is called on every tick, so
/// a new code appears the moment the period turns over; a failure stops the bar and is returned.
pub fn live(
    look: &Look,
    mut fetch: impl FnMut() -> Result<OtpCode, CliError>,
    mut after_tick: impl FnMut(&OtpCode) -> Next,
) -> Result<OtpCode, CliError> {
    let first = fetch()?;
    let period_ms = u64::from(first.period).max(1) * 1000;
    let bar = ProgressBar::with_draw_target(Some(period_ms), ProgressDrawTarget::stdout());
    bar.set_style(
        ProgressStyle::with_template(&format!("{}{{prefix}}  [{{bar:30}}] {{msg}}", look.indent))
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("█▉▊▋▌▍▎▏░"),
    );
    let mut code = first;
    loop {
        bar.set_prefix(grouped(&code.code));
        bar.set_position(code.remaining_ms.min(period_ms));
        bar.set_message(format!("{} s left", code.remaining_ms.div_ceil(1000)));
        if let Next::Stop = after_tick(&code) {
            break;
        }
        std::thread::sleep(TICK);
        match fetch() {
            Ok(next) => code = next,
            Err(err) => {
                bar.abandon();
                return Err(err);
            }
        }
    }
    if look.clear_on_stop {
        bar.finish_and_clear();
    } else {
        bar.abandon();
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(remaining_ms: u64) -> OtpCode {
        OtpCode {
            code: "12345678".into(),
            period: 30,
            valid_from_unix: 1_800_000_000,
            remaining_ms,
        }
    }

    #[test]
    fn the_static_bar_empties_with_time() {
        assert_eq!(
            static_line(&code(30_000)),
            format!("1234 5678  [{}] 30 s left", "█".repeat(30))
        );
        assert_eq!(
            static_line(&code(10_000)),
            format!(
                "1234 5678  [{}{}] 10 s left",
                "█".repeat(10),
                "░".repeat(20)
            )
        );
        assert_eq!(
            static_line(&code(1)),
            format!("1234 5678  [{}] 1 s left", "░".repeat(30))
        );
    }
}
