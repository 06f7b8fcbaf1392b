//! The progress line while running: rate, completed, failed, p99 so far.
//!
//! Hidden when stderr is not a terminal or with `--quiet`, so logs and CI output stay clean.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::driver::RunState;
use crate::metrics::Outcome;

/// A progress line updated four times a second until dropped or finished.
pub struct Progress {
    bar: ProgressBar,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    /// Starts the progress line (hidden when `quiet` or not a terminal).
    pub fn start(state: Arc<RunState>, length: Duration, quiet: bool) -> Progress {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress {
                bar: ProgressBar::hidden(),
                task: None,
            };
        }
        let bar = ProgressBar::new(length.as_secs().max(1));
        if let Ok(style) =
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len}s {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        let shown = bar.clone();
        let task = tokio::spawn(async move {
            let mut ticker = tokio::time::interval(Duration::from_millis(250));
            loop {
                ticker.tick().await;
                shown.set_position(state.start.elapsed().as_secs());
                shown.set_message(status_line(&state));
            }
        });
        Progress {
            bar,
            task: Some(task),
        }
    }

    /// Clears the line and stops updating.
    pub fn finish(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        self.bar.finish_and_clear();
    }
}

fn status_line(state: &RunState) -> String {
    let started = state.counters.started.load(Ordering::Relaxed);
    let elapsed = state.start.elapsed().as_secs_f64().max(0.001);
    let Ok(metrics) = state.metrics.lock() else {
        return String::new();
    };
    let failed = metrics.outcomes[Outcome::Failed as usize];
    let completed = metrics.outcomes[Outcome::Completed as usize];
    let p99_ms = metrics.e2e_all.value_at_quantile(0.99) as f64 / 1_000.0;
    format!(
        "{:.0}/s sent, {completed} completed, {failed} failed, e2e p99 {p99_ms:.1} ms",
        started as f64 / elapsed
    )
}
