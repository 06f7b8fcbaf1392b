//! `loadgen run --virtual-time [--check-determinism]`: runs [`crate::drive::virtual_time`], audits the
//! chain, checks from the outside (every order found and terminal), and writes the same report
//! as a real run, marked `clock: virtual`, plus `history.jsonl` (the operation history).

use std::collections::BTreeMap;
use std::io::BufWriter;
use std::path::Path;
use std::time::{Instant, SystemTime};

use anyhow::Context;
use simulator::query;

use crate::drive::runner::{RunOptions, RunOutcome};
use crate::drive::virtual_time::{self, VirtualRun};
use crate::observe::verdict::{OutsideVerdict, audit_verdict, compare_counts};
use crate::plan::scenario::{LoadModel, Scenario};
use crate::report::assemble::{self, Histograms, SendFacts, histograms_of};
use crate::report::model::*;

/// Runs `options.scenario` in virtual time and writes its report.
pub fn run(options: &RunOptions) -> anyhow::Result<RunOutcome> {
    let started_at = SystemTime::now();
    let scenario = crate::drive::runner::prepare(options)?;
    let report_dir = crate::report::create_dir(&options.out, &scenario.name, started_at)?;
    let wall = Instant::now();
    let history_path = report_dir.join("history.jsonl");
    let file = std::fs::File::create(&history_path)
        .with_context(|| format!("creating {}", history_path.display()))?;
    let mut history = BufWriter::new(file);
    let first = virtual_time::run(&scenario, Some(&mut history), None)?;
    std::io::Write::flush(&mut history).context("writing history.jsonl")?;
    let wall_s = wall.elapsed().as_secs_f64();
    let (deterministic, first_difference) = if options.check_determinism {
        check_determinism(&scenario, &first)?
    } else {
        (None, None)
    };
    let (mut report, histograms) = assemble(&scenario, first, wall_s, options)?;
    if let Some(info) = report.virtual_time.as_mut() {
        info.deterministic = deterministic;
        info.first_difference = first_difference;
    }
    report.started_at = humantime::format_rfc3339_seconds(started_at).to_string();
    report.wall_s = wall.elapsed().as_secs_f64();
    report.evaluate(&scenario.thresholds);
    if deterministic == Some(false) {
        report.passed = false;
    }
    let mut files = crate::report::write_run(&report_dir, &report, &histograms, options.quiet)?;
    files.push(history_path);
    if !options.quiet {
        print_virtual(&report);
    }
    Ok(RunOutcome {
        report,
        report_dir,
        files,
    })
}

fn print_virtual(report: &RunReport) {
    let Some(info) = &report.virtual_time else {
        return;
    };
    println!(
        "virtual    {:.1} simulated s in {:.2} wall s ({:.0}x), {} events, log hash {}",
        info.simulated_s, info.wall_s, info.speedup, info.events, info.event_log_hash
    );
    match (info.deterministic, &info.first_difference) {
        (Some(true), _) => println!("           deterministic: a second run gave the same hash"),
        (Some(false), difference) => println!(
            "           NOT deterministic: first difference {}",
            difference.as_deref().unwrap_or("?")
        ),
        (None, _) => {}
    }
    println!("           replay: {}", info.replay);
}

/// Runs the scenario again and compares event logs; on a difference, names the first event.
fn check_determinism(
    scenario: &Scenario,
    first: &VirtualRun,
) -> anyhow::Result<(Option<bool>, Option<String>)> {
    let second = virtual_time::run(scenario, None, None)?;
    if second.log.hash == first.log.hash && second.log.count == first.log.count {
        return Ok((Some(true), None));
    }
    let index = first
        .log
        .hashes
        .iter()
        .zip(&second.log.hashes)
        .position(|(a, b)| a != b)
        .unwrap_or(first.log.hashes.len().min(second.log.hashes.len()));
    let index = u64::try_from(index).unwrap_or(u64::MAX);
    let captured = virtual_time::run(scenario, None, Some(index))?;
    let describe = |run: &VirtualRun| {
        run.log
            .capture
            .as_ref()
            .and_then(|(_, text)| text.clone())
            .unwrap_or_else(|| "(none)".into())
    };
    let text = format!("event #{index}: first run `{}`", describe(&captured));
    Ok((Some(false), Some(text)))
}

