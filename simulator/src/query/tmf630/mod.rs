//! TMF630 queries, pure: the parameters of a list or a GET by id are parsed against the
//! resource's attributes ([`schema`]), then applied to rendered JSON: filters ([`filter`]),
//! attribute selection ([`fields`]), sorting ([`sort`]), paging. Anything unknown or
//! unsupported is a [`QueryError`] (a 400), never a silent empty list.
//!
//! Filters on the resource's state attribute and on `externalId` with `=`/`.eq`/`.ne` are
//! answered by [`ListQuery::matches_domain`] on the domain structs, before anything is
//! rendered; [`Selection`] renders an entity only when a remaining filter, the sort or the
//! page needs it.

pub mod fields;
pub mod filter;
pub mod schema;
pub mod sort;
pub mod value;

use serde_json::Value;

use fields::Fields;
use filter::{Filter, Operator};
use schema::Resource;
use sort::SortKey;

/// The default page size.
pub const LIMIT_DEFAULT: usize = 100;

/// How many filters one request may carry at most.
pub const FILTERS_MAX: usize = 32;

/// A query parameter this API cannot honour: answered 400 with `message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError {
    /// A sentence for the client.
    pub message: String,
}

impl QueryError {
    /// An error saying `message`.
    pub fn new(message: impl Into<String>) -> QueryError {
        QueryError {
            message: message.into(),
        }
    }

    /// "`what` `name`, which `resource` does not have".
    pub fn unknown(resource: Resource, what: &str, name: &str) -> QueryError {
        let name = filter::short(name);
        QueryError::new(format!(
            "{what} `{name}`, but {} has no attribute `{name}`",
            resource.name()
        ))
    }
}

/// A parsed list request.
#[derive(Clone, Debug, PartialEq)]
pub struct ListQuery {
    /// The attributes to keep; `None`: all.
    pub fields: Option<Fields>,
    /// How many matches to skip.
    pub offset: usize,
    /// How many to return at most.
    pub limit: usize,
    /// Filters on the rendered JSON, all of which must pass.
    pub filters: Vec<Filter>,
    /// Filters on the state attribute, answered on the domain struct.
    pub state: Vec<Filter>,
    /// Filters on `externalId`, answered on the domain struct.
    pub external_id: Vec<Filter>,
    /// The sort keys; empty: store order.
    pub sort: Vec<SortKey>,
}

fn parse_number(name: &str, text: &str) -> Result<usize, QueryError> {
    text.parse::<usize>().map_err(|_| {
        QueryError::new(format!(
            "`{name}` must be a non-negative integer, not `{}`",
            text.chars().take(32).collect::<String>()
        ))
    })
}

/// Reads the `fields` of a GET by id; any other parameter but `depth`/`expand` is refused.
pub fn parse_fields(
    pairs: &[(String, String)],
    resource: Resource,
) -> Result<Option<Fields>, QueryError> {
    let mut fields: Option<Fields> = None;
    for (name, value) in pairs {
        match name.as_str() {
            "fields" => fields.get_or_insert_default().add(resource, value)?,
            "depth" | "expand" => {}
            _ => {
                return Err(QueryError::new(format!(
                    "`{}` is not supported on a single {} (only `fields`)",
                    name.chars().take(64).collect::<String>(),
                    resource.name()
                )));
            }
        }
    }
    Ok(fields)
}

impl ListQuery {
    /// Parses the query pairs of a list of `resource`; `limit` above `limit_max`, unparsable
    /// numbers, unknown attributes and unsupported operators are refused.
    pub fn parse(
        pairs: &[(String, String)],
        limit_max: usize,
        resource: Resource,
    ) -> Result<ListQuery, QueryError> {
        let mut query = ListQuery {
            fields: None,
            offset: 0,
            limit: LIMIT_DEFAULT.min(limit_max),
            filters: Vec::new(),
            state: Vec::new(),
            external_id: Vec::new(),
            sort: Vec::new(),
        };
        let mut filters: Vec<Filter> = Vec::new();
        for (name, value) in pairs {
            match name.as_str() {
                "fields" => query.fields.get_or_insert_default().add(resource, value)?,
                "offset" => query.offset = parse_number(name, value)?,
                "limit" => {
                    query.limit = parse_number(name, value)?;
                    if query.limit == 0 || query.limit > limit_max {
                        return Err(QueryError::new(format!(
                            "`limit` must be between 1 and {limit_max}"
                        )));
                    }
                }
                "sort" => sort::add_keys(&mut query.sort, resource, value)?,
                "depth" | "expand" => {}
                "filter" => {
                    return Err(QueryError::new(
                        "`filter` (JSONPath, TMF630 part 6) is not supported; use \
                         attribute filters such as `state=completed`",
                    ));
                }
                _ => {
                    let filter = Filter::parse(resource, name, value)?;
                    if !filters.iter_mut().any(|known| known.absorb(&filter)) {
                        filters.push(filter);
                    }
                    if filters.len() > FILTERS_MAX {
                        return Err(QueryError::new(format!(
                            "a list takes at most {FILTERS_MAX} filters"
                        )));
                    }
                }
            }
        }
        query.place(filters, resource);
        Ok(query)
    }

