//! Tests of scenario loading: parsing, error positions, validation key paths.

use super::*;
use crate::network::profile::{Latency, Tail};

/// A scenario using every section the simulator reads, and loadgen's sections it ignores.
const FULL: &str = r#"
name = "fibre-ramp"
description = "Fibre and DSL orders against two regions"
seed = 42

[chain]
mode = "sync"
workers = 8
element_timeout_ms = 500
held_probability = 0.05
held_resume_ms = 200
pending_probability = 0.1
pending_resume_ms = 300
liveness_bound_ms = 30000

[limits]
inbox_capacity = 1024
open_orders_max = 5000
items_per_order_max = 4
allow_external_callbacks = true

[[network.regions]]
name = "north"
ipv4_cidr = "10.1.0.0/16"
phone_first = 3120000000
phone_count = 1000
multicast_vlan = 4000
multicast_members_max = 500

[[network.regions.olts]]
name = "olt-north-1"
pon_ports = 16
onus_per_port = 32

[[network.regions.olts]]
name = "olt-north-2"
pon_ports = 16
onus_per_port = 32
s_vlan_first = 200

[[network.regions.dslams]]
name = "dslam-north-1"
ports = 48

[[network.regions]]
name = "south"
ipv4_cidr = "10.2.0.0/24"

[[network.regions.olts]]
name = "olt-south-1"
pon_ports = 64
onus_per_port = 63

[profiles.default]
failure_probability = 0.01
latency = { distribution = "lognormal", median_ms = 20.0, sigma = 0.5 }
tail = { probability = 0.01, latency = { distribution = "fixed", ms = 400.0 } }

[profiles.activate]
timeout_probability = 0.02
reply_lost_probability = 0.01
latency = { distribution = "uniform", min_ms = 5.0, max_ms = 50.0 }

[load]
model = "open"
rate_per_s = 200

[load.mix]
add = 0.8
delete = 0.2

[thresholds]
p99_ms = 500
error_rate_max = 0.01

[[faults]]
name = "olt-down"
at = "30s"
duration = "30s"
target = "olt:olt-north-1"
kind = { type = "outage", reboot_ms = 2000 }

[[faults]]
name = "slow-activation"
at = "1m"
target = "activation"
operations = ["activate"]
kind = { type = "latency", added_ms = 500.0, factor = 2.0 }
"#;

fn parse(text: &str) -> Result<SimConfig, ConfigError> {
    SimConfig::from_toml_str(text, "scenario.toml")
}

/// The error's text, which must be a refusal of `parse`.
fn refusal(text: &str) -> String {
    match parse(text) {
        Ok(config) => panic!("accepted: {config:?}"),
        Err(error) => error.to_string(),
    }
}

fn assert_invalid(text: &str, key: &str, words: &[&str]) {
    match parse(text) {
        Err(ConfigError::Invalid {
            origin,
            key: found,
            message,
            ..
        }) => {
            assert_eq!(origin, "scenario.toml");
            assert_eq!(found, key, "{message}");
            for word in words {
                assert!(message.contains(word), "`{message}` lacks `{word}`");
            }
        }
        other => panic!("expected Invalid at {key}, got {other:?}"),
    }
}

#[test]
fn full_example_parses() {
    let config = parse(FULL).unwrap();
    assert_eq!(config.name, "fibre-ramp");
    assert_eq!(config.seed, 42);
    assert_eq!(config.chain.mode, ChainMode::Sync);
    assert_eq!(config.chain.workers, 8);
    assert_eq!(config.chain.pending_probability, 0.1);
    assert_eq!(config.limits.inbox_capacity, 1024);
    assert!(config.limits.allow_external_callbacks);
    // Keys left out keep their defaults.
    assert_eq!(
        config.limits.body_bytes_max,
        Limits::default().body_bytes_max
    );
    let regions = &config.network.regions;
    assert_eq!(regions.len(), 2);
    assert_eq!(regions[0].olts[1].s_vlan_first, 200);
    assert_eq!(regions[0].olts[0].s_vlan_first, 100);
    assert_eq!(regions[0].dslams[0].ports, 48);
    assert_eq!(regions[1].multicast_vlan, 4000);
    assert_eq!(regions[1].olts[0].onus_per_port, 63);
    assert_eq!(
        config.profiles.default.latency,
        Latency::Lognormal {
            median_ms: 20.0,
            sigma: 0.5
        }
    );
    assert_eq!(
        config.profiles.default.tail,
        Some(Tail {
            probability: 0.01,
            latency: Latency::Fixed { ms: 400.0 }
        })
    );
    let activate = config.profiles.activate.as_ref().unwrap();
    assert_eq!(activate.timeout_probability, 0.02);
    assert!(config.profiles.allocate.is_none());
    assert!(config.catalog.is_empty());
}

