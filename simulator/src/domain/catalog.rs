//! The product catalog (TMF620), service catalog (TMF633) and resource catalog (TMF634).
//!
//! The catalog is configuration: it comes from the scenario (or the built-in one), is validated
//! once, and is then read-only and shared by every layer (`Arc<Catalog>`). It says how a
//! product offering decomposes: offering → product specification → CFS → RFS → resource
//! specifications. See `decompose` for the walk.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::domain::characteristic::{self, CharacteristicError, CharacteristicSpecification};

/// The catalog as written in a scenario (`[catalog]`); empty means the built-in one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CatalogConfig {
    /// TMF620 product offerings.
    pub offerings: Vec<ProductOffering>,
    /// TMF620 product specifications.
    pub product_specifications: Vec<ProductSpecification>,
    /// TMF633 service specifications (CFS and RFS).
    pub service_specifications: Vec<ServiceSpecification>,
    /// TMF634 resource specifications.
    pub resource_specifications: Vec<ResourceSpecification>,
}

/// A TMF620 product offering.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductOffering {
    /// Its id, as `productOffering.id` in an order.
    pub id: Arc<str>,
    /// Its name.
    pub name: String,
    /// The product specification it sells.
    pub product_specification: Arc<str>,
    /// Whether it can be ordered alone (false for add-ons such as IPTV, which need broadband).
    #[serde(default = "yes")]
    pub is_sellable_alone: bool,
}

const fn yes() -> bool {
    true
}

/// A TMF620 product specification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductSpecification {
    /// Its id.
    pub id: Arc<str>,
    /// Its name.
    pub name: String,
    /// The CFS specifications realising it.
    pub services: Vec<Arc<str>>,
    /// The characteristics an order item of it may carry (TMF620 `productSpecCharacteristic`).
    #[serde(default)]
    pub characteristics: Vec<CharacteristicSpecification>,
}

/// Customer-facing or resource-facing.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ServiceCategory {
    /// Customer-facing service.
    Cfs,
    /// Resource-facing service.
    Rfs,
}

impl ServiceCategory {
    /// `CFS` or `RFS`, as written in the catalog.
    pub const fn as_str(self) -> &'static str {
        match self {
            ServiceCategory::Cfs => "CFS",
            ServiceCategory::Rfs => "RFS",
        }
    }
}

/// A TMF633 service specification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpecification {
    /// Its id.
    pub id: Arc<str>,
    /// Its name.
    pub name: String,
    /// CFS or RFS.
    pub category: ServiceCategory,
    /// CFS: the RFS specifications supporting it. RFS: empty.
    #[serde(default)]
    pub services: Vec<Arc<str>>,
    /// RFS: the resource specifications it needs, in allocation order. CFS: empty.
    #[serde(default)]
    pub resources: Vec<Arc<str>>,
    /// The characteristics a service of it carries (TMF633 `specCharacteristic`).
    #[serde(default)]
    pub characteristics: Vec<CharacteristicSpecification>,
}

/// What a resource specification allocates.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ResourceKind {
    /// An ONU slot on a PON port.
    OnuSlot,
    /// An S-VLAN/C-VLAN pair on the ONU's PON port (needs an ONU slot earlier in the RFS).
    VlanPair,
    /// An IPv4 address from the region's pool.
    Ipv4Address,
    /// A DSLAM port.
    DslamPort,
    /// Membership of the region's multicast VLAN.
    MulticastVlan,
    /// A telephone number.
    PhoneNumber,
}

/// A TMF634 resource specification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceSpecification {
    /// Its id.
    pub id: Arc<str>,
    /// Its name.
    pub name: String,
    /// What it allocates.
    pub kind: ResourceKind,
}

