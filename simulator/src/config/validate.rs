//! Semantic checks of a parsed [`SimConfig`]: ranges, uniqueness and cross-references the
//! types cannot express. Each refusal names the key path, so a user finds it in the file.

use std::collections::BTreeSet;

use super::{
    ChainConfig, DslamConfig, HttpConfig, Ipv4Cidr, Limits, OltConfig, RegionConfig, RetryPolicy,
    SimConfig,
};
use crate::network::profile::{Latency, OperationProfile};

/// Longest duration any `*_ms` setting may have: one day.
pub(super) const MS_MAX: u64 = 86_400_000;
/// Highest VLAN id (802.1Q: 1..=4094).
const VLAN_MAX: u16 = 4_094;
/// Most ONUs a GPON PON port takes.
const ONUS_PER_PORT_MAX: u16 = 128;
/// Most regions a [`crate::network::RegionId`] can number.
const REGIONS_MAX: usize = u16::MAX as usize + 1;

/// A refused value: where and why.
#[derive(Debug)]
pub(super) struct Problem {
    pub(super) key: String,
    pub(super) message: String,
}

type Checked = Result<(), Problem>;

fn problem(key: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        key: key.into(),
        message: message.into(),
    }
}

fn require(ok: bool, key: &str, message: impl FnOnce() -> String) -> Checked {
    if ok {
        Ok(())
    } else {
        Err(problem(key, message()))
    }
}

fn probability(key: &str, value: f64) -> Checked {
    require((0.0..=1.0).contains(&value), key, || {
        format!("{value} is not a probability in [0, 1]")
    })
}

fn positive(key: &str, value: u64) -> Checked {
    require(value > 0, key, || "must be greater than 0".to_string())
}

fn duration_ms(key: &str, value: u64, min: u64) -> Checked {
    require((min..=MS_MAX).contains(&value), key, || {
        format!("{value} ms is outside {min}..={MS_MAX} ms")
    })
}

fn milliseconds(key: &str, value: f64) -> Checked {
    // Also refuses NaN: it fails every comparison.
    require((0.0..=MS_MAX as f64).contains(&value), key, || {
        format!("{value} ms is outside 0..={MS_MAX} ms")
    })
}

/// Every check, in file order.
pub(super) fn config(config: &SimConfig) -> Checked {
    chain(&config.chain)?;
    limits(&config.limits)?;
    http(&config.http)?;
    network(&config.network.regions)?;
    profiles(config)?;
    faults(config)
}

/// The public URL: an absolute `http(s)://` URL with a host and no query or fragment, since
/// hrefs are made by appending paths to it.
fn http(http: &HttpConfig) -> Checked {
    let Some(text) = &http.public_url else {
        return Ok(());
    };
    let key = "http.public_url";
    let url = reqwest::Url::parse(text).map_err(|error| problem(key, error.to_string()))?;
    require(matches!(url.scheme(), "http" | "https"), key, || {
        format!("`{text}` is not an http:// or https:// URL")
    })?;
    require(url.host_str().is_some(), key, || {
        format!("`{text}` has no host")
    })?;
    require(
        url.query().is_none() && url.fragment().is_none(),
        key,
        || format!("`{text}` must have no query or fragment"),
    )
}

/// The fault timeline: each entry valid, its target in the network, names unique, at most
/// `limits.faults_max` entries.
fn faults(config: &SimConfig) -> Checked {
    require(
        config.faults.len() <= config.limits.faults_max,
        "faults",
        || {
            format!(
                "{} faults; at most limits.faults_max = {}",
                config.faults.len(),
                config.limits.faults_max
            )
        },
    )?;
    let topology = crate::network::Topology::from_config(&config.network)
        .map_err(|error| problem("network", error.to_string()))?;
    let mut names = BTreeSet::new();
    for (index, spec) in config.faults.iter().enumerate() {
        let key = format!("faults[{index}]");
        let fault = spec
            .to_fault(crate::domain::time::Time::ZERO)
            .map_err(|error| problem(&key, error.to_string()))?;
        fault
            .target
            .resolve(&topology)
            .map_err(|error| problem(format!("{key}.target"), error.to_string()))?;
        require(names.insert(spec.name.clone()), &key, || {
            format!("the name `{}` is used twice", spec.name)
        })?;
    }
    Ok(())
}