#[test]
fn loadgen_sections_are_accepted_and_ignored() {
    let config = parse(FULL).unwrap();
    assert!(config.load.is_some() && config.thresholds.is_some());
    assert_eq!(config.faults.len(), 2);
    // They do not reach the simulator's serialized view of its configuration.
    let json = serde_json::to_value(&config).unwrap();
    for section in ["load", "thresholds"] {
        assert!(json.get(section).is_none(), "{section}");
    }
    // Whatever they hold is not the simulator's business.
    parse("[load]\nanything = [1, 2]\n").unwrap();
}

#[test]
fn fault_timeline_entries_are_validated() {
    let text = |body: &str| format!("[[faults]]\nname = \"f\"\n{body}\n");
    let message = refusal(&text("target = \"olt:olt-north-1\"\nwhatever = true"));
    assert!(message.contains("scenario.toml:"), "{message}");
    let message = refusal(&text(
        "target = \"olt:olt-nowhere\"\nkind = { type = \"outage\" }",
    ));
    assert!(
        message.contains("faults[0]") && message.contains("olt-nowhere"),
        "{message}"
    );
    let message = refusal(&text(
        "target = \"all\"\nkind = { type = \"error\", probability = 1.5, reason = \"x\" }",
    ));
    assert!(message.contains("probability"), "{message}");
    let message = refusal(&text(
        "target = \"activation\"\nkind = { type = \"pool_pressure\", free_left = 0 }",
    ));
    assert!(message.contains("pool pressure"), "{message}");
    let message = refusal(&text(
        "at = \"soon\"\ntarget = \"all\"\nkind = { type = \"outage\" }",
    ));
    assert!(message.contains("soon"), "{message}");
    let twice = format!(
        "{}{}",
        text("target = \"all\"\nkind = { type = \"outage\" }"),
        text("target = \"all\"\nkind = { type = \"outage\" }")
    );
    assert!(refusal(&twice).contains("used twice"));
    parse(&text(
        "target = \"pool:north/ipv4\"\nkind = { type = \"pool_pressure\", free_left = 0 }",
    ))
    .unwrap();
}

#[test]
fn empty_text_is_the_default_config() {
    let config = parse("").unwrap();
    assert_eq!(config, SimConfig::default());
    SimConfig::default().validate().unwrap();
    assert_eq!(SimConfig::default().network.regions[0].name, "north");
}

#[test]
fn unknown_key_names_file_line_and_column() {
    let text = "seed = 3\n\n[chain]\nworkers = 2\n  wokers = 3\n";
    let error = parse(text).unwrap_err();
    let ConfigError::Syntax {
        origin,
        line,
        column,
        message,
    } = &error
    else {
        panic!("expected Syntax, got {error:?}");
    };
    assert_eq!(origin, "scenario.toml");
    assert_eq!((*line, *column), (5, 3), "{message}");
    assert!(message.contains("wokers"), "{message}");
    assert!(
        error.to_string().starts_with("scenario.toml:5:3: "),
        "{error}"
    );
}

#[test]
fn unknown_key_in_nested_tables_is_refused() {
    let top = refusal("seed = 1\nsimulator_mode = \"fast\"\n");
    assert!(top.starts_with("scenario.toml:2:"), "{top}");
    assert!(top.contains("simulator_mode"), "{top}");

    let olt = "[[network.regions]]\nname = \"n\"\nipv4_cidr = \"10.0.0.0/16\"\n\
               [[network.regions.olts]]\nname = \"o\"\npon_ports = 1\nonus_per_port = 1\n\
               colour = \"red\"\n";
    let olt = refusal(olt);
    assert!(olt.starts_with("scenario.toml:8:"), "{olt}");
    assert!(olt.contains("colour"), "{olt}");

    let profile = refusal("[profiles.default]\nfailure_probabilty = 0.1\n");
    assert!(profile.starts_with("scenario.toml:2:"), "{profile}");
}

