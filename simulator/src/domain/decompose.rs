//! Catalog-driven decomposition: product offering → CFS → RFS → resources.
//!
//! Pure lookups the order layers call: COM asks which CFSs an offering needs
//! ([`services_for_offering`]), SOM which RFSs support a CFS ([`supporting_services`]), ROM
//! which resources an RFS allocates and in what order ([`resources_for`]). [`plan`] walks the
//! whole tree at once for tests and the catalog API. A name the catalog does not hold is a
//! client error ([`RejectionKind::InvalidRequest`]), never a panic.

use std::sync::Arc;

use serde::Serialize;

use crate::domain::catalog::{Catalog, ResourceKind, ServiceCategory, ServiceSpecification};
use crate::domain::rejection::{Rejection, RejectionKind};

/// The whole decomposition of one offering.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePlan {
    /// The offering's id.
    pub offering: Arc<str>,
    /// The product specification it sells.
    pub product_specification: Arc<str>,
    /// Whether it can be ordered alone (false for add-ons).
    pub is_sellable_alone: bool,
    /// The CFSs realising it, in catalog order.
    pub services: Vec<CfsPlan>,
}

/// One CFS of a [`ServicePlan`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CfsPlan {
    /// The CFS specification id.
    pub id: Arc<str>,
    /// The RFSs supporting it, in catalog order.
    pub supporting_services: Vec<RfsPlan>,
}

/// One RFS of a [`CfsPlan`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RfsPlan {
    /// The RFS specification id.
    pub id: Arc<str>,
    /// The resources it allocates, in allocation order.
    pub resources: Vec<ResourcePlan>,
}

/// One resource of an [`RfsPlan`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourcePlan {
    /// The resource specification id.
    pub id: Arc<str>,
    /// What it allocates.
    pub kind: ResourceKind,
}

fn invalid(message: String) -> Rejection {
    Rejection::new(RejectionKind::InvalidRequest, message)
}

/// The CFS specification ids an offering decomposes into, in catalog order.
pub fn services_for_offering<'a>(
    catalog: &'a Catalog,
    offering_id: &str,
) -> Result<&'a [Arc<str>], Rejection> {
    let offering = catalog.offering(offering_id).ok_or_else(|| {
        invalid(format!(
            "productOffering `{offering_id}` is not in the product catalog"
        ))
    })?;
    let specification = &offering.product_specification;
    let product = catalog
        .product_specification(specification)
        .ok_or_else(|| {
            invalid(format!(
                "productOffering `{offering_id}` names product specification `{specification}`, \
                 which is not in the product catalog"
            ))
        })?;
    Ok(&product.services)
}

/// The service specification `id`, which must be of `category`.
fn service_of<'a>(
    catalog: &'a Catalog,
    id: &str,
    category: ServiceCategory,
) -> Result<&'a ServiceSpecification, Rejection> {
    let service = catalog.service_specification(id).ok_or_else(|| {
        invalid(format!(
            "service specification `{id}` is not in the catalog"
        ))
    })?;
    if service.category != category {
        return Err(invalid(format!(
            "service specification `{id}` is of category {}, not {}",
            service.category.as_str(),
            category.as_str()
        )));
    }
    Ok(service)
}

/// The RFS specification ids supporting a CFS, in catalog order.
pub fn supporting_services<'a>(
    catalog: &'a Catalog,
    cfs_id: &str,
) -> Result<&'a [Arc<str>], Rejection> {
    Ok(&service_of(catalog, cfs_id, ServiceCategory::Cfs)?.services)
}

/// The resource specifications an RFS allocates, with their kinds, in allocation order.
pub fn resources_for<'a>(
    catalog: &'a Catalog,
    rfs_id: &str,
) -> Result<Vec<(&'a Arc<str>, ResourceKind)>, Rejection> {
    let service = service_of(catalog, rfs_id, ServiceCategory::Rfs)?;
    service
        .resources
        .iter()
        .map(|id| Ok((id, resource_kind(catalog, rfs_id, id)?)))
        .collect()
}

