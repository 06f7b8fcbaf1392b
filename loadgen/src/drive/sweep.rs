//! `loadgen sweep --virtual-time --seeds A..B SCENARIO`: the scenario in virtual time once per
//! seed, listing the seeds whose run failed the audit or left orders open, each with the
//! command that replays it exactly.

use std::ops::RangeInclusive;
use std::path::Path;

use crate::drive::virtual_time;
use crate::plan::scenario;

/// One seed that failed.
#[derive(Clone, Debug, PartialEq)]
pub struct FailedSeed {
    /// The seed.
    pub seed: u64,
    /// What failed (the audit's findings, orders left open).
    pub why: String,
    /// The command that replays the run.
    pub replay: String,
}

/// A sweep's result.
#[derive(Clone, Debug, Default)]
pub struct SweepOutcome {
    /// Seeds run.
    pub seeds: u64,
    /// Seeds that failed.
    pub failed: Vec<FailedSeed>,
    /// Orders driven in all.
    pub orders: u64,
}

/// Parses `A..B` or `A..=B` (inclusive) or a single seed.
pub fn parse_seeds(text: &str) -> Result<RangeInclusive<u64>, String> {
    let bad = || format!("`{text}` is not a seed range like 1..500");
    let (start, end) = match text.split_once("..") {
        Some((start, end)) => (start, end.trim_start_matches('=')),
        None => (text, text),
    };
    let start: u64 = start.trim().parse().map_err(|_| bad())?;
    let end: u64 = end.trim().parse().map_err(|_| bad())?;
    if end < start {
        return Err(bad());
    }
    Ok(start..=end)
}

/// Runs the scenario at `path` once per seed in virtual time.
pub fn sweep(
    path: &Path,
    seeds: RangeInclusive<u64>,
    mut progress: impl FnMut(u64, bool),
) -> anyhow::Result<SweepOutcome> {
    let mut scenario = scenario::load(path)?;
    // A sweep explores the fault knobs the scenario asks to vary, as well as the seed.
    scenario.vary_faults = true;
    let varies = scenario.faults.iter().any(|fault| fault.vary.is_some());
    let vary_flag = if varies { " --vary-faults" } else { "" };
    let mut outcome = SweepOutcome::default();
    for seed in seeds {
        scenario.seed = seed;
        let run = virtual_time::run(&scenario, None, None)?;
        let audit = run.chain.audit();
        let open: u64 = run.open_at_end.values().sum();
        outcome.seeds += 1;
        outcome.orders += run.tracked;
        let ok = audit.ok && open == 0;
        progress(seed, ok);
        if !ok {
            let findings: Vec<String> = audit
                .findings
                .iter()
                .filter(|finding| finding.count > 0)
                .map(|finding| format!("{} {}", finding.check, finding.count))
                .collect();
            let why = format!("audit: [{}]; open at end: {open}", findings.join(", "));
            let replay = format!(
                "cargo run --release -p loadgen -- run --virtual-time{vary_flag} --seed {seed} {}",
                path.display()
            );
            outcome.failed.push(FailedSeed { seed, why, replay });
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges_parse() {
        assert_eq!(parse_seeds("1..500"), Ok(1..=500));
        assert_eq!(parse_seeds("3..=4"), Ok(3..=4));
        assert_eq!(parse_seeds("7"), Ok(7..=7));
        for bad in ["", "a..b", "5..1", "1..", "..3"] {
            assert!(parse_seeds(bad).is_err(), "{bad}");
        }
    }
}