fn chain(chain: &ChainConfig) -> Checked {
    positive("chain.workers", u64::from(chain.workers))?;
    duration_ms("chain.element_timeout_ms", chain.element_timeout_ms, 1)?;
    probability("chain.rejected_probability", chain.rejected_probability)?;
    probability("chain.held_probability", chain.held_probability)?;
    duration_ms("chain.held_resume_ms", chain.held_resume_ms, 0)?;
    probability("chain.pending_probability", chain.pending_probability)?;
    duration_ms("chain.pending_resume_ms", chain.pending_resume_ms, 0)?;
    // A new order is held, pending or neither: the two are one draw's outcomes.
    let both = chain.held_probability + chain.pending_probability;
    require(both <= 1.0, "chain.pending_probability", || {
        format!("held_probability + pending_probability is {both}, more than 1")
    })?;
    duration_ms("chain.liveness_bound_ms", chain.liveness_bound_ms, 1)?;
    duration_ms("chain.call_timeout_ms", chain.call_timeout_ms, 1)?;
    duration_ms(
        "chain.com_child_deadline_ms",
        chain.com_child_deadline_ms,
        1,
    )?;
    duration_ms(
        "chain.som_child_deadline_ms",
        chain.som_child_deadline_ms,
        1,
    )?;
    duration_ms(
        "chain.rom_child_deadline_ms",
        chain.rom_child_deadline_ms,
        1,
    )?;
    duration_ms("chain.child_answer_ms", chain.child_answer_ms, 1)?;
    duration_ms(
        "chain.subscription_renew_ms",
        chain.subscription_renew_ms,
        1,
    )?;
    require(
        chain.liveness_bound_ms > chain.element_timeout_ms,
        "chain.liveness_bound_ms",
        || {
            format!(
                "{} ms must be longer than chain.element_timeout_ms ({} ms)",
                chain.liveness_bound_ms, chain.element_timeout_ms
            )
        },
    )?;
    retry("chain.retry.rom", &chain.retry.rom, chain)?;
    retry("chain.retry.activation", &chain.retry.activation, chain)
}

fn retry(key: &str, policy: &RetryPolicy, chain: &ChainConfig) -> Checked {
    let tries = 1..=RetryPolicy::ATTEMPTS_MAX;
    require(
        tries.contains(&policy.attempts),
        &format!("{key}.attempts"),
        || format!("{} is outside {tries:?}", policy.attempts),
    )?;
    let key_compensation = format!("{key}.compensation_attempts");
    require(
        tries.contains(&policy.compensation_attempts),
        &key_compensation,
        || format!("{} is outside {tries:?}", policy.compensation_attempts),
    )?;
    duration_ms(&format!("{key}.backoff_ms"), policy.backoff_ms, 0)?;
    duration_ms(
        &format!("{key}.backoff_max_ms"),
        policy.backoff_max_ms,
        policy.backoff_ms,
    )?;
    let multiplier = policy.backoff_multiplier;
    require(
        (1.0..=10.0).contains(&multiplier),
        &format!("{key}.backoff_multiplier"),
        || format!("{multiplier} is outside 1..=10"),
    )?;
    let element_timeout = std::time::Duration::from_millis(chain.element_timeout_ms);
    let worst_ms = policy.worst_case(element_timeout).as_millis();
    require(
        u128::from(chain.liveness_bound_ms) > worst_ms,
        &format!("{key}.attempts"),
        || {
            format!(
                "{} tries can take {worst_ms} ms, longer than chain.liveness_bound_ms ({} ms)",
                policy.attempts, chain.liveness_bound_ms
            )
        },
    )
}