/// Whether [`resources_for`] would succeed, without building its list: what a create checks.
pub fn check_resources_for(catalog: &Catalog, rfs_id: &str) -> Result<(), Rejection> {
    let service = service_of(catalog, rfs_id, ServiceCategory::Rfs)?;
    for id in &service.resources {
        resource_kind(catalog, rfs_id, id)?;
    }
    Ok(())
}

/// The resource specifications of an RFS that [`check_resources_for`] accepted, with their
/// kinds, in allocation order: what decomposition walks, without [`resources_for`]'s list.
pub fn checked_resources<'a>(
    catalog: &'a Catalog,
    rfs_id: &str,
) -> impl Iterator<Item = (&'a Arc<str>, ResourceKind)> + 'a {
    let service = catalog.service_specification(rfs_id);
    let resources = service.map_or(&[][..], |rfs| rfs.resources.as_slice());
    resources
        .iter()
        .filter_map(|id| Some((id, catalog.resource_specification(id)?.kind)))
}

fn resource_kind(catalog: &Catalog, rfs_id: &str, id: &str) -> Result<ResourceKind, Rejection> {
    let resource = catalog.resource_specification(id).ok_or_else(|| {
        invalid(format!(
            "RFS `{rfs_id}` names resource specification `{id}`, which is not in the catalog"
        ))
    })?;
    Ok(resource.kind)
}

/// The whole tree of one offering: its CFSs, their RFSs and the RFSs' resources.
pub fn plan(catalog: &Catalog, offering_id: &str) -> Result<ServicePlan, Rejection> {
    let services = services_for_offering(catalog, offering_id)?;
    let offering = catalog
        .offering(offering_id)
        .ok_or_else(|| invalid(format!("productOffering `{offering_id}` is not known")))?;
    let services = services
        .iter()
        .map(|cfs_id| {
            let supporting_services = supporting_services(catalog, cfs_id)?
                .iter()
                .map(|rfs_id| rfs_plan(catalog, rfs_id))
                .collect::<Result<Vec<_>, Rejection>>()?;
            Ok(CfsPlan {
                id: Arc::clone(cfs_id),
                supporting_services,
            })
        })
        .collect::<Result<Vec<_>, Rejection>>()?;
    Ok(ServicePlan {
        offering: Arc::clone(&offering.id),
        product_specification: Arc::clone(&offering.product_specification),
        is_sellable_alone: offering.is_sellable_alone,
        services,
    })
}

fn rfs_plan(catalog: &Catalog, rfs_id: &Arc<str>) -> Result<RfsPlan, Rejection> {
    let resources = resources_for(catalog, rfs_id)?
        .into_iter()
        .map(|(id, kind)| ResourcePlan {
            id: Arc::clone(id),
            kind,
        })
        .collect();
    Ok(RfsPlan {
        id: Arc::clone(rfs_id),
        resources,
    })
}

/// How a modify that changes offering (technology migration, e.g. DSL → fibre) changes the
/// CFSs: which are new, which are decommissioned, which stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceChange {
    /// CFSs of the new offering that the old one lacks: create them (new RFSs, new resources).
    pub added: Vec<Arc<str>>,
    /// CFSs of the old offering that the new one lacks: decommission them, release resources.
    pub removed: Vec<Arc<str>>,
    /// CFSs both have: reconfigure through TMF640 only.
    pub kept: Vec<Arc<str>>,
}

