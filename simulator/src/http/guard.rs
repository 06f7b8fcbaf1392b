//! Middleware that guards the edges of the API: the admin token on the operator, fault and
//! transport routers, and canonical paths everywhere.
//!
//! With an admin token configured ([`crate::config::Access`]), the routers it is layered on
//! answer 401 with a TMF Error to a request without `Authorization: Bearer <token>`. The TMF
//! APIs stay open (see the README's "What is open" section).
//!
//! An id has one spelling (see [`crate::domain::ids`]), and so has a path: a path that
//! percent-encodes an unreserved character (`PO-%31` for `PO-1`) names nothing and gets 404,
//! like `PO-01`. No id or route of the API needs such an escape.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::AdminToken;
use crate::http::error::ApiError;

/// Lets a request through when no token is configured or it carries the token as a bearer
/// credential; otherwise 401 with `WWW-Authenticate: Bearer` and a TMF Error.
pub async fn require_admin_token(
    State(token): State<Option<AdminToken>>,
    request: Request,
    next: Next,
) -> Response {
    if holds_admin_token(request.headers(), token.as_ref()) {
        return next.run(request).await;
    }
    let mut response = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
        "this route needs the admin token: send `Authorization: Bearer <token>`",
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Whether `headers` carry the admin token as a bearer credential (always, when no token is
/// configured).
pub fn holds_admin_token(headers: &HeaderMap, token: Option<&AdminToken>) -> bool {
    let Some(token) = token else {
        return true;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(bearer);
    given.is_some_and(|given| token.matches(given))
}

/// A child order that names a parent order (a TMF641 service order naming a product order, a
/// TMF652 resource order naming a service order item) comes from the chain's own parent layer
/// only. Over the HTTP transport that layer's calls carry the admin token, so when one is
/// configured a caller without it may not name a parent: otherwise a client could claim
/// another order's item before the parent's own child order arrived (issue 11, finding 4).
/// Without a token (a loopback setup) the layer's own checks are all there is.
pub fn may_name_a_parent(
    headers: &HeaderMap,
    token: Option<&AdminToken>,
    parent: &str,
) -> Result<(), ApiError> {
    if holds_admin_token(headers, token) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "Forbidden",
        format!(
            "this order names {parent}: only the chain's own parent layer, holding the admin \
             token, creates the orders that realise another order"
        ),
    ))
}

/// The credential of a `Bearer` authorization value (the scheme is case-insensitive).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, credential) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| credential.trim())
}

/// 404 for a path that percent-encodes an unreserved character; other requests pass.
pub async fn canonical_path(request: Request, next: Next) -> Response {
    if encodes_unreserved(request.uri().path()) {
        let path: String = request.uri().path().chars().take(128).collect();
        return ApiError::not_found(format!(
            "no resource at `{path}`: ids and paths have one spelling, without percent-escapes \
             of letters, digits or `-._~`"
        ))
        .into_response();
    }
    next.run(request).await
}

/// Whether `path` holds `%XX` decoding to a letter, digit, `-`, `.`, `_` or `~` (RFC 3986
/// unreserved characters, which a canonical URI never escapes).
fn encodes_unreserved(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.windows(3).any(|window| {
        let hex = |byte: u8| char::from(byte).to_digit(16);
        match (window[0], hex(window[1]), hex(window[2])) {
            (b'%', Some(high), Some(low)) => {
                let decoded = char::from((high * 16 + low) as u8);
                decoded.is_ascii_alphanumeric() || "-._~".contains(decoded)
            }
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_of_unreserved_characters_are_found() {
        for path in [
            "/x/PO-%31",
            "/x/%50O-1",
            "/x/PO%2D1",
            "/x/po-%7e",
            "/x/a%5fb",
            "/x/PO-1%2e",
        ] {
            assert!(encodes_unreserved(path), "{path}");
        }
        for path in [
            "/x/PO-1",
            "/x/fast%20fibre",
            "/x/a%2Fb",
            "/x/%",
            "/x/%3",
            "/x/%zz",
        ] {
            assert!(!encodes_unreserved(path), "{path}");
        }
    }

    #[test]
    fn bearer_credentials_are_read() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
    }
}
