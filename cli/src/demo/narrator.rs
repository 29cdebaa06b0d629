//! How the demo speaks: numbered steps in the bank manual's words, the bank's screen drawn as a
//! box, and, on a terminal, pauses for Enter (「次へ」).

use std::io::{BufRead, Write};

/// Indentation of everything under a step title.
const INDENT: &str = "      ";

/// The demo's voice on stdout.
pub struct Narrator {
    interactive: bool,
    step: usize,
    total: usize,
}

impl Narrator {
    /// A narrator for `total` steps; `interactive` pauses between them.
    pub fn new(total: usize, interactive: bool) -> Self {
        Self {
            interactive,
            step: 0,
            total,
        }
    }

    /// Whether the demo pauses and draws live bars.
    pub fn interactive(&self) -> bool {
        self.interactive
    }

    /// Number of the current step.
    pub fn current(&self) -> usize {
        self.step
    }

    /// Starts the next step: `[n/N] title`.
    pub fn step(&mut self, title: &str) {
        self.step += 1;
        println!("\n[{}/{}] {title}", self.step, self.total);
    }

    /// A line of narration under the step.
    pub fn say(&self, line: &str) {
        println!("{INDENT}{line}");
    }

    /// The step's result.
    pub fn ok(&self, line: &str) {
        println!("{INDENT}✓ {line}");
    }

    /// A step that failed.
    pub fn failed(&self, line: &str) {
        println!("{INDENT}✗ {line}");
    }

    /// A screen of the bank's internet banking, as a box of label/value rows.
    pub fn screen(&self, title: &str, rows: &[(&str, String)]) {
        println!("{INDENT}┌─ {title}");
        for (label, value) in rows {
            println!("{INDENT}│ {label}  {value}");
        }
        println!("{INDENT}└─");
    }

    /// On a terminal, waits for Enter (the manual's 「次へ」 button); not after the last step.
    pub fn pause(&self) {
        if !self.interactive || self.step >= self.total {
            return;
        }
        print!("{INDENT}[Enter: 次へ / next] ");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
    }
}
