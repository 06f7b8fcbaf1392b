//! TMF630 attribute selection: `fields=state,serviceOrderItem.state` keeps `id` and the named
//! attributes; a dotted name keeps that attribute inside each nested object (and each element
//! of a nested array), with the nested object's `id`. Nothing else is added.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::QueryError;
use super::filter::split_path;
use super::schema::Resource;

/// How many attributes one `fields` list may name at most.
pub const FIELDS_MAX: usize = 64;

/// The attributes to keep, as a tree of names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fields {
    /// Keep the whole attribute (a name listed without a dotted child).
    whole: bool,
    /// The attributes to keep below this one.
    children: BTreeMap<String, Fields>,
    /// How many names were listed.
    count: usize,
}

impl Fields {
    /// Adds the comma-separated names of one `fields` parameter, refusing an attribute
    /// `resource` does not have.
    pub fn add(&mut self, resource: Resource, list: &str) -> Result<(), QueryError> {
        for name in list
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
        {
            self.count += 1;
            if self.count > FIELDS_MAX {
                return Err(QueryError::new(format!(
                    "`fields` names more than {FIELDS_MAX} attributes"
                )));
            }
            let path = split_path(name, "field")?;
            if !resource.has(&path) {
                return Err(QueryError::unknown(resource, "`fields` names", name));
            }
            let mut node = &mut *self;
            for segment in path {
                node = node.children.entry(segment).or_default();
            }
            node.whole = true;
        }
        Ok(())
    }

    /// `value` with only `id` and the selected attributes.
    pub fn project(&self, value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut kept = Map::new();
                if let Some(id) = map.get("id") {
                    kept.insert("id".to_string(), id.clone());
                }
                for (name, child) in &self.children {
                    if let Some(inner) = map.get(name) {
                        let inner = match child.whole {
                            true => inner.clone(),
                            false => child.project(inner),
                        };
                        kept.insert(name.clone(), inner);
                    }
                }
                Value::Object(kept)
            }
            Value::Array(elements) => Value::Array(
                elements
                    .iter()
                    .map(|element| self.project(element))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(list: &str) -> Result<Fields, QueryError> {
        let mut fields = Fields::default();
        fields.add(Resource::ServiceOrder, list)?;
        Ok(fields)
    }

    #[test]
    fn keeps_id_and_the_named_attributes_nested_or_whole() {
        let order = json!({"id": "SO-1", "href": "h", "@type": "ServiceOrder", "state": "completed",
            "externalId": "x", "serviceOrderItem": [
                {"id": "1", "action": "add", "state": "completed", "service": {"id": "S-1", "state": "active"}},
                {"id": "2", "action": "add", "state": "failed"}]});
        assert_eq!(
            fields("state").expect("ok").project(&order),
            json!({"id": "SO-1", "state": "completed"})
        );
        assert_eq!(
            fields("serviceOrderItem.state, externalId")
                .expect("ok")
                .project(&order),
            json!({"id": "SO-1", "externalId": "x", "serviceOrderItem": [
                {"id": "1", "state": "completed"}, {"id": "2", "state": "failed"}]})
        );
        assert_eq!(
            fields("serviceOrderItem.service.state")
                .expect("ok")
                .project(&order)["serviceOrderItem"][0],
            json!({"id": "1", "service": {"id": "S-1", "state": "active"}})
        );
        let whole = fields("serviceOrderItem,serviceOrderItem.state").expect("ok");
        assert_eq!(
            whole.project(&order)["serviceOrderItem"],
            order["serviceOrderItem"]
        );
        assert_eq!(
            fields("").expect("ok").project(&order),
            json!({"id": "SO-1"})
        );
    }

    #[test]
    fn refuses_unknown_attributes_and_long_lists() {
        for bad in [
            "foo",
            "state,serviceOrderItem.foo",
            "serviceOrderItem..state",
        ] {
            assert!(fields(bad).is_err(), "{bad}");
        }
        assert!(fields(&["state"; FIELDS_MAX + 1].join(",")).is_err());
    }
}
