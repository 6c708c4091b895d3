//! `selvedge token create|list|revoke --config <dir>`: the admin API's named tokens, written
//! straight in the store (the host may be running). A token is shown once, when created;
//! only its SHA-256 is kept.

use clap::{Args, Subcommand};
use selvedge_store::ApiToken;
use serde_json::json;
use time::OffsetDateTime;

use super::exceptions::{Common, close, open_store};
use crate::exit::{self, CliError};
use crate::http::access::{Role, caller_of, new_token, token_hash};

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (once).
    Create(CreateArgs),
    /// Every token: name, role, scope, state (never the token).
    List(ListArgs),
    /// Revoke a token by name: refused with 401 from then on.
    Revoke(RevokeArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub common: Common,
    /// A unique name: the audit log says this name acted.
    pub name: String,
    /// metrics (GET /metrics only), viewer (reads), operator (also retry / resolve
    /// exceptions), admin (also plugins, shadow-run approvals, the audit log).
    #[arg(long)]
    pub role: String,
    /// Limit it to a client (repeat for several); default all.
    #[arg(long = "client")]
    pub clients: Vec<String>,
    /// Limit it to an owner team's exceptions (repeat for several); default all.
    #[arg(long = "team")]
    pub teams: Vec<String>,
    /// Expire it after this many days.
    #[arg(long)]
    pub expires_days: Option<u32>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub common: Common,
    pub name: String,
}

pub fn run(cmd: TokenCommand) -> Result<u8, CliError> {
    let rt = super::tokio_runtime()?;
    rt.block_on(async move {
        match cmd {
            TokenCommand::Create(a) => create(a).await,
            TokenCommand::List(a) => list(a).await,
            TokenCommand::Revoke(a) => revoke(a).await,
        }
    })
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
}

async fn create(a: CreateArgs) -> Result<u8, CliError> {
    let role: Role = a.role.parse().map_err(CliError::bad_input)?;
    if !valid_name(&a.name) {
        return Err(CliError::bad_input(format!(
            "token name `{}`: use 1-64 letters, digits and - _ . @",
            a.name
        )));
    }
    let store = open_store(&a.common).await?;
    let now = OffsetDateTime::now_utc();
    let token = new_token();
    let record = ApiToken {
        name: a.name.clone(),
        hash: token_hash(&token),
        role: role.as_str().into(),
        clients: a.clients,
        teams: a.teams,
        created_at: now,
        expires_at: a
            .expires_days
            .map(|d| now + time::Duration::days(i64::from(d))),
        revoked_at: None,
    };
    let done = store.create_token(&record).await;
    close(store.as_ref()).await;
    done.map_err(|e| CliError::bad_input(e.to_string()))?;
    if a.common.json {
        println!(
            "{}",
            json!({ "name": record.name, "role": record.role, "token": token })
        );
    } else {
        println!(
            "token `{}` ({}) created; it is shown only now:",
            a.name, record.role
        );
        println!("{token}");
    }
    Ok(exit::OK)
}

async fn list(a: ListArgs) -> Result<u8, CliError> {
    let store = open_store(&a.common).await?;
    let tokens = store.api_tokens().await;
    close(store.as_ref()).await;
    let tokens = tokens.map_err(|e| CliError::runtime(e.to_string()))?;
    let now = OffsetDateTime::now_utc();
    let rows: Vec<_> = tokens
        .iter()
        .map(|t| {
            let state = if t.revoked_at.is_some() {
                "revoked"
            } else if caller_of(t, now).is_none() {
                "expired"
            } else {
                "live"
            };
            json!({ "name": t.name, "role": t.role, "clients": t.clients, "teams": t.teams,
                    "state": state, "created_at": crate::http::model::rfc3339(t.created_at),
                    "expires_at": t.expires_at.map(crate::http::model::rfc3339) })
        })
        .collect();
    if a.common.json {
        println!("{}", serde_json::Value::Array(rows));
    } else if rows.is_empty() {
        println!("no tokens (the bootstrap admin token comes from the environment)");
    } else {
        for r in &rows {
            let scope = |v: &serde_json::Value| {
                v.as_array()
                    .filter(|a| !a.is_empty())
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str())
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_else(|| "all".into())
            };
            println!(
                "{:<20} {:<9} {:<8} clients {} teams {}",
                r["name"].as_str().unwrap_or("-"),
                r["role"].as_str().unwrap_or("-"),
                r["state"].as_str().unwrap_or("-"),
                scope(&r["clients"]),
                scope(&r["teams"])
            );
        }
    }
    Ok(exit::OK)
}

async fn revoke(a: RevokeArgs) -> Result<u8, CliError> {
    let store = open_store(&a.common).await?;
    let done = store.revoke_token(&a.name, OffsetDateTime::now_utc()).await;
    close(store.as_ref()).await;
    if !done.map_err(|e| CliError::runtime(e.to_string()))? {
        return Err(CliError::bad_input(format!(
            "no live token named `{}`",
            a.name
        )));
    }
    println!("token `{}` revoked", a.name);
    Ok(exit::OK)
}
