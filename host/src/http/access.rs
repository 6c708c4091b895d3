//! Who may do what on the admin API: named tokens with a role (metrics < viewer < operator <
//! admin), optionally limited to some clients and owner teams, plus the bootstrap admin token
//! from the environment; and the audit log every write leaves.
//!
//! - `metrics`: `GET /metrics` only.
//! - `viewer`: every read.
//! - `operator`: also retry / resolve exceptions, run / pause / resume flows, re-sync, cancel
//!   queued jobs.
//! - `admin`: also plugins (swap, rollback, shadow runs and their approval, replay with an
//!   uploaded build) and the audit log.

use std::str::FromStr;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use selvedge_store::{ApiToken, AuditEntry};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::{AdminState, HttpError};

/// A token's role; each includes what the ones before it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Metrics,
    Viewer,
    Operator,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Metrics => "metrics",
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "metrics" => Ok(Role::Metrics),
            "viewer" => Ok(Role::Viewer),
            "operator" => Ok(Role::Operator),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "unknown role `{other}`: metrics, viewer, operator or admin"
            )),
        }
    }
}

/// The caller of a request, as its token allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Caller {
    /// The token's name (`bootstrap` for the environment's admin token).
    pub name: String,
    pub role: Role,
    /// Clients it may see and act on; empty: all.
    pub clients: Vec<String>,
    /// Owner teams whose exceptions it may see and act on; empty: all.
    pub teams: Vec<String>,
}

impl Caller {
    /// The admin token from the environment: every right, every client.
    pub fn bootstrap() -> Self {
        Self {
            name: "bootstrap".into(),
            role: Role::Admin,
            clients: vec![],
            teams: vec![],
        }
    }

    pub fn sees_client(&self, client: &str) -> bool {
        self.clients.is_empty() || self.clients.iter().any(|c| c == client)
    }

    pub fn sees_team(&self, team: &str) -> bool {
        self.teams.is_empty() || self.teams.iter().any(|t| t == team)
    }

    /// 403 naming the scope when the token is limited to other clients.
    pub fn check_client(&self, client: &str) -> Result<(), HttpError> {
        if self.sees_client(client) {
            return Ok(());
        }
        Err(HttpError::Forbidden(format!(
            "token `{}` is limited to client(s) {}: not `{client}`",
            self.name,
            self.clients.join(", ")
        )))
    }

    /// 403 naming the scope when the token is limited to other owner teams.
    pub fn check_team(&self, team: &str) -> Result<(), HttpError> {
        if self.sees_team(team) {
            return Ok(());
        }
        Err(HttpError::Forbidden(format!(
            "token `{}` is limited to owner team(s) {}: not `{team}`",
            self.name,
            self.teams.join(", ")
        )))
    }
}

/// SHA-256 of a token, hex: what the store keeps instead of the token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random token: `svt_` and 32 random bytes, hex.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("svt_{}", hex::encode(bytes))
}

/// The role a request needs, and what it does (for a refusal's message).
pub fn needed(method: &Method, path: &str) -> (Role, &'static str) {
    if *method == Method::GET || *method == Method::HEAD {
        return match path {
            "/metrics" => (Role::Metrics, "read metrics"),
            "/api/audit" => (Role::Admin, "read the audit log"),
            _ => (Role::Viewer, "read"),
        };
    }
    if path.starts_with("/api/exceptions/") {
        return (Role::Operator, "retry or resolve exceptions");
    }
    if path.starts_with("/api/clients/")
        && (path.ends_with("/pause") || path.ends_with("/resume") || path.contains("/run/"))
    {
        return (Role::Operator, "run, pause or resume flows");
    }
    if path.starts_with("/api/clients/") && path.contains("/jobs/") && path.ends_with("/cancel") {
        return (Role::Operator, "cancel queued jobs");
    }
    if path.starts_with("/api/clients/") && path.ends_with("/resync") {
        return (Role::Operator, "re-sync an order, SKU or style");
    }
    if path.contains("/plugin/") || path.ends_with("/replay") {
        return (Role::Admin, "change, shadow-run or replay plugins");
    }
    (Role::Admin, "write")
}