fn assemble(
    scenario: &Scenario,
    mut run: VirtualRun,
    wall_s: f64,
    options: &RunOptions,
) -> anyhow::Result<(RunReport, Histograms)> {
    let plan = &scenario.load;
    let load_s = match &plan.model {
        LoadModel::Open { schedule } => schedule.duration().as_secs_f64(),
        LoadModel::Closed { duration, .. } => duration.as_secs_f64(),
    };
    let outside = outside_checks(&run);
    let sends = SendFacts {
        started: run.sends,
        last_send_s: run.last_send_s,
        load_s,
        track: "virtual",
        ..SendFacts::default()
    };
    let open_at_end: u64 = run.open_at_end.values().sum();
    let events = EventsInfo {
        received: run.log.count,
        terminal_expected: run.tracked,
        terminal_seen: run.tracked.saturating_sub(open_at_end),
        ..EventsInfo::default()
    };
    let metrics = &mut run.metrics;
    let common = assemble::assemble(plan, &sends, metrics, run.open_at_end.clone(), events);
    let audit = audit_verdict(simulator::audit::AuditRead::from(&run.chain.audit()));
    let (counts_agree, count_differences) = compare_counts(&audit, &run.outcomes_all);
    let verdict = VerdictInfo {
        drained: open_at_end == 0,
        drain_wait_s: 0.0,
        audit,
        outside,
        counts_agree,
        count_differences,
        processes: Vec::new(),
        cross: None,
    };
    let histograms = histograms_of(metrics);
    let replay = replay_command(scenario, options);
    let report = RunReport {
        clock: "virtual".into(),
        scenario: ScenarioInfo {
            name: scenario.name.clone(),
            description: scenario.description.clone(),
            file: scenario.file.clone(),
            seed: scenario.seed,
        },
        target: TargetInfo {
            url: "virtual-time (in-process)".into(),
            embedded: true,
            not_applied: Vec::new(),
        },
        verdict,
        virtual_time: Some(VirtualInfo {
            simulated_s: run.simulated_s,
            wall_s,
            speedup: run.simulated_s / wall_s.max(1e-9),
            messages: run.chain.handled,
            events: run.log.count,
            event_log_hash: format!("{:016x}", run.log.hash),
            deterministic: None,
            first_difference: None,
            replay,
        }),
        chain: ChainInfo {
            retries: retries_of(&run.chain),
            ..ChainInfo::default()
        },
        faults: run.faults.clone(),
        ..common
    };
    Ok((report, histograms))
}

/// The retries each element-calling layer's policy sent.
fn retries_of(
    chain: &simulator::runtime::virtual_time::VirtualChain,
) -> BTreeMap<String, RetryInfo> {
    let info = |r: simulator::layers::common::RetryCounts| RetryInfo {
        forward: r.forward,
        compensation: r.compensation,
        forward_exhausted: r.forward_exhausted,
    };
    BTreeMap::from([
        (
            "activation".to_string(),
            info(query::activation_retries(&chain.layers.activation)),
        ),
        (
            "rom".to_string(),
            info(query::resource_order_retries(&chain.layers.rom)),
        ),
    ])
}

/// Every order loadgen followed is in the chain and terminal; no resource is left reserved.
/// Orders the simulator's retention bound evicted after they ended are not lost: an order is
/// lost when loadgen still follows it and the chain no longer knows it.
fn outside_checks(run: &VirtualRun) -> OutsideVerdict {
    let orders = query::product_orders(&run.chain.layers.com);
    let not_terminal = orders
        .values()
        .filter(|order| !order.state.is_terminal())
        .count() as u64;
    let mut resources_by_status = std::collections::BTreeMap::new();
    let resources = query::resources(&run.chain.layers.inventory);
    for resource in resources.values() {
        let status = format!("{:?}", resource.status).to_lowercase();
        *resources_by_status.entry(status).or_insert(0) += 1;
    }
    let leaks = resources_by_status.get("reserved").copied().unwrap_or(0);
    OutsideVerdict {
        orders_checked: orders.len() as u64,
        lost_orders: run.open_at_end.get("unknown").copied().unwrap_or(0),
        not_terminal,
        inventory_checked: true,
        resources_scanned: resources.len() as u64,
        resources_by_status,
        leaks,
        ..OutsideVerdict::default()
    }
}

fn replay_command(scenario: &Scenario, options: &RunOptions) -> String {
    let file = Path::new(&options.scenario).display();
    let vary = if scenario.vary_faults {
        " --vary-faults"
    } else {
        ""
    };
    format!(
        "cargo run --release -p loadgen -- run --virtual-time{vary} --seed {} {file}",
        scenario.seed
    )
}
