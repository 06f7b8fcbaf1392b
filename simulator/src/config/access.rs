//! Who may call the operator and internal routes: the admin token, and the rule that decides
//! whether a bind address may serve them without one.
//!
//! The TMF APIs are open, as on a lab stub. `/admin/*`, the fault API and the HTTP transport's
//! internal routes change or reveal the whole run, so when a token is configured they need
//! `Authorization: Bearer <token>`, and a process bound to a non-loopback address refuses to
//! start without one unless the operator says `--insecure`. The token comes from the command
//! line or the environment, never from a scenario file (scenarios are shared and committed).

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

/// The environment variable read when `--admin-token` is not given.
pub const ADMIN_TOKEN_ENV: &str = "ORDERSIM_ADMIN_TOKEN";

/// A bearer token. `Debug` does not print it, so a logged configuration does not leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken(Arc<str>);

impl AdminToken {
    /// A token from its text; None when empty or blank (a blank token guards nothing).
    pub fn new(text: &str) -> Option<AdminToken> {
        let text = text.trim();
        (!text.is_empty()).then(|| AdminToken(Arc::from(text)))
    }

    /// The token's text (for the `Authorization` header of this process's own calls).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` is the token. Compares every byte whatever the first difference,
    /// so the time taken does not say how much of a guess was right.
    pub fn matches(&self, candidate: &str) -> bool {
        let (expected, given) = (self.0.as_bytes(), candidate.as_bytes());
        let difference = expected
            .iter()
            .zip(given)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        difference == 0 && expected.len() == given.len()
    }
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("AdminToken(<redacted>)")
    }
}

/// Access settings of a running simulator (set by the binary or a test, not read from TOML).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Access {
    /// When set, `/admin/*`, the fault API and the transport routes need it as a bearer token,
    /// and this process's own transport calls send it.
    pub admin_token: Option<AdminToken>,
}

/// What serving on an address with these access settings means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exposure {
    /// Loopback, or a token guards the operator routes: serve.
    Guarded,
    /// Non-loopback without a token, and `--insecure` was given: serve, warning loudly.
    Insecure,
}

/// Decides whether `listen` may be served: a non-loopback address needs a token for the
/// operator and internal routes, or an explicit `insecure`. The error says what to do.
pub fn exposure(listen: SocketAddr, access: &Access, insecure: bool) -> Result<Exposure, String> {
    if listen.ip().is_loopback() || access.admin_token.is_some() {
        return Ok(Exposure::Guarded);
    }
    if insecure {
        return Ok(Exposure::Insecure);
    }
    Err(format!(
        "{listen} is not a loopback address: /admin/*, the fault API and the transport routes \
         would be open to the network. Give --admin-token (or {ADMIN_TOKEN_ENV}), or \
         --insecure to serve them unauthenticated"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(token: Option<&str>) -> Access {
        Access {
            admin_token: token.and_then(AdminToken::new),
        }
    }

    #[test]
    fn loopback_needs_nothing_and_other_addresses_need_a_token_or_insecure() {
        let loopback: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let loopback6: SocketAddr = "[::1]:8080".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let lan: SocketAddr = "192.168.1.5:8080".parse().unwrap();
        for address in [loopback, loopback6] {
            assert_eq!(
                exposure(address, &access(None), false),
                Ok(Exposure::Guarded)
            );
        }
        for address in [any, lan] {
            let refused = exposure(address, &access(None), false).unwrap_err();
            assert!(refused.contains("--admin-token"), "{refused}");
            assert!(refused.contains(ADMIN_TOKEN_ENV), "{refused}");
            assert_eq!(
                exposure(address, &access(Some("s3cret")), false),
                Ok(Exposure::Guarded)
            );
            assert_eq!(
                exposure(address, &access(None), true),
                Ok(Exposure::Insecure)
            );
            // A blank token is no token.
            assert!(exposure(address, &access(Some("  ")), false).is_err());
        }
    }

    #[test]
    fn tokens_match_exactly_and_do_not_print() {
        let token = AdminToken::new("s3cret").unwrap();
        assert!(token.matches("s3cret"));
        for wrong in ["", "s3cre", "s3cret ", "S3CRET", "s3cret-longer", "x3cret"] {
            assert!(!token.matches(wrong), "{wrong}");
        }
        assert!(!format!("{token:?}").contains("s3cret"));
        assert!(!format!("{:?}", access(Some("s3cret"))).contains("s3cret"));
    }
}