/// The client a path names (`/api/clients/{client}/...`).
fn client_of(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/api/clients/")?;
    let client = rest.split('/').next().filter(|c| !c.is_empty())?;
    Some(percent_decode(client))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1..i + 3)) {
            (b'%', Some(hex)) => match u8::from_str_radix(&String::from_utf8_lossy(hex), 16) {
                Ok(b) => {
                    out.push(b);
                    i += 3;
                }
                Err(_) => {
                    out.push(b'%');
                    i += 1;
                }
            },
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whom a bearer token names: the bootstrap admin, a live stored token, or nobody.
async fn resolve(state: &AdminState, presented: &str) -> Result<Option<Caller>, HttpError> {
    if state.token.matches(presented) {
        return Ok(Some(Caller::bootstrap()));
    }
    let Some(token) = state.store.token_by_hash(&token_hash(presented)).await? else {
        return Ok(None);
    };
    Ok(caller_of(&token, OffsetDateTime::now_utc()))
}

/// The caller a stored token makes, unless it is revoked, expired or has an unknown role.
pub fn caller_of(token: &ApiToken, now: OffsetDateTime) -> Option<Caller> {
    if token.revoked_at.is_some() || token.expires_at.is_some_and(|e| e <= now) {
        return None;
    }
    Some(Caller {
        name: token.name.clone(),
        role: token.role.parse().ok()?,
        clients: token.clients.clone(),
        teams: token.teams.clone(),
    })
}

/// Middleware: 401 without a live token; 403 when its role or client scope does not cover
/// the request (the handler never runs, so nothing changes); every write is audited with
/// its result.
pub async fn require_token(
    State(state): State<AdminState>,
    mut request: Request,
    next: Next,
) -> Response {
    let presented = super::auth::bearer(request.headers()).map(str::to_owned);
    let caller = match presented {
        Some(t) => match resolve(&state, &t).await {
            Ok(c) => c,
            Err(e) => return e.into_response(),
        },
        None => None,
    };
    let Some(caller) = caller else {
        metrics::counter!(crate::metrics::ADMIN_UNAUTHORIZED).increment(1);
        return if state.token.is_set() {
            HttpError::BadToken.into_response()
        } else {
            HttpError::TokenUnset.into_response()
        };
    };
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let action = format!(
        "{method} {}",
        request
            .extensions()
            .get::<MatchedPath>()
            .map_or(path.as_str(), MatchedPath::as_str)
    );
    let client = client_of(&path);
    let (role, what) = needed(&method, &path);
    let refused = if caller.role < role {
        Some(HttpError::Forbidden(format!(
            "token `{}` (role {}) cannot {what}: that needs role {}",
            caller.name,
            caller.role.as_str(),
            role.as_str()
        )))
    } else {
        client.as_deref().and_then(|c| caller.check_client(c).err())
    };
    let response = match refused {
        Some(e) => e.into_response(),
        None => {
            request.extensions_mut().insert(caller.clone());
            next.run(request).await
        }
    };
    if method != Method::GET && method != Method::HEAD {
        let entry = AuditEntry {
            actor: caller.name,
            action,
            client,
            target: path,
            status: response.status().as_u16(),
            at: OffsetDateTime::now_utc(),
        };
        if let Err(e) = state.store.record_audit(&entry).await {
            tracing::error!(error = %e, action = %entry.action, actor = %entry.actor, "audit entry not written");
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_route_needs_the_least_role_that_may_do_it() {
        assert_eq!(needed(&Method::GET, "/metrics").0, Role::Metrics);
        assert_eq!(needed(&Method::GET, "/api/clients").0, Role::Viewer);
        assert_eq!(needed(&Method::GET, "/api/audit").0, Role::Admin);
        assert_eq!(
            needed(&Method::POST, "/api/exceptions/4/resolve").0,
            Role::Operator
        );
        assert_eq!(
            needed(&Method::POST, "/api/clients/acme/plugin/swap").0,
            Role::Admin
        );
        assert_eq!(
            needed(&Method::POST, "/api/clients/acme/run/inventory").0,
            Role::Operator
        );
        assert_eq!(
            needed(&Method::POST, "/api/clients/acme/pause").0,
            Role::Operator
        );
        assert_eq!(
            needed(&Method::POST, "/api/clients/acme/resync").0,
            Role::Operator
        );
        assert_eq!(
            needed(&Method::POST, "/api/clients/acme/jobs/7/cancel").0,
            Role::Operator
        );
        assert_eq!(
            needed(&Method::POST, "/api/clients/acme/why/sku/X/replay").0,
            Role::Admin
        );
        assert_eq!(
            client_of("/api/clients/acme%20b/why/sku/1").as_deref(),
            Some("acme b")
        );
        assert_eq!(client_of("/api/exceptions/4"), None);
    }

    #[test]
    fn a_revoked_expired_or_unknown_role_token_makes_no_caller() {
        let now = OffsetDateTime::now_utc();
        let token = ApiToken {
            name: "t".into(),
            hash: "h".into(),
            role: "operator".into(),
            clients: vec!["acme".into()],
            teams: vec![],
            created_at: now,
            expires_at: None,
            revoked_at: None,
        };
        let caller = caller_of(&token, now).unwrap();
        assert!(caller.sees_client("acme") && !caller.sees_client("globex"));
        assert!(
            caller
                .check_client("globex")
                .unwrap_err()
                .to_string()
                .contains("limited to client(s) acme")
        );
        let revoked = ApiToken {
            revoked_at: Some(now),
            ..token.clone()
        };
        assert!(caller_of(&revoked, now).is_none());
        let expired = ApiToken {
            expires_at: Some(now),
            ..token.clone()
        };
        assert!(caller_of(&expired, now).is_none());
        let odd = ApiToken {
            role: "root".into(),
            ..token
        };
        assert!(caller_of(&odd, now).is_none());
    }
}