/// A validated catalog with lookups by id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Catalog {
    /// Offerings by id.
    pub offerings: BTreeMap<Arc<str>, ProductOffering>,
    /// Product specifications by id.
    pub product_specifications: BTreeMap<Arc<str>, ProductSpecification>,
    /// Service specifications by id.
    pub service_specifications: BTreeMap<Arc<str>, ServiceSpecification>,
    /// Resource specifications by id.
    pub resource_specifications: BTreeMap<Arc<str>, ResourceSpecification>,
    /// Every characteristic the catalog knows, by name: the [`characteristic::intrinsic`]
    /// ones and those its specifications declare (a name means one thing catalog-wide).
    pub characteristics: BTreeMap<Arc<str>, CharacteristicSpecification>,
}

/// A catalog that does not hang together.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("catalog: {0}")]
pub struct CatalogError(pub String);

impl CatalogConfig {
    /// Whether nothing was written (the scenario wants the built-in catalog).
    pub fn is_empty(&self) -> bool {
        self.offerings.is_empty()
            && self.product_specifications.is_empty()
            && self.service_specifications.is_empty()
            && self.resource_specifications.is_empty()
    }

    /// The built-in catalog written out as configuration (what [`Catalog::builtin`] holds).
    pub fn builtin() -> CatalogConfig {
        builtin::config()
    }
}

impl Catalog {
    /// The shipped example: fibre and DSL broadband, the IPTV add-on and VoIP.
    pub fn builtin() -> Catalog {
        // The built-in configuration is a constant of this crate, checked by a test.
        Catalog::index(&builtin::config())
    }

    /// Validates a scenario's catalog; an empty one means [`Catalog::builtin`].
    pub fn from_config(config: &CatalogConfig) -> Result<Catalog, CatalogError> {
        if config.is_empty() {
            return Ok(Catalog::builtin());
        }
        validate::unique_ids(config)?;
        validate::characteristics(config)?;
        let catalog = Catalog::index(config);
        validate::references(config, &catalog)?;
        Ok(catalog)
    }

    /// Indexes the lists by id (later duplicates would win; `from_config` refuses them first).
    fn index(config: &CatalogConfig) -> Catalog {
        fn by_id<T: Clone>(list: &[T], id: impl Fn(&T) -> &Arc<str>) -> BTreeMap<Arc<str>, T> {
            list.iter()
                .map(|entry| (Arc::clone(id(entry)), entry.clone()))
                .collect()
        }
        Catalog {
            offerings: by_id(&config.offerings, |o| &o.id),
            product_specifications: by_id(&config.product_specifications, |p| &p.id),
            service_specifications: by_id(&config.service_specifications, |s| &s.id),
            resource_specifications: by_id(&config.resource_specifications, |r| &r.id),
            characteristics: known_characteristics(config),
        }
    }

    /// The specification of the characteristic called `name`, if the catalog knows it.
    pub fn characteristic(&self, name: &str) -> Option<&CharacteristicSpecification> {
        self.characteristics.get(name)
    }

    /// Checks an order item's characteristic values (at `path()` in the request, built only for an error) by type and
    /// range against [`Catalog::characteristic`]; unknown names pass.
    pub fn check_characteristics<'v>(
        &self,
        path: impl FnOnce() -> String,
        list: impl IntoIterator<Item = (&'v str, &'v serde_json::Value)>,
    ) -> Result<(), CharacteristicError> {
        characteristic::check(path, list, |name| self.characteristic(name))
    }

    /// The offering with this id.
    pub fn offering(&self, id: &str) -> Option<&ProductOffering> {
        self.offerings.get(id)
    }

    /// The product specification with this id.
    pub fn product_specification(&self, id: &str) -> Option<&ProductSpecification> {
        self.product_specifications.get(id)
    }

    /// The service specification (CFS or RFS) with this id.
    pub fn service_specification(&self, id: &str) -> Option<&ServiceSpecification> {
        self.service_specifications.get(id)
    }

    /// The resource specification with this id.
    pub fn resource_specification(&self, id: &str) -> Option<&ResourceSpecification> {
        self.resource_specifications.get(id)
    }

    /// The product specification an offering sells.
    pub fn offering_specification(&self, offering_id: &str) -> Option<&ProductSpecification> {
        self.product_specification(&self.offering(offering_id)?.product_specification)
    }
}