#[test]
fn wrong_type_and_bad_toml_name_the_line() {
    let wrong = refusal("[chain]\nworkers = \"many\"\n");
    assert!(wrong.starts_with("scenario.toml:2:"), "{wrong}");
    let mode = refusal("[chain]\nmode = \"eventually\"\n");
    assert!(mode.starts_with("scenario.toml:2:"), "{mode}");
    let broken = refusal("seed = 1\n[chain\n");
    assert!(broken.starts_with("scenario.toml:2:"), "{broken}");
}

#[test]
fn bad_values_name_the_key_path() {
    assert_invalid(
        "[chain]\nworkers = 0\n",
        "chain.workers",
        &["greater than 0"],
    );
    assert_invalid(
        "[chain]\nheld_probability = 1.5\n",
        "chain.held_probability",
        &["1.5"],
    );
    assert_invalid(
        "[chain]\nheld_probability = 0.6\npending_probability = 0.6\n",
        "chain.pending_probability",
        &["more than 1"],
    );
    assert_invalid(
        "[chain]\nelement_timeout_ms = 0\n",
        "chain.element_timeout_ms",
        &["0 ms"],
    );
    assert_invalid(
        "[chain]\nelement_timeout_ms = 5000\nliveness_bound_ms = 4000\n",
        "chain.liveness_bound_ms",
        &["element_timeout_ms"],
    );
    assert_invalid(
        "[limits]\nitems_per_order_max = 0\n",
        "limits.items_per_order_max",
        &[],
    );
    assert_invalid(
        "[limits]\nhub_delivery_attempts_max = 0\n",
        "limits.hub_delivery_attempts_max",
        &[],
    );
}

#[test]
fn retry_policies_parse_per_layer_and_default_to_no_retry() {
    let config = parse(
        "[chain.retry.rom]\nattempts = 4\nbackoff_ms = 50\n\
         [chain.retry.activation]\nattempts = 2\nbackoff_multiplier = 1.0\ncompensation_attempts = 3\n",
    )
    .unwrap();
    assert_eq!(config.chain.retry.rom.attempts, 4);
    assert_eq!(config.chain.retry.rom.backoff_ms, 50);
    assert_eq!(config.chain.retry.rom.compensation_attempts, 8);
    assert_eq!(config.chain.retry.activation.attempts, 2);
    assert_eq!(config.chain.retry.activation.compensation_attempts, 3);
    assert_eq!(parse("").unwrap().chain.retry.rom.attempts, 1);
    assert!(refusal("[chain.retry.som]\nattempts = 2\n").contains("som"));
}

#[test]
fn bad_retry_policies_name_the_key_path() {
    assert_invalid(
        "[chain.retry.rom]\nattempts = 0\n",
        "chain.retry.rom.attempts",
        &["0"],
    );
    assert_invalid(
        "[chain.retry.activation]\ncompensation_attempts = 1000\n",
        "chain.retry.activation.compensation_attempts",
        &["1000"],
    );
    assert_invalid(
        "[chain.retry.rom]\nbackoff_ms = 500\nbackoff_max_ms = 100\n",
        "chain.retry.rom.backoff_max_ms",
        &["100 ms"],
    );
    assert_invalid(
        "[chain.retry.rom]\nbackoff_multiplier = 0.5\n",
        "chain.retry.rom.backoff_multiplier",
        &["0.5"],
    );
    // 40 tries of a 2 s timeout outlast the 60 s liveness bound.
    assert_invalid(
        "[chain.retry.activation]\nattempts = 40\n",
        "chain.retry.activation.attempts",
        &["liveness_bound_ms"],
    );
}

fn region(name: &str, cidr: &str, rest: &str) -> String {
    format!("[[network.regions]]\nname = \"{name}\"\nipv4_cidr = \"{cidr}\"\n{rest}")
}

