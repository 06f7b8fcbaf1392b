//! Checks across the processes of a split chain, which no one process's audit can make
//! because each holds one layer:
//!
//! - `leaked_resource`: an allocation the network holds that no resource of ROM's TMF639
//!   inventory in use (`reserved` or `available`) names;
//! - `ghost_resource`: a resource of ROM's inventory in use whose allocation the network does
//!   not hold;
//! - `orphan_configuration`: a service configured on an element that TMF640 does not have
//!   `active`;
//! - `activation_disagreement`: an `active` TMF640 service that no resource of ROM's inventory
//!   in service names, or one named that is not `active`.
//!
//! They compare settled stores, so they run only after a full drain; each listing is read
//! in pages up to [`LISTED_MAX`] entries, and a check whose listing could not be read whole
//! is reported not checked, with why.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use simulator::runtime::transport::wire::{
    ALLOCATIONS_PATH, AllocationWire, CONFIGURATIONS_PATH, ConfigurationWire,
};

use super::processes::{Process, with_role};
use crate::drive::client::{RESOURCE_INVENTORY, SERVICE_ACTIVATION, TmfClient};

/// The most entries read from one listing.
pub const LISTED_MAX: usize = 200_000;
/// Examples kept.
pub const EXAMPLES_MAX: usize = 10;
/// Entries asked per page.
const PAGE: usize = 1_000;

/// The checks [`check`] makes, by name.
pub const CHECKS: [&str; 4] = [
    "leaked_resource",
    "ghost_resource",
    "orphan_configuration",
    "activation_disagreement",
];

/// What the cross-process checks found.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct CrossVerdict {
    /// Each check made, with its count of violations.
    pub checks: BTreeMap<String, u64>,
    /// Each check not made, with why (`check: reason`).
    pub not_checked: Vec<String>,
    /// Allocations the network holds.
    pub allocations: Option<u64>,
    /// Resources of ROM's inventory in use.
    pub resources_in_use: Option<u64>,
    /// Services configured on elements.
    pub configurations: Option<u64>,
    /// `active` TMF640 services.
    pub active_services: Option<u64>,
    /// The first violations, as sentences.
    pub examples: Vec<String>,
}

impl CrossVerdict {
    /// Violations of every check made.
    pub fn violations(&self) -> u64 {
        self.checks.values().sum()
    }

    /// Whether `check` was made.
    pub fn made(&self, check: &str) -> bool {
        self.checks.contains_key(check)
    }

    fn add(&mut self, check: &str, example: String) {
        *self.checks.entry(check.to_string()).or_insert(0) += 1;
        if self.examples.len() < EXAMPLES_MAX {
            self.examples.push(format!("{check}: {example}"));
        }
    }

    fn skip(&mut self, checks: &[&str], why: &str) {
        for check in checks {
            self.not_checked.push(format!("{check}: {why}"));
        }
    }
}

/// What ROM's TMF639 inventory says: allocations of resources in use, and the TMF640
/// services named by resources in service.
#[derive(Debug, Default)]
pub struct RomView {
    /// `AL-n` of every resource `reserved` or `available`.
    pub in_use: BTreeSet<String>,
    /// `ACT-n` named (role `activation`) by a resource `available`.
    pub activations: BTreeSet<String>,
}

impl RomView {
    /// Reads one TMF639 resource.
    pub fn add(&mut self, resource: &Value) {
        let status = resource.get("resourceStatus").and_then(Value::as_str);
        let in_use = matches!(status, Some("reserved" | "available"));
        let related = resource.get("relatedEntity").and_then(Value::as_array);
        for entity in related.into_iter().flatten() {
            let id = entity.get("id").and_then(Value::as_str);
            match (entity.get("role").and_then(Value::as_str), id) {
                (Some("allocation"), Some(id)) if in_use => {
                    self.in_use.insert(id.to_string());
                }
                (Some("activation"), Some(id)) if status == Some("available") => {
                    self.activations.insert(id.to_string());
                }
                _ => {}
            }
        }
    }
}

/// The stores the checks compare, as read.
#[derive(Debug, Default)]
pub struct Listings {
    /// `AL-n` the network holds.
    pub allocations: Option<BTreeSet<String>>,
    /// `ACT-n` configured on elements.
    pub configurations: Option<BTreeSet<String>>,
    /// ROM's inventory.
    pub rom: Option<RomView>,
    /// `ACT-n` `active` in TMF640.
    pub active: Option<BTreeSet<String>>,
}

