//! Bearer-token authentication of the admin API.
//!
//! The token comes from the environment variable `[admin] token_env` names; it is compared in
//! constant time so response timing does not reveal how much of a guess was right. A host
//! without a token set refuses every protected request rather than running open.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::AdminState;

/// The admin token. `Debug` and `Display` never show it, so it cannot leak into logs.
#[derive(Clone, Default)]
pub struct AdminToken(Option<String>);

impl AdminToken {
    /// A token; an empty string counts as none (nothing could match it safely).
    pub fn new(token: Option<String>) -> Self {
        Self(token.filter(|t| !t.trim().is_empty()))
    }

    /// Reads the token from the environment variable `env`.
    pub fn from_env(env: &str) -> Self {
        Self::new(std::env::var(env).ok())
    }

    /// Whether a token is configured at all.
    pub fn is_set(&self) -> bool {
        self.0.is_some()
    }

    /// Constant-time comparison with a presented token. Both sides are hashed first so the
    /// comparison takes the same time whatever the presented length is.
    pub fn matches(&self, presented: &str) -> bool {
        match &self.0 {
            Some(expected) => {
                let (a, b) = (
                    Sha256::digest(expected.as_bytes()),
                    Sha256::digest(presented.as_bytes()),
                );
                bool::from(a.as_slice().ct_eq(b.as_slice()))
            }
            None => false,
        }
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_set() {
            "AdminToken(<redacted>)"
        } else {
            "AdminToken(<unset>)"
        })
    }
}

/// The bearer token of a request, if it carries one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Middleware: 401 (and the handler never runs, so nothing changes) without the right token.
pub async fn require_token(
    State(state): State<AdminState>,
    request: Request,
    next: Next,
) -> Response {
    let ok = bearer(request.headers()).is_some_and(|t| state.token.matches(t));
    if ok {
        return next.run(request).await;
    }
    metrics::counter!("selvedge_admin_unauthorized_total").increment(1);
    let message = if state.token.is_set() {
        "missing or wrong bearer token"
    } else {
        "the admin token is not set on the host (see [admin] token_env in selvedge.toml)"
    };
    let mut response = (
        StatusCode::UNAUTHORIZED,
        axum::Json(serde_json::json!({ "error": message })),
    )
        .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let token = AdminToken::new(Some("s3cret".into()));
        assert!(!format!("{token:?}").contains("s3cret"));
    }

    #[test]
    fn only_the_exact_token_matches() {
        let token = AdminToken::new(Some("abc".into()));
        assert!(token.matches("abc"));
        assert!(!token.matches("abd"));
        assert!(!token.matches("ab"));
        assert!(!AdminToken::new(Some(String::new())).matches(""));
        assert!(!AdminToken::default().matches(""));
    }
}
