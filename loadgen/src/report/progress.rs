//! The progress line while running: rate, completed, failed, p99 so far.
//!
//! On a terminal, one line redrawn four times a second. Otherwise (CI, a log file) a plain
//! line every `--progress-every` seconds (10 by default), so a long run is never silent until
//! its end. Nothing with `--quiet`.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::drive::wall_clock::RunState;
use crate::observe::metrics::Outcome;

/// A progress line updated four times a second until dropped or finished.
pub struct Progress {
    bar: ProgressBar,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    /// Starts the progress line: redrawn on a terminal, printed every `every` otherwise
    /// (never when `every` is zero), nothing when `quiet`.
    pub fn start(state: Arc<RunState>, length: Duration, quiet: bool, every: Duration) -> Progress {
        let hidden = |task| Progress {
            bar: ProgressBar::hidden(),
            task,
        };
        if quiet {
            return hidden(None);
        }
        if !std::io::stderr().is_terminal() {
            if every.is_zero() {
                return hidden(None);
            }
            return hidden(Some(tokio::spawn(plain_lines(state, length, every))));
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

/// A plain line on stderr every `every`, for output that is not a terminal.
async fn plain_lines(state: Arc<RunState>, length: Duration, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        eprintln!("{}", plain_line(&state, length));
    }
}

fn plain_line(state: &RunState, length: Duration) -> String {
    let elapsed = state.start.elapsed().as_secs();
    format!(
        "progress {elapsed}s/{}s: {}",
        length.as_secs(),
        status_line(state)
    )
}

fn status_line(state: &RunState) -> String {
    let started = state.counters.started.load(Ordering::Relaxed);
    let elapsed = state.start.elapsed().as_secs_f64().max(0.001);
    let Ok(recorder) = state.recorder.lock() else {
        return String::new();
    };
    let metrics = &recorder.metrics;
    let failed = metrics.outcomes[Outcome::Failed as usize];
    let completed = metrics.outcomes[Outcome::Completed as usize];
    let p99_ms = metrics.e2e_all.value_at_quantile(0.99) as f64 / 1_000.0;
    format!(
        "{:.0}/s sent, {completed} completed, {failed} failed, e2e p99 {p99_ms:.1} ms",
        started as f64 / elapsed
    )
}
