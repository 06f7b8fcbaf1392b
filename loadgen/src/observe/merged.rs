//! One verdict from the processes of a split chain: each process's own audit (which runs
//! only the checks its one layer allows and lists the rest as not checked) merged with the
//! [`cross`](super::cross) checks, which stand in for the audit's `leaked_resource` and
//! `ghost_resource`. A check that neither a process nor the cross checks made stays
//! not checked in the merged verdict: no process's silence passes it.

use std::time::Duration;

use serde::Serialize;

use super::cross::CrossVerdict;
use super::processes::Process;
use crate::drive::client::TmfClient;
use crate::observe::verdict::{AuditVerdict, EXAMPLES_MAX, audit_verdict};

/// One process's own audit.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ProcessVerdict {
    /// Its role.
    pub role: String,
    /// Its base URL.
    pub url: String,
    /// What its `/admin/audit` said (its body left out: the merged verdict keeps the
    /// target's order counts).
    pub audit: AuditVerdict,
}

/// Asks every process for its audit, one after the other; only the first's (the target's)
/// body is kept, for [`merge`].
pub async fn audit_each(processes: &[Process], timeout: Duration) -> Vec<ProcessVerdict> {
    let mut verdicts = Vec::with_capacity(processes.len());
    for (index, process) in processes.iter().enumerate() {
        let answer = match TmfClient::new(&process.url, timeout) {
            Ok(client) => client.audit().await.map_err(|e| e.to_string()),
            Err(error) => Err(error.to_string()),
        };
        let audit = match answer {
            Ok(body) => {
                let audit = audit_verdict(body);
                match index {
                    0 => audit,
                    _ => AuditVerdict {
                        body: None,
                        ..audit
                    },
                }
            }
            Err(error) => AuditVerdict {
                error: Some(error),
                ..AuditVerdict::default()
            },
        };
        verdicts.push(ProcessVerdict {
            role: process.role.clone(),
            url: process.url.clone(),
            audit,
        });
    }
    verdicts
}

/// The merged verdict, with the first process's (the target's) body: its order counts.
pub fn merge(processes: &[ProcessVerdict], cross: &CrossVerdict) -> AuditVerdict {
    let body = processes.first().and_then(|p| p.audit.body.clone());
    let audits = || processes.iter().map(|process| &process.audit);
    let reachable = !processes.is_empty() && audits().all(|audit| audit.reachable);
    let ok =
        reachable.then(|| audits().all(|audit| audit.ok == Some(true)) && cross.violations() == 0);
    let mut summary: Vec<String> = processes
        .iter()
        .flat_map(|p| {
            p.audit
                .summary
                .iter()
                .map(move |line| format!("{}: {line}", p.role))
        })
        .collect();
    summary.extend(
        cross
            .examples
            .iter()
            .map(|e| format!("across processes: {e}")),
    );
    summary.truncate(EXAMPLES_MAX);
    let mut not_checked: Vec<String> = Vec::new();
    for check in audits().flat_map(|audit| audit.not_checked.iter()) {
        let covered = cross.made(check)
            || cross
                .not_checked
                .iter()
                .any(|c| c.starts_with(check.as_str()));
        if !covered && !not_checked.contains(check) {
            not_checked.push(check.clone());
        }
    }
    not_checked.extend(cross.not_checked.iter().cloned());
    let errors: Vec<String> = processes
        .iter()
        .filter_map(|p| {
            p.audit
                .error
                .as_ref()
                .map(|e| format!("{} at {}: {e}", p.role, p.url))
        })
        .collect();
    AuditVerdict {
        reachable,
        ok,
        findings: audits().map(|audit| audit.findings).sum::<u64>() + cross.violations(),
        leaks: audits().map(|audit| audit.leaks).sum::<u64>()
            + cross.checks.get("leaked_resource").copied().unwrap_or(0),
        summary,
        not_checked,
        error: (!errors.is_empty()).then(|| errors.join("; ")),
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(role: &str, not_checked: &[&str], findings: u64) -> ProcessVerdict {
        ProcessVerdict {
            role: role.into(),
            url: format!("http://{role}"),
            audit: AuditVerdict {
                reachable: true,
                ok: Some(findings == 0),
                findings,
                not_checked: not_checked.iter().map(|c| c.to_string()).collect(),
                ..AuditVerdict::default()
            },
        }
    }

    #[test]
    fn cross_checks_stand_in_for_the_checks_no_process_could_run() {
        let processes = [
            process(
                "rom",
                &["leaked_resource", "ghost_resource", "cancel_applied_once"],
                0,
            ),
            process("network", &["leaked_resource", "ghost_resource"], 0),
        ];
        let mut cross = CrossVerdict::default();
        cross.checks.insert("leaked_resource".into(), 2);
        cross.checks.insert("ghost_resource".into(), 0);
        let merged = merge(&processes, &cross);
        assert_eq!(merged.not_checked, ["cancel_applied_once"]);
        assert_eq!(
            (merged.findings, merged.leaks, merged.ok),
            (2, 2, Some(false))
        );
    }

    #[test]
    fn a_silent_process_leaves_the_merged_audit_unreachable() {
        let mut down = process("som", &[], 0);
        down.audit = AuditVerdict {
            error: Some("connect: refused".into()),
            ..AuditVerdict::default()
        };
        let merged = merge(&[process("com", &[], 0), down], &CrossVerdict::default());
        assert!(!merged.reachable);
        assert_eq!(merged.ok, None);
        assert!(
            merged
                .error
                .as_deref()
                .is_some_and(|e| e.starts_with("som at http://som"))
        );
    }

    #[test]
    fn a_cross_check_not_made_says_why_instead_of_the_bare_name() {
        let processes = [process("rom", &["leaked_resource"], 0)];
        let cross = CrossVerdict {
            not_checked: vec!["leaked_resource: no reachable network process".into()],
            ..CrossVerdict::default()
        };
        let merged = merge(&processes, &cross);
        assert_eq!(
            merged.not_checked,
            ["leaked_resource: no reachable network process"]
        );
    }
}