fn limits(limits: &Limits) -> Checked {
    let sizes = [
        ("limits.inbox_capacity", limits.inbox_capacity),
        ("limits.timers_max", limits.timers_max),
        ("limits.open_orders_max", limits.open_orders_max),
        ("limits.retained_orders_max", limits.retained_orders_max),
        ("limits.items_per_order_max", limits.items_per_order_max),
        ("limits.body_bytes_max", limits.body_bytes_max),
        ("limits.hub_subscriptions_max", limits.hub_subscriptions_max),
        ("limits.hub_queue_capacity", limits.hub_queue_capacity),
        ("limits.list_limit_max", limits.list_limit_max),
        ("limits.http_concurrency_max", limits.http_concurrency_max),
        ("limits.faults_max", limits.faults_max),
        ("limits.connections_max", limits.connections_max),
    ];
    for (key, value) in sizes {
        require(value > 0, key, || "must be greater than 0".to_string())?;
    }
    positive(
        "limits.header_read_timeout_ms",
        limits.header_read_timeout_ms,
    )?;
    positive("limits.body_read_timeout_ms", limits.body_read_timeout_ms)?;
    positive("limits.idle_timeout_ms", limits.idle_timeout_ms)?;
    positive("limits.send_timeout_ms", limits.send_timeout_ms)?;
    positive(
        "limits.hub_delivery_attempts_max",
        u64::from(limits.hub_delivery_attempts_max),
    )
}

fn network(regions: &[RegionConfig]) -> Checked {
    require(!regions.is_empty(), "network.regions", || {
        "at least one region is needed".to_string()
    })?;
    require(regions.len() <= REGIONS_MAX, "network.regions", || {
        format!("{} regions; at most {REGIONS_MAX}", regions.len())
    })?;
    let mut region_names = BTreeSet::new();
    let mut element_names = BTreeSet::new();
    let mut pools: Vec<(String, Ipv4Cidr)> = Vec::new();
    for (index, region) in regions.iter().enumerate() {
        let path = format!("network.regions[{index}]");
        name(&format!("{path}.name"), &region.name, &mut region_names)?;
        let key = format!("{path}.ipv4_cidr");
        let cidr = Ipv4Cidr::parse(&region.ipv4_cidr).map_err(|message| problem(&key, message))?;
        if let Some((other, _)) = pools.iter().find(|(_, pool)| pool.overlaps(cidr)) {
            return Err(problem(key, format!("{cidr} overlaps {other}")));
        }
        pools.push((format!("{path}.ipv4_cidr ({})", region.ipv4_cidr), cidr));
        region_numbers(&path, region)?;
        for (olt_index, olt_config) in region.olts.iter().enumerate() {
            let olt_path = format!("{path}.olts[{olt_index}]");
            name(
                &format!("{olt_path}.name"),
                &olt_config.name,
                &mut element_names,
            )?;
            olt(&olt_path, olt_config, region.multicast_vlan)?;
        }
        for (dslam_index, dslam_config) in region.dslams.iter().enumerate() {
            let dslam_path = format!("{path}.dslams[{dslam_index}]");
            name(
                &format!("{dslam_path}.name"),
                &dslam_config.name,
                &mut element_names,
            )?;
            dslam(&dslam_path, dslam_config)?;
        }
    }
    Ok(())
}

/// A name is non-empty and not yet in `seen`.
fn name<'a>(key: &str, name: &'a str, seen: &mut BTreeSet<&'a str>) -> Checked {
    require(!name.trim().is_empty(), key, || {
        "must not be empty".to_string()
    })?;
    require(seen.insert(name), key, || format!("`{name}` is used twice"))
}

fn region_numbers(path: &str, region: &RegionConfig) -> Checked {
    require(
        region
            .phone_first
            .checked_add(u64::from(region.phone_count))
            .is_some(),
        &format!("{path}.phone_count"),
        || "phone_first + phone_count overflows".to_string(),
    )?;
    require(
        (1..=VLAN_MAX).contains(&region.multicast_vlan),
        &format!("{path}.multicast_vlan"),
        || {
            format!(
                "{} is not a VLAN id in 1..={VLAN_MAX}",
                region.multicast_vlan
            )
        },
    )
}

