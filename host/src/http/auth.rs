//! Shared-secret checks of both listeners: the admin bearer token and the webhook secret
//! header. Both compare in constant time on SHA-256 digests, so response timing reveals
//! neither how much of a guess was right nor the secret's length.

use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A secret held for comparison only: its digest, never the text. `Debug` shows neither.
#[derive(Clone, Default)]
pub struct Secret(Option<[u8; 32]>);

impl Secret {
    /// A secret; an empty or blank string counts as none (nothing could match it safely).
    pub fn new(secret: Option<&str>) -> Self {
        Self(
            secret
                .filter(|s| !s.trim().is_empty())
                .map(|s| Sha256::digest(s.as_bytes()).into()),
        )
    }

    /// Whether a secret is configured at all.
    pub fn is_set(&self) -> bool {
        self.0.is_some()
    }

    /// Constant-time comparison with what a caller presented.
    pub fn matches(&self, presented: &[u8]) -> bool {
        match &self.0 {
            Some(expected) => {
                let presented: [u8; 32] = Sha256::digest(presented).into();
                bool::from(expected.ct_eq(&presented))
            }
            None => false,
        }
    }
}

impl Secret {
    /// What `Debug` shows instead of the secret.
    fn redacted(&self) -> &'static str {
        if self.is_set() {
            "<redacted>"
        } else {
            "<unset>"
        }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

/// The admin token (from the environment variable `[admin] token_env` names). A host without
/// one refuses every protected request rather than running open.
#[derive(Clone, Default)]
pub struct AdminToken(Secret);

impl AdminToken {
    /// A token; an empty string counts as none.
    pub fn new(token: Option<String>) -> Self {
        Self(Secret::new(token.as_deref()))
    }

    /// Reads the token from the environment variable `env`.
    pub fn from_env(env: &str) -> Self {
        Self::new(std::env::var(env).ok())
    }

    /// Whether a token is configured at all.
    pub fn is_set(&self) -> bool {
        self.0.is_set()
    }

    /// Constant-time comparison with a presented token.
    pub fn matches(&self, presented: &str) -> bool {
        self.0.matches(presented.as_bytes())
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AdminToken({})", self.0.redacted())
    }
}

/// The bearer token of a request, if it carries one.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}