/// The intrinsic characteristics, then every one the specifications declare, by name.
fn known_characteristics(
    config: &CatalogConfig,
) -> BTreeMap<Arc<str>, CharacteristicSpecification> {
    let declared = config
        .product_specifications
        .iter()
        .flat_map(|p| &p.characteristics)
        .chain(
            config
                .service_specifications
                .iter()
                .flat_map(|s| &s.characteristics),
        );
    characteristic::intrinsic()
        .into_iter()
        .chain(declared.cloned())
        .map(|spec| (Arc::clone(&spec.name), spec))
        .collect()
}

/// The shipped example catalog.
mod builtin {
    use std::sync::Arc;

    use super::{
        CatalogConfig, CharacteristicSpecification, ProductOffering, ProductSpecification,
        ResourceKind, ResourceSpecification, ServiceCategory, ServiceSpecification,
    };
    use crate::domain::characteristic;

    /// The intrinsic characteristics called `names`, then the speed when `speed_max` is given.
    fn characteristics(names: &[&str], speed_max: Option<i64>) -> Vec<CharacteristicSpecification> {
        let mut list: Vec<_> = characteristic::intrinsic()
            .into_iter()
            .filter(|spec| names.contains(&&*spec.name))
            .collect();
        list.extend(speed_max.map(|_| speed()));
        list
    }

    /// One speed characteristic for every access technology (a name means one thing
    /// catalog-wide): 1 Mbit/s up to 10 Gbit/s (XGS-PON).
    fn speed() -> CharacteristicSpecification {
        CharacteristicSpecification::integer(
            "downstreamSpeedMbps",
            "Downstream speed, Mbit/s.",
            1,
            10_000,
        )
    }

    fn ids(list: &[&str]) -> Vec<Arc<str>> {
        list.iter().map(|id| Arc::from(*id)).collect()
    }

    fn offering(id: &str, name: &str, specification: &str, alone: bool) -> ProductOffering {
        ProductOffering {
            id: id.into(),
            name: name.to_string(),
            product_specification: specification.into(),
            is_sellable_alone: alone,
        }
    }

    fn product(
        id: &str,
        name: &str,
        services: &[&str],
        characteristics: Vec<CharacteristicSpecification>,
    ) -> ProductSpecification {
        ProductSpecification {
            id: id.into(),
            name: name.to_string(),
            services: ids(services),
            characteristics,
        }
    }

    fn cfs(
        id: &str,
        name: &str,
        services: &[&str],
        characteristics: Vec<CharacteristicSpecification>,
    ) -> ServiceSpecification {
        ServiceSpecification {
            id: id.into(),
            name: name.to_string(),
            category: ServiceCategory::Cfs,
            services: ids(services),
            resources: Vec::new(),
            characteristics,
        }
    }

    fn rfs(id: &str, name: &str, resources: &[&str]) -> ServiceSpecification {
        ServiceSpecification {
            id: id.into(),
            name: name.to_string(),
            category: ServiceCategory::Rfs,
            services: Vec::new(),
            resources: ids(resources),
            characteristics: Vec::new(),
        }
    }

    fn resource(id: &str, name: &str, kind: ResourceKind) -> ResourceSpecification {
        ResourceSpecification {
            id: id.into(),
            name: name.to_string(),
            kind,
        }
    }