/// Compares `listings`; a check whose listings are missing is not checked, with `why`.
pub fn compare(listings: &Listings, why_missing: &BTreeMap<&str, String>) -> CrossVerdict {
    let mut verdict = CrossVerdict {
        allocations: listings.allocations.as_ref().map(|s| s.len() as u64),
        resources_in_use: listings.rom.as_ref().map(|r| r.in_use.len() as u64),
        configurations: listings.configurations.as_ref().map(|s| s.len() as u64),
        active_services: listings.active.as_ref().map(|s| s.len() as u64),
        ..CrossVerdict::default()
    };
    let missing = |names: &[&str]| -> String {
        let reasons: Vec<&str> = names
            .iter()
            .filter_map(|name| why_missing.get(name).map(String::as_str))
            .collect();
        reasons.join("; ")
    };
    match (&listings.allocations, &listings.rom) {
        (Some(allocations), Some(rom)) => {
            verdict.checks.insert("leaked_resource".into(), 0);
            verdict.checks.insert("ghost_resource".into(), 0);
            for leaked in allocations.difference(&rom.in_use) {
                let example = format!("{leaked} held on the network for no resource in use");
                verdict.add("leaked_resource", example);
            }
            for ghost in rom.in_use.difference(allocations) {
                let example = format!("{ghost} in use in ROM's inventory, free on the network");
                verdict.add("ghost_resource", example);
            }
        }
        _ => verdict.skip(
            &["leaked_resource", "ghost_resource"],
            &missing(&["allocations", "rom"]),
        ),
    }
    match (&listings.configurations, &listings.active) {
        (Some(configured), Some(active)) => {
            verdict.checks.insert("orphan_configuration".into(), 0);
            for orphan in configured.difference(active) {
                let example = format!("{orphan} configured on an element, not active in TMF640");
                verdict.add("orphan_configuration", example);
            }
        }
        _ => verdict.skip(
            &["orphan_configuration"],
            &missing(&["configurations", "active"]),
        ),
    }
    match (&listings.active, &listings.rom) {
        (Some(active), Some(rom)) => {
            verdict.checks.insert("activation_disagreement".into(), 0);
            for unbacked in active.difference(&rom.activations) {
                let example = format!("{unbacked} active in TMF640, no resource in service");
                verdict.add("activation_disagreement", example);
            }
            for stale in rom.activations.difference(active) {
                let example = format!("{stale} named by resources in service, not active");
                verdict.add("activation_disagreement", example);
            }
        }
        _ => verdict.skip(&["activation_disagreement"], &missing(&["active", "rom"])),
    }
    verdict
}

/// Reads the listings from the processes and compares them; `drained` false (orders still in
/// flight) makes every check not checked, since stores in flux disagree for no fault.
pub async fn check(processes: &[Process], drained: bool, timeout: Duration) -> CrossVerdict {
    if !drained {
        let mut verdict = CrossVerdict::default();
        verdict.skip(&CHECKS, "orders were still in flight after the drain");
        return verdict;
    }
    let mut why = BTreeMap::new();
    let mut listings = Listings::default();
    let client = |role: &str, why: &mut BTreeMap<&str, String>, key: &'static str| {
        let process = with_role(processes, role);
        let client = process.and_then(|p| TmfClient::new(&p.url, timeout).ok());
        if client.is_none() {
            why.insert(key, format!("no reachable {role} process was found"));
        }
        client
    };
    if let Some(network) = client("network", &mut why, "allocations") {
        listings.allocations = read(&network, ALLOCATIONS_PATH, &mut why, "allocations", |a| {
            Some(format!(
                "AL-{}",
                serde_json::from_value::<AllocationWire>(a).ok()?.id
            ))
        })
        .await;
        listings.configurations = read(
            &network,
            CONFIGURATIONS_PATH,
            &mut why,
            "configurations",
            |c| {
                let configuration = serde_json::from_value::<ConfigurationWire>(c).ok()?;
                Some(format!("ACT-{}", configuration.service))
            },
        )
        .await;
    } else {
        let reason = why.get("allocations").cloned().unwrap_or_default();
        why.insert("configurations", reason);
    }
    if let Some(rom) = client("rom", &mut why, "rom") {
        listings.rom = read_rom(&rom, &mut why).await;
    }
    if let Some(activation) = client("activation", &mut why, "active") {
        let path = format!("{SERVICE_ACTIVATION}/service?state=active");
        listings.active = read(&activation, &path, &mut why, "active", |service| {
            service
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .await;
    }
    compare(&listings, &why)
}

/// Reads a whole paged listing into a set of names; `None` (with why) when it could not.
async fn read(
    client: &TmfClient,
    path: &str,
    why: &mut BTreeMap<&str, String>,
    key: &'static str,
    name: impl Fn(Value) -> Option<String>,
) -> Option<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    let mut failed = None;
    let read = client
        .for_each_page(path, PAGE, LISTED_MAX, |entry| match name(entry) {
            Some(entry) => {
                names.insert(entry);
            }
            None => failed = Some(format!("an entry of {path} could not be read")),
        })
        .await;
    match (read, failed) {
        (Ok(()), None) => Some(names),
        (Ok(()), Some(reason)) | (Err(reason), _) => {
            why.insert(key, reason);
            None
        }
    }
}

