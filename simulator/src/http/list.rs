//! Answering a TMF list over a layer's store without holding its lock for long: the store is
//! walked in slices of at most [`SLICE_ENTITIES_MAX`] entities per lock acquisition; under
//! the lock an entity is only pre-filtered and, if its JSON is needed, cloned; rendering and
//! matching happen with the lock released (so the layer, waiting on the lock, gets it), and
//! the task yields between slices. The parsed [`ListQuery`] decides what is rendered and kept. The answer carries the
//! `X-Total-Count` and `X-Result-Count` headers.

use std::collections::BTreeMap;
use std::ops::{Bound, Deref};

use axum::Json;
use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::http::error::ApiError;
use crate::query::tmf630::{ListQuery, QueryError, Selection};

/// How many entities one lock acquisition visits (or renders, for a sorted page) at most.
pub const SLICE_ENTITIES_MAX: usize = 256;

impl From<QueryError> for ApiError {
    fn from(error: QueryError) -> ApiError {
        ApiError::bad_request(error.message)
    }
}

/// Selects the page of `query` from the map `entries` finds in what `lock` guards: an
/// entity passes `domain` (the cheap pre-filter on domain fields) under the lock; one whose
/// JSON is needed is cloned there and rendered after the lock is released, so that rendering
/// (the slow part) leaves the lock free for the layer.
pub async fn select<G, L, K, T>(
    query: &ListQuery,
    lock: impl Fn() -> G,
    entries: impl Fn(&L) -> &BTreeMap<K, T>,
    domain: impl Fn(&T) -> bool,
    render: impl Fn(&T) -> Value,
) -> Page
where
    G: Deref<Target = L>,
    K: Ord + Clone,
    T: Clone,
{
    let mut selection = Selection::default();
    let mut after: Option<K> = None;
    let mut pending: Vec<(K, T)> = Vec::new();
    loop {
        let finished = {
            let guard = lock();
            let map = entries(&guard);
            let lower = after.as_ref().map_or(Bound::Unbounded, Bound::Excluded);
            let mut visited = 0;
            for (key, entity) in map
                .range((lower, Bound::Unbounded))
                .take(SLICE_ENTITIES_MAX)
            {
                visited += 1;
                after = Some(key.clone());
                if !domain(entity) {
                    continue;
                }
                // Offers keep store order: once one entity waits to be rendered, so do the
                // rest of the slice.
                if pending.is_empty() && !selection.needs_render(query) {
                    selection.offer(query, key, || Value::Null);
                } else {
                    pending.push((key.clone(), entity.clone()));
                }
            }
            visited < SLICE_ENTITIES_MAX
        };
        for (key, entity) in pending.drain(..) {
            selection.offer(query, &key, || render(&entity));
        }
        if finished {
            break;
        }
        tokio::task::yield_now().await;
    }
    let mut items = std::mem::take(&mut selection.items);
    for keys in selection.page_keys(query).chunks(SLICE_ENTITIES_MAX) {
        let entities: Vec<T> = {
            let guard = lock();
            let map = entries(&guard);
            // An entity forgotten since the scan (retention bound, DELETE) is left out.
            keys.iter()
                .filter_map(|key| map.get(key))
                .cloned()
                .collect()
        };
        items.extend(entities.iter().map(|entity| query.project(render(entity))));
        tokio::task::yield_now().await;
    }
    Page {
        items,
        total: selection.total,
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
    use crate::query::tmf630::schema::Resource;
    use serde_json::json;
    use std::sync::Mutex;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
            .collect()
    }

    /// A store larger than several slices is walked whole, in order, with the lock taken
    /// once per slice, and a sorted page is rendered after the scan.
    #[tokio::test]
    async fn walks_a_large_store_in_slices() {
        let store: Mutex<BTreeMap<u32, u32>> = Mutex::new((0..1000).map(|n| (n, n)).collect());
        let locks = std::sync::atomic::AtomicUsize::new(0);
        let lock = || {
            locks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            store.lock().expect("lock")
        };
        let render = |n: &u32| json!({"id": n.to_string(), "priority": (n % 7).to_string()});
        let query = ListQuery::parse(
            &pairs(&[("priority", "3"), ("sort", "-id"), ("limit", "2")]),
            100,
            Resource::ProductOrder,
        )
        .expect("ok");
        let page = select(&query, lock, |map| map, |n| n % 2 == 0, render).await;
        // Even numbers with n % 7 == 3: 10, 24, ..., 990 (n % 14 == 10).
        assert_eq!(page.total, (0..1000).filter(|n| n % 14 == 10).count());
        assert_eq!(page.items[0]["id"], "990");
        assert_eq!(page.items[1]["id"], "976");
        let slices = 1000 / SLICE_ENTITIES_MAX + 1;
        assert_eq!(locks.into_inner(), slices + 1);
    }
}
