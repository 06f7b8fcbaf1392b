//! What happens to a request before the API's routes see it: one trailing slash is stripped
//! (`/service/` is `/service`), and in `--role` mode a request for a layer this process does
//! not run is answered 404 with a TMF Error naming the role that serves it.
//!
//! Both wrap the whole router rather than sit in `Router::layer`, whose middleware runs after
//! routing has already picked a route for the unrewritten path.

use axum::body::Body;
use axum::http::{Request, Uri};
use axum::response::{IntoResponse, Response};

use crate::http::dto::{PRODUCT_ORDERING, RESOURCE_ORDERING, SERVICE_ACTIVATION, SERVICE_ORDERING};
use crate::http::error::ApiError;
use crate::layers::LayerId;
use crate::runtime::transport::Role;

/// The TMF APIs served by one layer each: (base path, TMF name, layer).
const LAYER_APIS: [(&str, &str, LayerId); 6] = [
    (PRODUCT_ORDERING, "TMF622 product ordering", LayerId::Com),
    (SERVICE_ORDERING, "TMF641 service ordering", LayerId::Som),
    (RESOURCE_ORDERING, "TMF652 resource ordering", LayerId::Rom),
    (
        SERVICE_ACTIVATION,
        "TMF640 service activation",
        LayerId::Activation,
    ),
    (
        crate::runtime::transport::wire::ALLOCATIONS_PATH,
        "the network's allocation listing",
        LayerId::Network,
    ),
    (
        crate::runtime::transport::wire::CONFIGURATIONS_PATH,
        "the network's configuration listing",
        LayerId::Network,
    ),
];

/// `request` with one trailing `/` removed from its path (not from `/` itself); the query
/// is kept.
pub fn strip_trailing_slash(mut request: Request<Body>) -> Request<Body> {
    let path = request.uri().path();
    if path.len() <= 1 || !path.ends_with('/') {
        return request;
    }
    let trimmed = &path[..path.len() - 1];
    let path_and_query = match request.uri().query() {
        Some(query) => format!("{trimmed}?{query}"),
        None => trimmed.to_string(),
    };
    let mut parts = request.uri().clone().into_parts();
    parts.path_and_query = path_and_query.parse().ok();
    if let Ok(uri) = Uri::from_parts(parts) {
        *request.uri_mut() = uri;
    }
    request
}

/// The 404 for `path` when `role` does not run the layer whose API it names, else `None`.
pub fn outside_role(role: Role, path: &str) -> Option<ApiError> {
    let (base, name, layer) = LAYER_APIS.iter().find(|(base, _, _)| {
        path.strip_prefix(base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })?;
    if role.hosts(*layer) {
        return None;
    }
    let own = role.layer().map_or("all", LayerId::as_str);
    Some(ApiError::not_found(format!(
        "this process runs `--role {own}`: {name} ({base}) is served by the process started \
         with `--role {}`",
        layer.as_str()
    )))
}

/// Middleware: answers [`outside_role`]'s 404 instead of calling the routes.
pub async fn role_gate(
    axum::extract::State(role): axum::extract::State<Role>,
    request: Request<Body>,
    next: axum::middleware::Next,
) -> Response {
    match outside_role(role, request.uri().path()) {
        Some(error) => error.into_response(),
        None => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_of(uri: &str) -> String {
        let request = Request::builder()
            .uri(uri)
            .body(Body::empty())
            .expect("request");
        strip_trailing_slash(request).uri().to_string()
    }

    #[test]
    fn one_trailing_slash_goes_and_the_query_stays() {
        assert_eq!(path_of("/a/service/"), "/a/service");
        assert_eq!(path_of("/a/service/?limit=1"), "/a/service?limit=1");
        assert_eq!(path_of("/a/service//"), "/a/service/");
        assert_eq!(path_of("/a/service"), "/a/service");
        assert_eq!(path_of("/"), "/");
        assert_eq!(
            path_of("http://127.0.0.1:9/a/b/?x=1"),
            "http://127.0.0.1:9/a/b?x=1"
        );
    }

    #[test]
    fn a_role_refuses_the_apis_of_other_layers() {
        let order = format!("{PRODUCT_ORDERING}/productOrder");
        assert!(outside_role(Role::All, &order).is_none());
        assert!(outside_role(Role::Com, &order).is_none());
        let error = outside_role(Role::Som, &order).expect("som does not run COM");
        assert_eq!(error.status.as_u16(), 404);
        assert!(error.message.contains("--role com"), "{}", error.message);
        assert!(error.message.contains("--role som"), "{}", error.message);
        let service = format!("{SERVICE_ACTIVATION}/service/ACT-1");
        assert!(outside_role(Role::Network, &service).is_some());
        assert!(outside_role(Role::Activation, &service).is_none());
        assert!(outside_role(Role::Network, "/tmf-api/serviceInventory/v4/service").is_none());
        assert!(outside_role(Role::Network, &format!("{PRODUCT_ORDERING}x")).is_none());
    }
}