    pub(super) fn config() -> CatalogConfig {
        CatalogConfig {
            offerings: vec![
                offering(
                    "fibre-broadband",
                    "Fibre Broadband",
                    "fibre-broadband-spec",
                    true,
                ),
                offering("dsl-broadband", "DSL Broadband", "dsl-broadband-spec", true),
                offering("iptv", "IPTV Add-on", "iptv-spec", false),
                offering("voip", "VoIP Telephony", "voip-spec", true),
            ],
            product_specifications: vec![
                product(
                    "fibre-broadband-spec",
                    "Fibre Broadband",
                    &["internet-access"],
                    characteristics(&["region", "oltId", "addOn"], Some(10_000)),
                ),
                product(
                    "dsl-broadband-spec",
                    "DSL Broadband",
                    &["internet-access-dsl"],
                    characteristics(&["region", "addOn"], Some(10_000)),
                ),
                product(
                    "iptv-spec",
                    "IPTV",
                    &["iptv"],
                    characteristics(&["region"], None),
                ),
                product(
                    "voip-spec",
                    "VoIP Telephony",
                    &["voip"],
                    characteristics(&["region"], None),
                ),
            ],
            service_specifications: vec![
                cfs(
                    "internet-access",
                    "Internet Access (fibre)",
                    &["gpon-access", "ip-connectivity"],
                    characteristics(&["region", "oltId"], Some(10_000)),
                ),
                cfs(
                    "internet-access-dsl",
                    "Internet Access (DSL)",
                    &["dsl-access", "ip-connectivity"],
                    characteristics(&["region"], Some(10_000)),
                ),
                cfs(
                    "iptv",
                    "IPTV",
                    &["multicast-access"],
                    characteristics(&["region"], None),
                ),
                cfs(
                    "voip",
                    "VoIP",
                    &["voip-line"],
                    characteristics(&["region"], None),
                ),
                rfs("gpon-access", "GPON Access", &["onu-slot", "vlan-pair"]),
                rfs("dsl-access", "DSL Access", &["dslam-port"]),
                rfs("ip-connectivity", "IP Connectivity", &["ipv4-address"]),
                rfs("multicast-access", "Multicast Access", &["multicast-vlan"]),
                rfs("voip-line", "VoIP Line", &["phone-number"]),
            ],
            resource_specifications: vec![
                resource("onu-slot", "ONU Slot", ResourceKind::OnuSlot),
                resource("vlan-pair", "S-VLAN/C-VLAN Pair", ResourceKind::VlanPair),
                resource("ipv4-address", "IPv4 Address", ResourceKind::Ipv4Address),
                resource("dslam-port", "DSLAM Port", ResourceKind::DslamPort),
                resource(
                    "multicast-vlan",
                    "Multicast VLAN",
                    ResourceKind::MulticastVlan,
                ),
                resource(
                    "phone-number",
                    "Telephone Number",
                    ResourceKind::PhoneNumber,
                ),
            ],
        }
    }
}

/// The checks `Catalog::from_config` makes; errors name the entry by its path in `[catalog]`.
mod validate {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use super::{
        Catalog, CatalogConfig, CatalogError, CharacteristicSpecification, ResourceKind,
        ServiceCategory,
    };
    use crate::domain::characteristic;

    /// Every characteristic specification is usable, and a name means one thing: two
    /// declarations of a name agree, and agree with the intrinsic one of that name.
    pub(super) fn characteristics(config: &CatalogConfig) -> Result<(), CatalogError> {
        let products = config
            .product_specifications
            .iter()
            .enumerate()
            .flat_map(|(i, p)| {
                let path = move |j| format!("product_specifications[{i}].characteristics[{j}]");
                p.characteristics
                    .iter()
                    .enumerate()
                    .map(move |(j, c)| (path(j), c))
            });
        let services = config
            .service_specifications
            .iter()
            .enumerate()
            .flat_map(|(i, s)| {
                let path = move |j| format!("service_specifications[{i}].characteristics[{j}]");
                s.characteristics
                    .iter()
                    .enumerate()
                    .map(move |(j, c)| (path(j), c))
            });
        let mut seen: std::collections::BTreeMap<Arc<str>, CharacteristicSpecification> =
            characteristic::intrinsic()
                .into_iter()
                .map(|spec| (Arc::clone(&spec.name), spec))
                .collect();
        for (path, spec) in products.chain(services) {
            if let Some(problem) = spec.problem() {
                return Err(error(format!("{path}: {problem}")));
            }
            match seen.get(&spec.name) {
                Some(known) if !same_meaning(known, spec) => {
                    return Err(error(format!(
                        "{path} `{}` is declared elsewhere as {}; a name means one thing",
                        spec.name,
                        known.expected()
                    )));
                }
                Some(_) => {}
                None => {
                    seen.insert(Arc::clone(&spec.name), spec.clone());
                }
            }
        }
        Ok(())
    }