#[test]
fn bad_network_values_name_the_key_path() {
    let key = "network.regions[0].ipv4_cidr";
    assert_invalid(&region("n", "10.0.0.0", ""), key, &["a.b.c.d/len"]);
    assert_invalid(&region("n", "10.0.0.0/31", ""), key, &["/31"]);
    assert_invalid(&region("n", "10.0.0.0/7", ""), key, &["/7"]);
    assert_invalid(&region("n", "10.0.0.300/16", ""), key, &["10.0.0.300"]);
    assert_invalid(&region("n", "10.0.0.1/16", ""), key, &["10.0.0.0/16"]);

    let two = region("n", "10.0.0.0/16", "") + &region("s", "10.0.128.0/24", "");
    assert_invalid(&two, "network.regions[1].ipv4_cidr", &["overlaps"]);
    let twins = region("n", "10.0.0.0/16", "") + &region("n", "10.1.0.0/16", "");
    assert_invalid(&twins, "network.regions[1].name", &["`n`", "twice"]);
    assert_invalid(
        &region(" ", "10.0.0.0/16", ""),
        "network.regions[0].name",
        &["empty"],
    );
    assert_invalid(
        "[network]\nregions = []\n",
        "network.regions",
        &["at least one"],
    );
    assert_invalid(
        &region("n", "10.0.0.0/16", "multicast_vlan = 4095\n"),
        "network.regions[0].multicast_vlan",
        &["4095"],
    );
}

fn olt(name: &str, ports: u16, onus: u16, s_vlan_first: u16) -> String {
    format!(
        "[[network.regions.olts]]\nname = \"{name}\"\npon_ports = {ports}\n\
         onus_per_port = {onus}\ns_vlan_first = {s_vlan_first}\n"
    )
}

#[test]
fn bad_elements_name_the_key_path() {
    let with = |elements: &str| region("n", "10.0.0.0/16", "") + elements;
    let path = "network.regions[0].olts[0]";
    assert_invalid(
        &with(&olt("o", 0, 32, 100)),
        &format!("{path}.pon_ports"),
        &[],
    );
    assert_invalid(
        &with(&olt("o", 16, 129, 100)),
        &format!("{path}.onus_per_port"),
        &["129"],
    );
    assert_invalid(
        &with(&olt("o", 16, 32, 0)),
        &format!("{path}.s_vlan_first"),
        &[],
    );
    assert_invalid(
        &with(&olt("o", 16, 32, 4080)),
        &format!("{path}.s_vlan_first"),
        &["4095"],
    );
    assert_invalid(
        &with(&olt("o", 16, 32, 3990)),
        &format!("{path}.s_vlan_first"),
        &["multicast VLAN 4000"],
    );
    let dslam = "[[network.regions.dslams]]\nname = \"o\"\nports = 8\n";
    assert_invalid(
        &with(&(olt("o", 16, 32, 100) + dslam)),
        "network.regions[0].dslams[0].name",
        &["`o`", "twice"],
    );
    let empty_dslam = "[[network.regions.dslams]]\nname = \"d\"\nports = 0\n";
    assert_invalid(
        &with(empty_dslam),
        "network.regions[0].dslams[0].ports",
        &[],
    );
    // Element names are unique across regions too.
    let across = region("n", "10.0.0.0/16", &olt("o", 1, 1, 100))
        + &region("s", "10.1.0.0/16", &olt("o", 1, 1, 100));
    assert_invalid(&across, "network.regions[1].olts[0].name", &["twice"]);
}

#[test]
fn bad_profiles_name_the_key_path() {
    assert_invalid(
        "[profiles.default]\nfailure_probability = -0.1\n",
        "profiles.default.failure_probability",
        &["-0.1"],
    );
    assert_invalid(
        "[profiles.release]\nfailure_probability = 0.5\ntimeout_probability = 0.3\n\
         reply_lost_probability = 0.3\n",
        "profiles.release",
        &["more than 1"],
    );
    assert_invalid(
        "[profiles.configure]\nlatency = { distribution = \"uniform\", min_ms = 9.0, max_ms = 3.0 }\n",
        "profiles.configure.latency.max_ms",
        &["min_ms"],
    );
    assert_invalid(
        "[profiles.default]\nlatency = { distribution = \"fixed\", ms = -1.0 }\n",
        "profiles.default.latency.ms",
        &[],
    );
    assert_invalid(
        "[profiles.default]\nlatency = { distribution = \"exponential\", mean_ms = nan }\n",
        "profiles.default.latency.mean_ms",
        &["NaN"],
    );
    assert_invalid(
        "[profiles.deactivate.tail]\nprobability = 2.0\nlatency = { distribution = \"fixed\", ms = 1.0 }\n",
        "profiles.deactivate.tail.probability",
        &[],
    );
}

