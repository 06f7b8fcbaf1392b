//! Unit tests of list parsing and selection.

use super::*;
use serde_json::json;

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
        .collect()
}

fn parse(list: &[(&str, &str)]) -> Result<ListQuery, QueryError> {
    ListQuery::parse(&pairs(list), 100, Resource::ProductOrder)
}

#[test]
fn parses_and_bounds_limit() {
    let query = ListQuery::parse(
        &pairs(&[("limit", "5"), ("offset", "2")]),
        10,
        Resource::ProductOrder,
    )
    .expect("ok");
    assert_eq!((query.limit, query.offset), (5, 2));
    for bad in [
        ("limit", "0"),
        ("limit", "11"),
        ("limit", "x"),
        ("offset", "-1"),
    ] {
        assert!(ListQuery::parse(&pairs(&[bad]), 10, Resource::ProductOrder).is_err());
    }
    assert_eq!(
        ListQuery::parse(&[], 10, Resource::ProductOrder)
            .expect("ok")
            .limit,
        10
    );
}

#[test]
fn places_state_and_external_id_equality_on_the_domain() {
    let query = parse(&[
        ("state", "completed"),
        ("state", "failed"),
        ("externalId.ne", "x"),
        ("orderDate.gt", "2026-01-01"),
        ("productOrderItem.state", "completed"),
    ])
    .expect("ok");
    assert_eq!(query.state.len(), 1, "repeated state ORs into one filter");
    assert_eq!(query.state[0].operands.len(), 2);
    assert_eq!((query.external_id.len(), query.filters.len()), (1, 2));
    assert!(query.matches_domain("failed", None));
    assert!(!query.matches_domain("failed", Some("x")));
    assert!(!query.matches_domain("inProgress", Some("y")));
    let products = ListQuery::parse(&pairs(&[("status", "active")]), 9, Resource::Product);
    assert_eq!(products.expect("ok").state.len(), 1);
}

#[test]
fn refuses_what_it_cannot_answer() {
    for bad in [
        ("foo", "bar"),
        ("status", "completed"),
        ("filter", "state==completed"),
        ("sort", "nope"),
        ("fields", "nope"),
        ("orderDate.regex", "x"),
    ] {
        let error = parse(&[bad]).expect_err(bad.0);
        assert!(error.message.contains('`'), "{}", error.message);
    }
    let many: Vec<(String, String)> = (0..=FILTERS_MAX)
        .map(|i| ("productOrderItem.quantity.gt".to_string(), i.to_string()))
        .collect();
    assert!(ListQuery::parse(&many, 9, Resource::ProductOrder).is_err());
    assert!(parse_fields(&pairs(&[("state", "x")]), Resource::ProductOrder).is_err());
    let fields = parse_fields(&pairs(&[("fields", "state")]), Resource::ProductOrder);
    assert!(fields.expect("ok").is_some());
}

fn orders() -> Vec<Value> {
    (0..10)
        .map(|n| {
            json!({"id": n.to_string(), "href": "h", "state": "s", "other": 1,
                   "description": if n < 8 { "a" } else { "b" },
                   "priority": (10 - n).to_string()})
        })
        .collect()
}

#[test]
fn selects_a_page_with_totals_and_fields() {
    let query = parse(&[
        ("offset", "1"),
        ("limit", "2"),
        ("fields", "state"),
        ("description", "a"),
    ])
    .expect("ok");
    let mut selection = Selection::default();
    for (key, order) in orders().iter().enumerate().filter(|(n, _)| n % 2 == 0) {
        selection.offer(&query, &key, || order.clone());
    }
    // Even numbers described "a": 0, 2, 4, 6; the page skips one and takes two.
    assert_eq!(selection.total, 4);
    assert_eq!(
        selection.items,
        [
            json!({"id": "2", "state": "s"}),
            json!({"id": "4", "state": "s"})
        ]
    );
    assert!(selection.page_keys(&query).is_empty());
}

#[test]
fn a_sorted_selection_answers_the_page_keys() {
    let query = parse(&[
        ("sort", "description,-priority"),
        ("limit", "3"),
        ("offset", "6"),
    ])
    .expect("ok");
    let mut selection = Selection::default();
    for (key, order) in orders().iter().enumerate() {
        selection.offer(&query, &key, || order.clone());
    }
    assert_eq!(selection.total, 10);
    assert!(selection.items.is_empty());
    // "a" first (priority 10..3 as text, descending: 9,8,7,6,5,4,3 then "10"), then "b".
    assert_eq!(selection.page_keys(&query), [7, 0, 8]);
}

#[test]
fn domain_filters_alone_render_only_the_page() {
    let query = parse(&[("state", "completed,failed"), ("limit", "2")]).expect("ok");
    assert!(query.filters.is_empty() && query.sort.is_empty());
    let states = [
        "completed",
        "held",
        "failed",
        "completed",
        "failed",
        "completed",
    ];
    let renders = std::cell::Cell::new(0);
    let mut selection = Selection::default();
    for (key, state) in states.iter().enumerate() {
        if query.matches_domain(state, None) {
            selection.offer(&query, &key, || {
                renders.set(renders.get() + 1);
                json!({"id": key.to_string(), "state": state})
            });
        }
    }
    assert_eq!((selection.total, renders.get()), (5, 2));
    let with_filter = parse(&[("state", "completed"), ("description", "x")]).expect("ok");
    assert_eq!(
        with_filter.filters.len(),
        1,
        "only state goes to the domain"
    );
}
