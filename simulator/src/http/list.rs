//! TMF list requests: `fields`, `offset`, `limit` and attribute filters, with the
//! `X-Total-Count` and `X-Result-Count` headers.
//!
//! `state` and `externalId` are compared on the domain structs before anything is rendered, so
//! a filtered list over a large store stays cheap; any other `attr=value` is compared against
//! the rendered top-level string attributes (so it renders every candidate).

use axum::Json;
use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::http::error::ApiError;

/// The default page size.
pub const LIMIT_DEFAULT: usize = 100;

/// A parsed list request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Attributes to keep (`id`, `href`, `@type` are always kept); `None`: all.
    pub fields: Option<Vec<String>>,
    /// How many matches to skip.
    pub offset: usize,
    /// How many to return at most.
    pub limit: usize,
    /// Keep entities in this state (or status).
    pub state: Option<String>,
    /// Keep entities with this `externalId`.
    pub external_id: Option<String>,
    /// Other `attribute=value` filters on the rendered JSON.
    pub attributes: Vec<(String, String)>,
}

fn parse_number(name: &str, text: &str) -> Result<usize, ApiError> {
    text.parse::<usize>().map_err(|_| {
        ApiError::bad_request(format!(
            "`{name}` must be a non-negative integer, not `{}`",
            text.chars().take(32).collect::<String>()
        ))
    })
}

impl ListQuery {
    /// Parses the query pairs; `limit` above `limit_max` or unparsable numbers are a 400.
    pub fn parse(pairs: &[(String, String)], limit_max: usize) -> Result<ListQuery, ApiError> {
        let mut query = ListQuery {
            limit: LIMIT_DEFAULT.min(limit_max),
            ..ListQuery::default()
        };
        for (name, value) in pairs {
            match name.as_str() {
                "fields" => {
                    let fields = value
                        .split(',')
                        .map(str::trim)
                        .filter(|field| !field.is_empty())
                        .map(String::from)
                        .collect();
                    query.fields = Some(fields);
                }
                "offset" => query.offset = parse_number(name, value)?,
                "limit" => {
                    query.limit = parse_number(name, value)?;
                    if query.limit == 0 || query.limit > limit_max {
                        return Err(ApiError::bad_request(format!(
                            "`limit` must be between 1 and {limit_max}"
                        )));
                    }
                }
                "state" | "status" | "resourceStatus" => query.state = Some(value.clone()),
                "externalId" => query.external_id = Some(value.clone()),
                "sort" | "depth" | "expand" => {}
                _ => query.attributes.push((name.clone(), value.clone())),
            }
        }
        Ok(query)
    }

    /// Whether an entity with this state and external id passes the domain-level filters.
    pub fn matches_domain(&self, state: &str, external_id: Option<&str>) -> bool {
        self.state.as_deref().is_none_or(|wanted| wanted == state)
            && self
                .external_id
                .as_deref()
                .is_none_or(|wanted| external_id == Some(wanted))
    }

    /// Whether rendered JSON passes the attribute filters.
    pub fn matches_rendered(&self, rendered: &Value) -> bool {
        self.attributes
            .iter()
            .all(|(name, wanted)| match rendered.get(name) {
                Some(Value::String(text)) => text == wanted,
                Some(Value::Number(number)) => number.to_string() == *wanted,
                Some(Value::Bool(flag)) => flag.to_string() == *wanted,
                _ => false,
            })
    }

    /// Keeps only the requested fields (and `id`, `href`, `@type`).
    pub fn project(&self, rendered: Value) -> Value {
        let (Some(fields), Value::Object(map)) = (&self.fields, &rendered) else {
            return rendered;
        };
        let kept = map
            .iter()
            .filter(|(key, _)| {
                matches!(key.as_str(), "id" | "href" | "@type") || fields.iter().any(|f| f == *key)
            })
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        Value::Object(kept)
    }

    /// Filters `entities` (pre-filtered by `domain`, then rendered by `render`), and returns
    /// the requested page and the total number of matches.
    pub fn select<'a, T: 'a>(
        &self,
        entities: impl Iterator<Item = &'a T>,
        domain: impl Fn(&T) -> bool,
        render: impl Fn(&T) -> Value,
    ) -> Page {
        let end = self.offset.saturating_add(self.limit);
        let mut page = Page::default();
        for entity in entities.filter(|entity| domain(entity)) {
            let in_page = (self.offset..end).contains(&page.total);
            if self.attributes.is_empty() {
                if in_page {
                    page.items.push(self.project(render(entity)));
                }
                page.total += 1;
                continue;
            }
            let rendered = render(entity);
            if self.matches_rendered(&rendered) {
                if in_page {
                    page.items.push(self.project(rendered));
                }
                page.total += 1;
            }
        }
        page
    }
}

/// One page of a list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    /// The entities returned.
    pub items: Vec<Value>,
    /// How many matched in all.
    pub total: usize,
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let returned = self.items.len();
        let mut response = Json(Value::Array(self.items)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            HeaderName::from_static("x-total-count"),
            HeaderValue::from(self.total),
        );
        headers.insert(
            HeaderName::from_static("x-result-count"),
            HeaderValue::from(returned),
        );
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
            .collect()
    }

    #[test]
    fn parses_and_bounds_limit() {
        let query = ListQuery::parse(&pairs(&[("limit", "5"), ("offset", "2")]), 10).expect("ok");
        assert_eq!((query.limit, query.offset), (5, 2));
        for bad in [
            ("limit", "0"),
            ("limit", "11"),
            ("limit", "x"),
            ("offset", "-1"),
        ] {
            let error = ListQuery::parse(&pairs(&[bad]), 10).expect_err("bad");
            assert_eq!(error.status.as_u16(), 400);
        }
        assert_eq!(ListQuery::parse(&[], 10).expect("ok").limit, 10);
    }

    #[test]
    fn selects_a_page_with_totals_and_fields() {
        let query = ListQuery::parse(
            &pairs(&[
                ("offset", "1"),
                ("limit", "2"),
                ("fields", "state"),
                ("name", "a"),
            ]),
            100,
        )
        .expect("ok");
        let entities: Vec<u32> = (0..10).collect();
        let page = query.select(
            entities.iter(),
            |n| n % 2 == 0,
            |n| {
                json!({"id": n.to_string(), "href": "h", "state": "s", "other": 1,
                       "name": if *n < 8 { "a" } else { "b" }})
            },
        );
        // Even numbers named "a": 0, 2, 4, 6; page skips one and takes two.
        assert_eq!(page.total, 4);
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.items[0], json!({"id": "2", "href": "h", "state": "s"}));
    }
}