fn olt(path: &str, olt: &OltConfig, multicast_vlan: u16) -> Checked {
    positive(&format!("{path}.pon_ports"), u64::from(olt.pon_ports))?;
    require(
        (1..=ONUS_PER_PORT_MAX).contains(&olt.onus_per_port),
        &format!("{path}.onus_per_port"),
        || format!("{} is outside 1..={ONUS_PER_PORT_MAX}", olt.onus_per_port),
    )?;
    let key = format!("{path}.s_vlan_first");
    require(olt.s_vlan_first >= 1, &key, || {
        "VLAN ids start at 1".to_string()
    })?;
    // PON port p uses S-VLAN s_vlan_first + p.
    let last = u32::from(olt.s_vlan_first) + u32::from(olt.pon_ports) - 1;
    require(last <= u32::from(VLAN_MAX), &key, || {
        format!(
            "S-VLANs {}..={last} for {} PON ports pass {VLAN_MAX}",
            olt.s_vlan_first, olt.pon_ports
        )
    })?;
    let vlans = u32::from(olt.s_vlan_first)..=last;
    require(!vlans.contains(&u32::from(multicast_vlan)), &key, || {
        format!("S-VLANs {vlans:?} include the region's multicast VLAN {multicast_vlan}")
    })
}

fn dslam(path: &str, dslam: &DslamConfig) -> Checked {
    positive(&format!("{path}.ports"), u64::from(dslam.ports))
}

fn profiles(config: &SimConfig) -> Checked {
    let profiles = &config.profiles;
    profile("profiles.default", &profiles.default)?;
    let overrides = [
        ("profiles.allocate", &profiles.allocate),
        ("profiles.release", &profiles.release),
        ("profiles.configure", &profiles.configure),
        ("profiles.activate", &profiles.activate),
        ("profiles.deactivate", &profiles.deactivate),
    ];
    for (path, entry) in overrides {
        if let Some(entry) = entry {
            profile(path, entry)?;
        }
    }
    Ok(())
}

fn profile(path: &str, profile: &OperationProfile) -> Checked {
    latency(&format!("{path}.latency"), &profile.latency)?;
    if let Some(tail) = &profile.tail {
        probability(&format!("{path}.tail.probability"), tail.probability)?;
        latency(&format!("{path}.tail.latency"), &tail.latency)?;
    }
    let outcomes = [
        ("failure_probability", profile.failure_probability),
        ("timeout_probability", profile.timeout_probability),
        ("reply_lost_probability", profile.reply_lost_probability),
    ];
    for (key, value) in outcomes {
        probability(&format!("{path}.{key}"), value)?;
    }
    // An operation has one outcome: failing, hanging and losing the reply exclude each other.
    let sum: f64 = outcomes.iter().map(|(_, value)| value).sum();
    require(sum <= 1.0, path, || {
        format!(
            "failure_probability + timeout_probability + reply_lost_probability is {sum}, \
             more than 1"
        )
    })
}

fn latency(path: &str, latency: &Latency) -> Checked {
    let key = |field: &str| format!("{path}.{field}");
    match latency {
        Latency::Fixed { ms } => milliseconds(&key("ms"), *ms),
        Latency::Uniform { min_ms, max_ms } => {
            milliseconds(&key("min_ms"), *min_ms)?;
            milliseconds(&key("max_ms"), *max_ms)?;
            require(min_ms <= max_ms, &key("max_ms"), || {
                format!("{max_ms} is below min_ms {min_ms}")
            })
        }
        Latency::Normal { mean_ms, stddev_ms } => {
            milliseconds(&key("mean_ms"), *mean_ms)?;
            milliseconds(&key("stddev_ms"), *stddev_ms)
        }
        Latency::Lognormal { median_ms, sigma } => {
            milliseconds(&key("median_ms"), *median_ms)?;
            require((0.0..=10.0).contains(sigma), &key("sigma"), || {
                format!("{sigma} is outside 0..=10")
            })
        }
        Latency::Exponential { mean_ms } => milliseconds(&key("mean_ms"), *mean_ms),
    }
}