    /// Puts equality filters on the state attribute and `externalId` where the domain
    /// answers them; the rest are answered on the rendered JSON.
    fn place(&mut self, filters: Vec<Filter>, resource: Resource) {
        for filter in filters {
            let domain =
                matches!(filter.operator, Operator::Eq | Operator::Ne) && filter.path.len() == 1;
            match filter.path[0].as_str() {
                name if domain && name == resource.state_attribute() => self.state.push(filter),
                "externalId" if domain => self.external_id.push(filter),
                _ => self.filters.push(filter),
            }
        }
    }

    /// Whether an entity with this state and external id passes the domain filters.
    pub fn matches_domain(&self, state: &str, external_id: Option<&str>) -> bool {
        self.state.iter().all(|f| f.matches_text(Some(state)))
            && self.external_id.iter().all(|f| f.matches_text(external_id))
    }

    /// Whether rendered JSON passes the other filters.
    pub fn matches(&self, rendered: &Value) -> bool {
        self.filters.iter().all(|filter| filter.matches(rendered))
    }

    /// Keeps only the requested fields (and `id`).
    pub fn project(&self, rendered: Value) -> Value {
        match &self.fields {
            Some(fields) => fields.project(&rendered),
            None => rendered,
        }
    }
}

/// A list being gathered: entities that passed the domain filters are offered one by one
/// (in store order); the selection keeps the page, or the sort values of every match.
#[derive(Debug)]
pub struct Selection<K> {
    /// How many matched so far.
    pub total: usize,
    /// The page, when unsorted.
    pub items: Vec<Value>,
    /// Every match's sort values and key, when sorted.
    ranked: Vec<(Vec<Option<Value>>, K)>,
}

impl<K: Clone> Default for Selection<K> {
    fn default() -> Self {
        Selection {
            total: 0,
            items: Vec::new(),
            ranked: Vec::new(),
        }
    }
}

impl<K: Clone> Selection<K> {
    fn in_page(&self, query: &ListQuery) -> bool {
        self.total >= query.offset && self.total - query.offset < query.limit
    }

    /// Whether [`Selection::offer`] would render the next entity: a filter, the sort or the
    /// page needs its JSON.
    pub fn needs_render(&self, query: &ListQuery) -> bool {
        !query.filters.is_empty() || !query.sort.is_empty() || self.in_page(query)
    }

    /// Offers the entity at `key`; `render` is called only if a filter, the sort or the page
    /// needs its JSON.
    pub fn offer(&mut self, query: &ListQuery, key: &K, render: impl FnOnce() -> Value) {
        let in_page = self.in_page(query);
        if query.filters.is_empty() && query.sort.is_empty() {
            if in_page {
                self.items.push(query.project(render()));
            }
            self.total += 1;
            return;
        }
        let rendered = render();
        if !query.matches(&rendered) {
            return;
        }
        if query.sort.is_empty() {
            if in_page {
                self.items.push(query.project(rendered));
            }
        } else {
            let values = sort::sort_values(&query.sort, &rendered);
            self.ranked.push((values, key.clone()));
        }
        self.total += 1;
    }

    /// For a sorted list, the keys of the page's entities in order (to render them); for an
    /// unsorted one, nothing (the page is in `items`).
    pub fn page_keys(&mut self, query: &ListQuery) -> Vec<K> {
        let mut ranked = std::mem::take(&mut self.ranked);
        ranked.sort_by(|a, b| sort::compare(&query.sort, &a.0, &b.0));
        ranked
            .into_iter()
            .skip(query.offset)
            .take(query.limit)
            .map(|(_, key)| key)
            .collect()
    }
}

#[cfg(test)]
mod tests;