/// The CFS-level difference between two offerings, each list in catalog order.
pub fn service_change(
    catalog: &Catalog,
    from_offering_id: &str,
    to_offering_id: &str,
) -> Result<ServiceChange, Rejection> {
    let from = services_for_offering(catalog, from_offering_id)?;
    let to = services_for_offering(catalog, to_offering_id)?;
    let mut change = ServiceChange::default();
    for id in to {
        if from.contains(id) {
            change.kept.push(Arc::clone(id));
        } else {
            change.added.push(Arc::clone(id));
        }
    }
    change.removed = from
        .iter()
        .filter(|id| !to.contains(id))
        .map(Arc::clone)
        .collect();
    Ok(change)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::{CatalogConfig, ServiceSpecification};

    fn builtin() -> Catalog {
        Catalog::builtin()
    }

    fn texts(ids: &[Arc<str>]) -> Vec<&str> {
        ids.iter().map(|id| &**id).collect()
    }

    fn resource_list(catalog: &Catalog, rfs: &str) -> Vec<(String, ResourceKind)> {
        resources_for(catalog, rfs)
            .unwrap()
            .into_iter()
            .map(|(id, kind)| (id.to_string(), kind))
            .collect()
    }

    #[test]
    fn fibre_broadband_decomposes_to_gpon_and_ip() {
        let catalog = builtin();
        let cfs = services_for_offering(&catalog, "fibre-broadband").unwrap();
        assert_eq!(texts(cfs), ["internet-access"]);
        let rfs = supporting_services(&catalog, "internet-access").unwrap();
        assert_eq!(texts(rfs), ["gpon-access", "ip-connectivity"]);
        assert_eq!(
            resource_list(&catalog, "gpon-access"),
            [
                ("onu-slot".to_string(), ResourceKind::OnuSlot),
                ("vlan-pair".to_string(), ResourceKind::VlanPair),
            ]
        );
        assert_eq!(
            resource_list(&catalog, "ip-connectivity"),
            [("ipv4-address".to_string(), ResourceKind::Ipv4Address)]
        );
    }

    #[test]
    fn dsl_broadband_decomposes_to_dslam_port_and_ip() {
        let catalog = builtin();
        let cfs = services_for_offering(&catalog, "dsl-broadband").unwrap();
        assert_eq!(texts(cfs), ["internet-access-dsl"]);
        let rfs = supporting_services(&catalog, "internet-access-dsl").unwrap();
        assert_eq!(texts(rfs), ["dsl-access", "ip-connectivity"]);
        assert_eq!(
            resource_list(&catalog, "dsl-access"),
            [("dslam-port".to_string(), ResourceKind::DslamPort)]
        );
    }

    #[test]
    fn iptv_is_an_add_on_with_a_multicast_vlan() {
        let catalog = builtin();
        let plan = plan(&catalog, "iptv").unwrap();
        assert!(!plan.is_sellable_alone);
        assert_eq!(
            plan,
            ServicePlan {
                offering: "iptv".into(),
                product_specification: "iptv-spec".into(),
                is_sellable_alone: false,
                services: vec![CfsPlan {
                    id: "iptv".into(),
                    supporting_services: vec![RfsPlan {
                        id: "multicast-access".into(),
                        resources: vec![ResourcePlan {
                            id: "multicast-vlan".into(),
                            kind: ResourceKind::MulticastVlan,
                        }],
                    }],
                }],
            }
        );
    }

    #[test]
    fn voip_decomposes_to_a_phone_number() {
        let catalog = builtin();
        let plan = plan(&catalog, "voip").unwrap();
        assert!(plan.is_sellable_alone);
        assert_eq!(plan.product_specification.as_ref(), "voip-spec");
        let [cfs] = plan.services.as_slice() else {
            panic!("one CFS expected: {plan:?}");
        };
        assert_eq!(cfs.id.as_ref(), "voip");
        let [rfs] = cfs.supporting_services.as_slice() else {
            panic!("one RFS expected: {cfs:?}");
        };
        assert_eq!(rfs.id.as_ref(), "voip-line");
        assert_eq!(
            rfs.resources,
            [ResourcePlan {
                id: "phone-number".into(),
                kind: ResourceKind::PhoneNumber,
            }]
        );
    }

    #[test]
    fn every_shipped_offering_plans_to_resources() {
        let catalog = builtin();
        let ids: Vec<&str> = catalog.offerings.keys().map(|id| &**id).collect();
        assert_eq!(ids, ["dsl-broadband", "fibre-broadband", "iptv", "voip"]);
        for id in ids {
            let plan = plan(&catalog, id).unwrap();
            assert!(!plan.services.is_empty(), "{id}");
            for cfs in &plan.services {
                assert!(!cfs.supporting_services.is_empty(), "{id}/{}", cfs.id);
                for rfs in &cfs.supporting_services {
                    assert!(!rfs.resources.is_empty(), "{id}/{}/{}", cfs.id, rfs.id);
                }
            }
        }
    }

    #[test]
    fn plan_serializes_in_camel_case() {
        let plan = plan(&builtin(), "fibre-broadband").unwrap();
        let json = serde_json::to_value(&plan).unwrap();
        assert_eq!(json["productSpecification"], "fibre-broadband-spec");
        assert_eq!(json["isSellableAlone"], true);
        let first = &json["services"][0]["supportingServices"][0]["resources"][0];
        assert_eq!(first["id"], "onu-slot");
        assert_eq!(first["kind"], "onuSlot");
    }

    #[test]
    fn unknown_offering_is_an_invalid_request_naming_it() {
        let refused = services_for_offering(&builtin(), "satellite").unwrap_err();
        assert_eq!(refused.kind, RejectionKind::InvalidRequest);
        assert!(
            refused.message.contains("`satellite`"),
            "{}",
            refused.message
        );
        let refused = plan(&builtin(), "satellite").unwrap_err();
        assert!(
            refused.message.contains("`satellite`"),
            "{}",
            refused.message
        );
    }

    #[test]
    fn unknown_or_wrong_category_services_are_rejected() {
        let catalog = builtin();
        for (result, named) in [
            (
                supporting_services(&catalog, "no-such-cfs").map(|_| ()),
                "no-such-cfs",
            ),
            (
                supporting_services(&catalog, "gpon-access").map(|_| ()),
                "gpon-access",
            ),
            (
                resources_for(&catalog, "no-such-rfs").map(|_| ()),
                "no-such-rfs",
            ),
            (
                resources_for(&catalog, "internet-access").map(|_| ()),
                "internet-access",
            ),
        ] {
            let refused = result.unwrap_err();
            assert_eq!(refused.kind, RejectionKind::InvalidRequest);
            assert!(refused.message.contains(named), "{}", refused.message);
        }
    }

    #[test]
    fn broken_unvalidated_catalog_is_rejected_not_panicked() {
        // Catalog's maps are public, so a catalog that skipped validation can exist.
        let mut catalog = builtin();
        catalog.resource_specifications.remove("vlan-pair");
        catalog.product_specifications.remove("voip-spec");
        let refused = resources_for(&catalog, "gpon-access").unwrap_err();
        assert!(refused.message.contains("vlan-pair"), "{}", refused.message);
        assert!(plan(&catalog, "fibre-broadband").is_err());
        let refused = services_for_offering(&catalog, "voip").unwrap_err();
        assert!(refused.message.contains("voip-spec"), "{}", refused.message);
    }

    #[test]
    fn custom_catalog_decomposes_through_its_own_entries() {
        let mut config = CatalogConfig::builtin();
        config.service_specifications.push(ServiceSpecification {
            id: "business-internet".into(),
            name: "Business Internet".into(),
            category: ServiceCategory::Cfs,
            services: vec!["gpon-access".into(), "ip-connectivity".into()],
            resources: Vec::new(),
            characteristics: Vec::new(),
        });
        config.product_specifications[0].services = vec!["business-internet".into()];
        let catalog = Catalog::from_config(&config).unwrap();
        let cfs = services_for_offering(&catalog, "fibre-broadband").unwrap();
        assert_eq!(texts(cfs), ["business-internet"]);
    }

    #[test]
    fn migration_from_dsl_to_fibre_replaces_the_access_cfs() {
        let change = service_change(&builtin(), "dsl-broadband", "fibre-broadband").unwrap();
        assert_eq!(texts(&change.added), ["internet-access"]);
        assert_eq!(texts(&change.removed), ["internet-access-dsl"]);
        assert!(change.kept.is_empty());
        let same = service_change(&builtin(), "voip", "voip").unwrap();
        assert_eq!(texts(&same.kept), ["voip"]);
        assert!(same.added.is_empty() && same.removed.is_empty());
        assert!(service_change(&builtin(), "voip", "satellite").is_err());
    }
}
