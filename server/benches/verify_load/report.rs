//! Figures: latency percentiles, the log-bucket histogram, the machine's load, the table.

use std::time::Duration;

/// Latencies of one run, sorted.
#[derive(Debug, Default, Clone)]
pub struct Latencies(Vec<Duration>);

impl Latencies {
    pub fn new(mut all: Vec<Duration>) -> Self {
        all.sort_unstable();
        Latencies(all)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Nearest rank: the smallest value with at least `q` of the samples at or below it.
    pub fn at(&self, q: f64) -> Duration {
        if self.is_empty() {
            return Duration::ZERO;
        }
        let sorted = &self.0;
        let rank = (q * sorted.len() as f64).ceil() as usize;
        sorted
            .get(rank.saturating_sub(1).min(sorted.len() - 1))
            .copied()
            .unwrap_or_default()
    }

    /// Counts per bucket of [`BUCKET_BOUNDS_MS`] (the last: above the last bound).
    pub fn histogram(&self) -> Vec<usize> {
        let mut counts = vec![0; BUCKET_BOUNDS_MS.len() + 1];
        for latency in &self.0 {
            let ms = latency.as_secs_f64() * 1000.0;
            let bucket = BUCKET_BOUNDS_MS
                .iter()
                .position(|bound| ms <= *bound)
                .unwrap_or(BUCKET_BOUNDS_MS.len());
            counts[bucket] += 1;
        }
        counts
    }
}

/// Upper bounds of the histogram's buckets, ms: powers of two.
pub const BUCKET_BOUNDS_MS: [f64; 12] = [
    0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 1000.0,
];

/// `/proc/loadavg`'s three averages (`?` where it cannot be read).
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| "?".to_owned())
}

pub fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2}")
    } else {
        format!("{ms:.1}")
    }
}

pub fn rate(count: usize, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 { count as f64 / secs } else { 0.0 }
}

/// One row of the table.
pub struct Row {
    pub backend: String,
    pub table_tokens: u64,
    pub codes: &'static str,
    pub load: String,
    pub requests: usize,
    pub errors: usize,
    pub per_second: f64,
    pub latencies: Latencies,
    pub load_before: String,
    pub load_after: String,
    pub note: String,
}

pub fn print_table(rows: &[Row]) {
    println!(
        "| backend | tokens in table | codes | load | requests | errors | verifications/s | p50 ms | p99 ms | p99.9 ms | max ms | loadavg before → after |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.0} | {} | {} | {} | {} | {} → {}{} |",
            r.backend,
            r.table_tokens,
            r.codes,
            r.load,
            r.requests,
            r.errors,
            r.per_second,
            ms(r.latencies.at(0.50)),
            ms(r.latencies.at(0.99)),
            ms(r.latencies.at(0.999)),
            ms(r.latencies.at(1.0)),
            r.load_before,
            r.load_after,
            if r.note.is_empty() {
                String::new()
            } else {
                format!(" ({})", r.note)
            }
        );
    }
}

/// The histogram of one run, a bar per bucket scaled to the fullest.
pub fn print_histogram(title: &str, latencies: &Latencies) {
    let counts = latencies.histogram();
    let fullest = counts.iter().copied().max().unwrap_or(0).max(1);
    println!();
    println!("{title}: {} requests", latencies.len());
    println!("```");
    let mut lower = 0.0;
    for (index, count) in counts.iter().enumerate() {
        let label = match BUCKET_BOUNDS_MS.get(index) {
            Some(upper) => format!("{lower:>7} – {upper:<6} ms"),
            None => format!("{lower:>7} ms and more "),
        };
        let bar = "#".repeat((count * 50).div_ceil(fullest));
        println!("{label} {count:>8} {bar}");
        if let Some(upper) = BUCKET_BOUNDS_MS.get(index) {
            lower = *upper;
        }
    }
    println!("```");
}