    /// Same type, range and meaning (descriptions may differ).
    fn same_meaning(a: &CharacteristicSpecification, b: &CharacteristicSpecification) -> bool {
        (a.value_type, a.value_from, a.value_to, &a.names)
            == (b.value_type, b.value_from, b.value_to, &b.names)
    }

    fn error(message: String) -> CatalogError {
        CatalogError(message)
    }

    /// Every id is non-empty and unique within its kind of entry.
    pub(super) fn unique_ids(config: &CatalogConfig) -> Result<(), CatalogError> {
        fn check<'a>(
            section: &str,
            ids: impl Iterator<Item = &'a Arc<str>>,
        ) -> Result<(), CatalogError> {
            let mut seen = BTreeSet::new();
            for (index, id) in ids.enumerate() {
                if id.trim().is_empty() {
                    return Err(error(format!("{section}[{index}].id is empty")));
                }
                if !seen.insert(id) {
                    return Err(error(format!("{section}[{index}].id `{id}` is used twice")));
                }
            }
            Ok(())
        }
        check("offerings", config.offerings.iter().map(|o| &o.id))?;
        check(
            "product_specifications",
            config.product_specifications.iter().map(|p| &p.id),
        )?;
        check(
            "service_specifications",
            config.service_specifications.iter().map(|s| &s.id),
        )?;
        check(
            "resource_specifications",
            config.resource_specifications.iter().map(|r| &r.id),
        )
    }

    /// No list names the same id twice (it would be decomposed twice).
    fn no_repeats(path: &str, ids: &[Arc<str>]) -> Result<(), CatalogError> {
        let mut seen = BTreeSet::new();
        for (index, id) in ids.iter().enumerate() {
            if !seen.insert(id) {
                return Err(error(format!("{path}[{index}] repeats `{id}`")));
            }
        }
        Ok(())
    }

    /// Every reference resolves to an entry of the right kind, and nothing decomposes to nothing.
    pub(super) fn references(
        config: &CatalogConfig,
        catalog: &Catalog,
    ) -> Result<(), CatalogError> {
        for (index, offering) in config.offerings.iter().enumerate() {
            let id = &offering.product_specification;
            if catalog.product_specification(id).is_none() {
                return Err(error(format!(
                    "offerings[{index}].product_specification `{id}` is not a product specification"
                )));
            }
        }
        for (index, product) in config.product_specifications.iter().enumerate() {
            let path = format!("product_specifications[{index}].services");
            services(catalog, &path, &product.services, ServiceCategory::Cfs)?;
        }
        for (index, service) in config.service_specifications.iter().enumerate() {
            let path = format!("service_specifications[{index}]");
            match service.category {
                ServiceCategory::Cfs => cfs(catalog, &path, service)?,
                ServiceCategory::Rfs => rfs(catalog, &path, service)?,
            }
        }
        Ok(())
    }

    /// `ids` is non-empty, has no repeats, and names only services of `category`.
    fn services(
        catalog: &Catalog,
        path: &str,
        ids: &[Arc<str>],
        category: ServiceCategory,
    ) -> Result<(), CatalogError> {
        if ids.is_empty() {
            return Err(error(format!(
                "{path} is empty: it must name at least one {} specification",
                category.as_str()
            )));
        }
        no_repeats(path, ids)?;
        for (index, id) in ids.iter().enumerate() {
            match catalog.service_specification(id) {
                None => {
                    return Err(error(format!(
                        "{path}[{index}] `{id}` is not a service specification"
                    )));
                }
                Some(found) if found.category != category => {
                    return Err(error(format!(
                        "{path}[{index}] `{id}` is of category {}, expected {}",
                        found.category.as_str(),
                        category.as_str()
                    )));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    fn cfs(
        catalog: &Catalog,
        path: &str,
        service: &super::ServiceSpecification,
    ) -> Result<(), CatalogError> {
        if !service.resources.is_empty() {
            return Err(error(format!(
                "{path}.resources: a CFS takes resources through its RFSs, not directly"
            )));
        }
        services(
            catalog,
            &format!("{path}.services"),
            &service.services,
            ServiceCategory::Rfs,
        )
    }

    fn rfs(
        catalog: &Catalog,
        path: &str,
        service: &super::ServiceSpecification,
    ) -> Result<(), CatalogError> {
        if !service.services.is_empty() {
            return Err(error(format!(
                "{path}.services: an RFS names resources, not other services"
            )));
        }
        let path = format!("{path}.resources");
        if service.resources.is_empty() {
            return Err(error(format!(
                "{path} is empty: an RFS needs at least one resource"
            )));
        }
        no_repeats(&path, &service.resources)?;
        let mut onu_slot_seen = false;
        for (index, id) in service.resources.iter().enumerate() {
            let Some(resource) = catalog.resource_specification(id) else {
                return Err(error(format!(
                    "{path}[{index}] `{id}` is not a resource specification"
                )));
            };
            match resource.kind {
                ResourceKind::OnuSlot => onu_slot_seen = true,
                ResourceKind::VlanPair if !onu_slot_seen => {
                    return Err(error(format!(
                        "{path}[{index}] `{id}` is a vlanPair, which needs an onuSlot earlier in the same RFS"
                    )));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(config: &CatalogConfig) -> String {
        match Catalog::from_config(config) {
            Ok(catalog) => panic!("accepted: {catalog:?}"),
            Err(CatalogError(message)) => message,
        }
    }

    fn assert_refused(config: &CatalogConfig, parts: &[&str]) {
        let message = refused(config);
        for part in parts {
            assert!(message.contains(part), "`{message}` lacks `{part}`");
        }
    }

    #[test]
    fn builtin_passes_its_own_validation() {
        let config = CatalogConfig::builtin();
        assert!(!config.is_empty());
        // Skip the empty-means-builtin shortcut by validating the written-out lists.
        validate::unique_ids(&config).unwrap();
        let catalog = Catalog::index(&config);
        validate::references(&config, &catalog).unwrap();
        assert_eq!(Catalog::from_config(&config).unwrap(), Catalog::builtin());
    }

    #[test]
    fn empty_config_means_builtin() {
        let catalog = Catalog::from_config(&CatalogConfig::default()).unwrap();
        assert_eq!(catalog, Catalog::builtin());
        assert_eq!(catalog.offerings.len(), 4);
        assert_eq!(catalog.service_specifications.len(), 9);
        assert_eq!(catalog.resource_specifications.len(), 6);
    }

    #[test]
    fn builtin_names_are_human_readable() {
        let catalog = Catalog::builtin();
        let names = catalog
            .offerings
            .values()
            .map(|o| (&o.id, &o.name))
            .chain(
                catalog
                    .product_specifications
                    .values()
                    .map(|p| (&p.id, &p.name)),
            )
            .chain(
                catalog
                    .service_specifications
                    .values()
                    .map(|s| (&s.id, &s.name)),
            )
            .chain(
                catalog
                    .resource_specifications
                    .values()
                    .map(|r| (&r.id, &r.name)),
            );
        for (id, name) in names {
            assert!(
                name.chars().next().is_some_and(char::is_uppercase),
                "{id}: {name}"
            );
            assert_ne!(&**id, name.as_str());
        }
    }

    #[test]
    fn lookups_find_entries_by_id() {
        let catalog = Catalog::builtin();
        let iptv = catalog.offering("iptv").unwrap();
        assert!(!iptv.is_sellable_alone);
        assert!(
            catalog
                .offering("fibre-broadband")
                .unwrap()
                .is_sellable_alone
        );
        assert_eq!(
            catalog
                .offering_specification("fibre-broadband")
                .unwrap()
                .id
                .as_ref(),
            "fibre-broadband-spec"
        );
        assert_eq!(
            catalog
                .service_specification("gpon-access")
                .unwrap()
                .category,
            ServiceCategory::Rfs
        );
        assert_eq!(
            catalog.resource_specification("vlan-pair").unwrap().kind,
            ResourceKind::VlanPair
        );
        assert!(catalog.offering("fibre-broadband-spec").is_none());
        assert!(catalog.product_specification("nope").is_none());
        assert!(catalog.offering_specification("nope").is_none());
    }

    #[test]
    fn duplicate_and_empty_ids_are_refused() {
        let mut config = CatalogConfig::builtin();
        let copy = config.resource_specifications[0].clone();
        config.resource_specifications.push(copy);
        assert_refused(
            &config,
            &["resource_specifications[6].id", "`onu-slot`", "twice"],
        );

        let mut config = CatalogConfig::builtin();
        config.offerings[1].id = "".into();
        assert_refused(&config, &["offerings[1].id", "empty"]);
    }

    #[test]
    fn unresolved_references_are_refused() {
        let mut config = CatalogConfig::builtin();
        config.offerings[2].product_specification = "tv-spec".into();
        assert_refused(
            &config,
            &["offerings[2].product_specification", "`tv-spec`"],
        );

        let mut config = CatalogConfig::builtin();
        config.product_specifications[3].services = vec!["telephony".into()];
        assert_refused(
            &config,
            &["product_specifications[3].services[0]", "`telephony`"],
        );

        let mut config = CatalogConfig::builtin();
        config.service_specifications[2].services = vec!["multicast".into()];
        assert_refused(
            &config,
            &["service_specifications[2].services[0]", "`multicast`"],
        );

        let mut config = CatalogConfig::builtin();
        config.service_specifications[8].resources = vec!["e164-number".into()];
        assert_refused(
            &config,
            &["service_specifications[8].resources[0]", "`e164-number`"],
        );
    }

    #[test]
    fn references_of_the_wrong_kind_are_refused() {
        // A product specification naming an RFS.
        let mut config = CatalogConfig::builtin();
        config.product_specifications[0].services = vec!["gpon-access".into()];
        assert_refused(
            &config,
            &[
                "product_specifications[0].services[0]",
                "is of category RFS, expected CFS",
            ],
        );

        // A CFS naming a CFS.
        let mut config = CatalogConfig::builtin();
        config.service_specifications[0].services = vec!["iptv".into()];
        assert_refused(
            &config,
            &["service_specifications[0].services[0]", "`iptv`"],
        );

        // A CFS naming a resource directly.
        let mut config = CatalogConfig::builtin();
        config.service_specifications[3].resources = vec!["phone-number".into()];
        assert_refused(&config, &["service_specifications[3].resources", "CFS"]);

        // An RFS naming a service.
        let mut config = CatalogConfig::builtin();
        config.service_specifications[6].services = vec!["gpon-access".into()];
        assert_refused(&config, &["service_specifications[6].services", "RFS"]);

        // An RFS naming a service id as a resource.
        let mut config = CatalogConfig::builtin();
        config.service_specifications[6].resources = vec!["gpon-access".into()];
        assert_refused(
            &config,
            &["service_specifications[6].resources[0]", "`gpon-access`"],
        );
    }

    #[test]
    fn vlan_pair_needs_an_onu_slot_before_it() {
        let mut config = CatalogConfig::builtin();
        config.service_specifications[4].resources.reverse();
        assert_refused(
            &config,
            &["service_specifications[4].resources[0]", "onuSlot"],
        );

        let mut config = CatalogConfig::builtin();
        config.service_specifications[4].resources = vec!["vlan-pair".into()];
        assert_refused(
            &config,
            &["service_specifications[4].resources[0]", "vlanPair"],
        );
    }

    #[test]
    fn empty_decompositions_and_repeats_are_refused() {
        let mut config = CatalogConfig::builtin();
        config.product_specifications[1].services.clear();
        assert_refused(&config, &["product_specifications[1].services", "empty"]);

        let mut config = CatalogConfig::builtin();
        config.service_specifications[1].services.clear();
        assert_refused(&config, &["service_specifications[1].services", "empty"]);

        let mut config = CatalogConfig::builtin();
        config.service_specifications[7].resources.clear();
        assert_refused(&config, &["service_specifications[7].resources", "empty"]);

        let mut config = CatalogConfig::builtin();
        config.service_specifications[0]
            .services
            .push("gpon-access".into());
        assert_refused(
            &config,
            &["service_specifications[0].services[2]", "repeats"],
        );
    }

    #[test]
    fn partial_config_is_validated_not_merged_with_builtin() {
        let config = CatalogConfig {
            offerings: CatalogConfig::builtin().offerings,
            ..CatalogConfig::default()
        };
        assert_refused(&config, &["offerings[0].product_specification"]);
    }

    #[test]
    fn every_catalog_knows_the_characteristics_the_chain_reads() {
        let builtin = Catalog::builtin();
        let speed = builtin.characteristic("downstreamSpeedMbps").unwrap();
        assert_eq!((speed.value_from, speed.value_to), (Some(1), Some(10_000)));
        for name in ["region", "oltId", "addOn"] {
            assert!(builtin.characteristic(name).is_some(), "{name}");
        }
        assert!(builtin.characteristic("colour").is_none());
        let minimal = Catalog::index(&CatalogConfig {
            product_specifications: vec![ProductSpecification {
                id: "p".into(),
                name: "P".into(),
                services: Vec::new(),
                characteristics: Vec::new(),
            }],
            ..CatalogConfig::default()
        });
        assert!(minimal.characteristic("region").is_some());
        assert!(minimal.characteristic("downstreamSpeedMbps").is_none());
        let null = serde_json::Value::Null;
        let error = builtin
            .check_characteristics(|| "x".to_string(), [("region", &null)])
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "x[region].value must be a string naming a region"
        );
    }

    #[test]
    fn characteristic_specifications_are_validated() {
        let mut config = CatalogConfig::builtin();
        config.product_specifications[3].characteristics[0].value_type =
            crate::domain::characteristic::ValueType::Integer;
        assert_refused(
            &config,
            &[
                "product_specifications[3].characteristics[0]",
                "`region`",
                "one thing",
            ],
        );

        let mut config = CatalogConfig::builtin();
        config.service_specifications[1].characteristics[1].value_to = Some(100);
        assert_refused(
            &config,
            &[
                "service_specifications[1].characteristics[1]",
                "downstreamSpeedMbps",
            ],
        );

        let mut config = CatalogConfig::builtin();
        config.service_specifications[0].characteristics[2].value_from = Some(20_000);
        assert_refused(
            &config,
            &["service_specifications[0].characteristics[2]", "above"],
        );
    }

    #[test]
    fn catalog_config_reads_from_toml() {
        let text = r#"
            [[offerings]]
            id = "fast-fibre"
            name = "Fast Fibre"
            product_specification = "fast-fibre-spec"

            [[product_specifications]]
            id = "fast-fibre-spec"
            name = "Fast Fibre"
            services = ["access"]

            [[service_specifications]]
            id = "access"
            name = "Access"
            category = "CFS"
            services = ["gpon"]

            [[product_specifications.characteristics]]
            name = "downstreamSpeedMbps"
            value_type = "integer"
            value_from = 100
            value_to = 2500

            [[service_specifications]]
            id = "gpon"
            name = "GPON"
            category = "RFS"
            resources = ["onu", "vlans"]

            [[resource_specifications]]
            id = "onu"
            name = "ONU"
            kind = "onuSlot"

            [[resource_specifications]]
            id = "vlans"
            name = "VLANs"
            kind = "vlanPair"
        "#;
        let config: CatalogConfig = toml::from_str(text).unwrap();
        let catalog = Catalog::from_config(&config).unwrap();
        assert!(catalog.offering("fast-fibre").unwrap().is_sellable_alone);
        assert_eq!(catalog.offerings.len(), 1);
        let speed = catalog.characteristic("downstreamSpeedMbps").unwrap();
        assert_eq!(speed.expected(), "an integer from 100 to 2500");
    }
}
