//! A network resource's value on the wire: its TMF `resourceCharacteristic` entries and a
//! short human name, with element and region names when the topology is at hand.

use serde_json::{Value, json};

use crate::layers::common::Characteristic;
use crate::network::{ElementId, RegionId, ResourceValue, Topology};

fn element(id: ElementId, topology: Option<&Topology>) -> String {
    topology.map_or_else(
        || format!("element-{}", id.0),
        |t| t.element_name(id).to_string(),
    )
}

fn region(id: RegionId, topology: Option<&Topology>) -> String {
    topology.map_or_else(
        || format!("region-{}", id.0),
        |t| t.region_name(id).to_string(),
    )
}

/// A short human name of an allocated resource, e.g. `olt-north-1/3/17`.
pub fn resource_name(value: &ResourceValue, topology: Option<&Topology>) -> String {
    match *value {
        ResourceValue::OnuSlot { olt, pon_port, onu } => {
            format!("{}/{pon_port}/{onu}", element(olt, topology))
        }
        ResourceValue::VlanPair {
            olt,
            pon_port,
            s_vlan,
            c_vlan,
        } => {
            format!("{}/{pon_port} s{s_vlan}.c{c_vlan}", element(olt, topology))
        }
        ResourceValue::Ipv4Address { address, .. } => address.to_string(),
        ResourceValue::DslamPort { dslam, port } => format!("{}/{port}", element(dslam, topology)),
        ResourceValue::MulticastVlan {
            region: r,
            vlan,
            member,
        } => {
            format!("{} mvlan{vlan}#{member}", region(r, topology))
        }
        ResourceValue::PhoneNumber { number, .. } => format!("+{number}"),
    }
}

/// The resource's value as TMF `resourceCharacteristic` entries.
pub fn resource_characteristics(
    value: &ResourceValue,
    topology: Option<&Topology>,
) -> Vec<Characteristic> {
    let pairs: Vec<(&str, Value)> = match *value {
        ResourceValue::OnuSlot { olt, pon_port, onu } => vec![
            ("olt", json!(element(olt, topology))),
            ("ponPort", json!(pon_port)),
            ("onuId", json!(onu)),
        ],
        ResourceValue::VlanPair {
            olt,
            pon_port,
            s_vlan,
            c_vlan,
        } => vec![
            ("olt", json!(element(olt, topology))),
            ("ponPort", json!(pon_port)),
            ("sVlan", json!(s_vlan)),
            ("cVlan", json!(c_vlan)),
        ],
        ResourceValue::Ipv4Address { region: r, address } => vec![
            ("region", json!(region(r, topology))),
            ("ipv4Address", json!(address.to_string())),
        ],
        ResourceValue::DslamPort { dslam, port } => {
            vec![
                ("dslam", json!(element(dslam, topology))),
                ("port", json!(port)),
            ]
        }
        ResourceValue::MulticastVlan {
            region: r,
            vlan,
            member,
        } => vec![
            ("region", json!(region(r, topology))),
            ("multicastVlan", json!(vlan)),
            ("member", json!(member)),
        ],
        ResourceValue::PhoneNumber { region: r, number } => vec![
            ("region", json!(region(r, topology))),
            ("phoneNumber", json!(number.to_string())),
        ],
    };
    pairs
        .into_iter()
        .map(|(name, value)| Characteristic {
            name: name.into(),
            value,
        })
        .collect()
}
