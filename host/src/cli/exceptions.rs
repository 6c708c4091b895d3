//! `selvedge exceptions list|show|retry|resolve --config <dir>`: the exception queue, read and
//! written straight in the store (the host may be running: SQLite WAL or PostgreSQL lets both work).

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use selvedge_store::{ExceptionFilter, ExceptionHistoryEntry, ExceptionRecord, Store};
use serde_json::{Value, json};

use crate::config::{Config, Secrets};
use crate::exceptions::actions::{self, ActionError};
use crate::exit::{self, CliError};
use crate::store::StoreLocation;

/// `selvedge exceptions <command>`.
#[derive(Debug, Subcommand)]
pub enum ExceptionsCommand {
    /// Exceptions, most recently seen first (open and retrying unless --state says otherwise).
    List(ListArgs),
    /// One exception with its details and history.
    Show(OneArgs),
    /// Ask for another try: marks it `retrying` and, when it came from a job that gave up
    /// (an order or refund), queues that job's work again.
    Retry(ActArgs),
    /// Close it with a note.
    Resolve(ResolveArgs),
}

/// Options every exceptions command takes.
#[derive(Debug, Args)]
pub struct Common {
    /// Config folder (only `selvedge.toml` is read, for the data folder).
    #[arg(long, env = "SELVEDGE_CONFIG")]
    pub config: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `exceptions list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub common: Common,
    /// Only this client.
    #[arg(long)]
    pub client: Option<String>,
    /// Only this state: open, retrying, resolved, or all.
    #[arg(long, default_value = "unresolved")]
    pub state: String,
    /// Only this owner team.
    #[arg(long)]
    pub owner: Option<String>,
    /// Only this kind (e.g. order_invalid).
    #[arg(long)]
    pub kind: Option<String>,
    /// At most this many.
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
}

/// `exceptions show`.
#[derive(Debug, Args)]
pub struct OneArgs {
    #[command(flatten)]
    pub common: Common,
    /// Exception id.
    pub id: i64,
}

/// `exceptions retry`.
#[derive(Debug, Args)]
pub struct ActArgs {
    #[command(flatten)]
    pub common: Common,
    /// Exception id.
    pub id: i64,
    /// Why (kept in the history).
    #[arg(long)]
    pub note: Option<String>,
    /// Who (default: $USER).
    #[arg(long)]
    pub actor: Option<String>,
}

/// `exceptions resolve`.
#[derive(Debug, Args)]
pub struct ResolveArgs {
    #[command(flatten)]
    pub common: Common,
    /// Exception id.
    pub id: i64,
    /// What was done (required: the history says why it was closed).
    #[arg(long)]
    pub note: String,
    /// Who (default: $USER).
    #[arg(long)]
    pub actor: Option<String>,
}

/// Runs one exceptions command against the store of `--config`.
pub fn run(cmd: ExceptionsCommand) -> Result<u8, CliError> {
    let rt = super::tokio_runtime()?;
    rt.block_on(async move {
        match cmd {
            ExceptionsCommand::List(a) => list(a).await,
            ExceptionsCommand::Show(a) => show(a).await,
            ExceptionsCommand::Retry(a) => retry(a).await,
            ExceptionsCommand::Resolve(a) => resolve(a).await,
        }
    })
}

pub(crate) async fn open_store(common: &Common) -> Result<Arc<dyn Store>, CliError> {
    let host = Config::load_host_only(&common.config)?;
    let location = StoreLocation::of(&host);
    if let StoreLocation::Sqlite(file) = &location
        && !file.is_file()
    {
        return Err(CliError::bad_input(format!(
            "{}: no state file yet\n  fix: run `selvedge run --config {}` first, or check --config",
            file.display(),
            common.config.display()
        )));
    }
    let host_file = common.config.join(crate::config::HOST_FILE);
    crate::store::open(&location, &Secrets::from_env(), &host_file)
        .await
        .map_err(CliError::from)
}

/// Closes the store after a command; a failure to close only warns (the command is done).
pub(crate) async fn close(store: &dyn Store) {
    if let Err(e) = store.close().await {
        tracing::warn!(error = %e, "the store did not close cleanly");
    }
}

fn actor(given: Option<String>) -> String {
    given
        .or_else(|| std::env::var("USER").ok())
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| "cli".into())
}

fn store_err(e: selvedge_store::StoreError) -> CliError {
    CliError::runtime(e.to_string())
}

async fn list(a: ListArgs) -> Result<u8, CliError> {
    let store = open_store(&a.common).await?;
    let filter = ExceptionFilter {
        client: a.client.clone(),
        state: None,
        owner: a.owner.clone(),
        kind: a.kind.clone(),
    };
    let rows = actions::list(&*store, &a.state, &filter, a.limit)
        .await
        .map_err(action_err)?;
    if a.common.json {
        println!("{}", Value::Array(rows.iter().map(record_json).collect()));
    } else if rows.is_empty() {
        println!("no exceptions");
    } else {
        println!(
            "{:>5}  {:<9} {:<10} {:<16} {:<16} {:<20} SUMMARY",
            "ID", "STATE", "OWNER", "CLIENT", "KIND", "SUBJECT"
        );
        for r in &rows {
            println!(
                "{:>5}  {:<9} {:<10} {:<16} {:<16} {:<20} {}{}",
                r.id,
                r.state,
                r.owner,
                r.client,
                r.kind,
                r.subject,
                r.summary,
                if r.occurrences > 1 {
                    format!(" (x{})", r.occurrences)
                } else {
                    String::new()
                }
            );
        }
    }
    close(&*store).await;
    Ok(exit::OK)
}

async fn fetch(
    store: &dyn Store,
    id: i64,
) -> Result<(ExceptionRecord, Vec<ExceptionHistoryEntry>), CliError> {
    store
        .exception(id)
        .await
        .map_err(store_err)?
        .ok_or_else(|| {
            CliError::bad_input(format!(
                "no exception {id}\n  fix: `selvedge exceptions list` shows the ids"
            ))
        })
}

async fn show(a: OneArgs) -> Result<u8, CliError> {
    let store = open_store(&a.common).await?;
    let (record, history) = fetch(&*store, a.id).await?;
    print_one(&record, &history, a.common.json);
    close(&*store).await;
    Ok(exit::OK)
}

async fn retry(a: ActArgs) -> Result<u8, CliError> {
    let store = open_store(&a.common).await?;
    let who = actor(a.actor);
    actions::retry(&*store, a.id, &who, a.note.as_deref())
        .await
        .map_err(action_err)?;
    let (record, history) = fetch(&*store, a.id).await?;
    print_one(&record, &history, a.common.json);
    close(&*store).await;
    Ok(exit::OK)
}

async fn resolve(a: ResolveArgs) -> Result<u8, CliError> {
    let store = open_store(&a.common).await?;
    let who = actor(a.actor);
    actions::resolve(&*store, a.id, &who, &a.note)
        .await
        .map_err(action_err)?;
    let (record, history) = fetch(&*store, a.id).await?;
    print_one(&record, &history, a.common.json);
    close(&*store).await;
    Ok(exit::OK)
}

fn action_err(e: ActionError) -> CliError {
    match e {
        ActionError::NotFound(id) => CliError::bad_input(format!(
            "no exception {id}\n  fix: `selvedge exceptions list` shows the ids"
        )),
        ActionError::NoNote => CliError::bad_input("--note is empty: say what was done"),
        ActionError::UnknownState(_) => CliError::bad_input(format!("--{e}")),
        ActionError::AlreadyResolved(_) => CliError::bad_input(e.to_string()),
        ActionError::Store(e) => store_err(e),
    }
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn record_json(r: &ExceptionRecord) -> Value {
    json!({
        "id": r.id, "client": r.client, "kind": r.kind, "owner": r.owner, "subject": r.subject,
        "summary": r.summary, "details": r.details, "state": r.state.as_str(),
        "occurrences": r.occurrences, "created_at": rfc3339(r.created_at),
        "updated_at": rfc3339(r.updated_at), "last_seen": rfc3339(r.last_seen),
    })
}

fn print_one(r: &ExceptionRecord, history: &[ExceptionHistoryEntry], as_json: bool) {
    let entries: Vec<Value> = history
        .iter()
        .map(|h| json!({"at": rfc3339(h.at), "actor": h.actor, "action": h.action, "note": h.note}))
        .collect();
    if as_json {
        let mut doc = record_json(r);
        doc["history"] = Value::Array(entries);
        println!("{doc}");
        return;
    }
    println!("exception {}  [{}]  owner {}", r.id, r.state, r.owner);
    println!("  client   {}", r.client);
    println!("  kind     {}", r.kind);
    println!("  subject  {}", r.subject);
    println!("  reason   {}", r.summary);
    println!(
        "  seen     {} time(s), first {}, last {}",
        r.occurrences,
        rfc3339(r.created_at),
        rfc3339(r.last_seen)
    );
    if r.details != Value::Null && r.details != json!({}) {
        let pretty = serde_json::to_string_pretty(&r.details).unwrap_or_default();
        println!("  details");
        for line in pretty.lines() {
            println!("    {line}");
        }
    }
    println!("  history");
    for h in history {
        let note = h
            .note
            .as_deref()
            .map(|n| format!(": {n}"))
            .unwrap_or_default();
        println!(
            "    {}  {:<12} by {}{}",
            rfc3339(h.at),
            h.action,
            h.actor,
            note
        );
    }
}