async fn read_rom(client: &TmfClient, why: &mut BTreeMap<&str, String>) -> Option<RomView> {
    let mut view = RomView::default();
    let path = format!("{RESOURCE_INVENTORY}/resource");
    let read = client
        .for_each_page(&path, PAGE, LISTED_MAX, |resource| view.add(&resource))
        .await;
    match read {
        Ok(()) => Some(view),
        Err(reason) => {
            why.insert("rom", reason);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> Option<BTreeSet<String>> {
        Some(names.iter().map(|name| name.to_string()).collect())
    }

    fn resource(status: &str, allocation: &str, activation: Option<&str>) -> Value {
        let mut related = vec![serde_json::json!({"id": allocation, "role": "allocation"})];
        if let Some(service) = activation {
            related.push(serde_json::json!({"id": service, "role": "activation"}));
        }
        serde_json::json!({"resourceStatus": status, "relatedEntity": related})
    }

    #[test]
    fn agreeing_stores_pass_every_check() {
        let mut rom = RomView::default();
        rom.add(&resource("available", "AL-1", Some("ACT-1")));
        rom.add(&resource("standby", "AL-2", Some("ACT-2")));
        let listings = Listings {
            allocations: set(&["AL-1"]),
            configurations: set(&["ACT-1"]),
            rom: Some(rom),
            active: set(&["ACT-1"]),
        };
        let verdict = compare(&listings, &BTreeMap::new());
        assert_eq!(verdict.violations(), 0, "{:?}", verdict.examples);
        assert_eq!(verdict.checks.len(), CHECKS.len());
        assert!(verdict.not_checked.is_empty());
    }

    #[test]
    fn each_disagreement_is_counted_under_its_check() {
        let mut rom = RomView::default();
        rom.add(&resource("available", "AL-1", Some("ACT-1")));
        rom.add(&resource("reserved", "AL-3", None));
        rom.add(&resource("available", "AL-4", Some("ACT-4")));
        let listings = Listings {
            allocations: set(&["AL-1", "AL-2", "AL-4"]),
            configurations: set(&["ACT-1", "ACT-9"]),
            rom: Some(rom),
            active: set(&["ACT-1", "ACT-5"]),
        };
        let verdict = compare(&listings, &BTreeMap::new());
        let count = |check: &str| verdict.checks.get(check).copied();
        assert_eq!(count("leaked_resource"), Some(1)); // AL-2
        assert_eq!(count("ghost_resource"), Some(1)); // AL-3
        assert_eq!(count("orphan_configuration"), Some(1)); // ACT-9
        assert_eq!(count("activation_disagreement"), Some(2)); // ACT-5, ACT-4
        assert!(verdict.examples.iter().any(|e| e.contains("AL-2")));
    }

    #[test]
    fn a_missing_listing_leaves_its_checks_not_checked_with_why() {
        let listings = Listings {
            allocations: set(&["AL-1"]),
            ..Listings::default()
        };
        let why = BTreeMap::from([("rom", "no reachable rom process was found".to_string())]);
        let verdict = compare(&listings, &why);
        assert!(verdict.checks.is_empty());
        assert_eq!(verdict.not_checked.len(), CHECKS.len());
        assert!(
            verdict.not_checked[0].starts_with("leaked_resource: no reachable rom"),
            "{:?}",
            verdict.not_checked
        );
    }
}