#[test]
fn catalog_errors_are_reported_at_load() {
    let text = "[[catalog.offerings]]\nid = \"tv\"\nname = \"TV\"\n\
                product_specification = \"tv-spec\"\n";
    let error = parse(text).unwrap_err();
    assert!(matches!(error, ConfigError::Catalog { .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.starts_with("scenario.toml: catalog: "), "{text}");
    assert!(
        text.contains("offerings[0].product_specification `tv-spec`"),
        "{text}"
    );
}

#[test]
fn validate_without_a_file_names_the_key() {
    let mut config = SimConfig::default();
    config.chain.workers = 0;
    let error = config.validate().unwrap_err().to_string();
    assert_eq!(
        error,
        "configuration: chain.workers: must be greater than 0"
    );
}

#[test]
fn load_reads_a_file_and_names_it_in_errors() {
    let directory = std::env::temp_dir().join(format!("ordersim-config-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let good = directory.join("good.toml");
    std::fs::write(&good, FULL).unwrap();
    assert_eq!(SimConfig::load(&good).unwrap().seed, 42);

    let bad = directory.join("bad.toml");
    std::fs::write(&bad, "seed = 1\nsede = 2\n").unwrap();
    let error = SimConfig::load(&bad).unwrap_err().to_string();
    assert!(
        error.starts_with(&format!("{}:2:1: ", bad.display())),
        "{error}"
    );

    let missing = directory.join("missing.toml");
    let error = SimConfig::load(&missing).unwrap_err();
    assert!(matches!(error, ConfigError::Read { .. }), "{error:?}");
    assert!(error.to_string().contains("missing.toml"), "{error}");
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn line_and_column_count_characters() {
    let text = "a = 1\nb = \"é\" x\n";
    let offset = text.find('x').unwrap();
    assert_eq!(line_and_column(text, offset), (2, 9));
    assert_eq!(line_and_column(text, 0), (1, 1));
    assert_eq!(line_and_column(text, text.len() + 10), (3, 1));
}

#[test]
fn cidr_parses_and_measures() {
    let cidr = Ipv4Cidr::parse("192.168.4.0/22").unwrap();
    assert_eq!(cidr.prefix_len, 22);
    assert_eq!(cidr.size(), 1024);
    assert_eq!(cidr.to_string(), "192.168.4.0/22");
    assert_eq!(
        cidr.range(),
        (
            u32::from(Ipv4Addr::new(192, 168, 4, 0)),
            u32::from(Ipv4Addr::new(192, 168, 7, 255))
        )
    );
    assert!(cidr.overlaps(Ipv4Cidr::parse("192.168.7.0/24").unwrap()));
    assert!(!cidr.overlaps(Ipv4Cidr::parse("192.168.8.0/24").unwrap()));
    assert_eq!(Ipv4Cidr::parse("10.0.0.0/8").unwrap().size(), 1 << 24);
    for bad in [
        "",
        "10.0.0.0",
        "10.0.0.0/",
        "10.0.0/16",
        "10.0.0.0/x",
        "10.0.0.0/33",
        "/16",
    ] {
        assert!(Ipv4Cidr::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_public_url_is_an_absolute_http_url() {
    let key = "http.public_url";
    assert_invalid("[http]\npublic_url = \"/tmf\"\n", key, &["relative"]);
    assert_invalid("[http]\npublic_url = \"ftp://h/\"\n", key, &["http://"]);
    assert_invalid("[http]\npublic_url = \"http://h/?a=1\"\n", key, &["query"]);
    let config = parse("[http]\npublic_url = \"https://gw.example.com/sim/\"\n").expect("valid");
    assert_eq!(config.http.public_url(), "https://gw.example.com/sim");
    assert_eq!(SimConfig::default().http.public_url(), PUBLIC_URL_DEFAULT);
}
