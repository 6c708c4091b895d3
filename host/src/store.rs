//! Which store the host runs on: the embedded SQLite file (the default, one host) or a shared
//! PostgreSQL database (several hosts share the work). `[store]` in `selvedge.toml`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use selvedge_store::{SchemaStatus, Store, StoreError};
use serde::Deserialize;

use crate::config::{ConfigError, HostConfig, Secrets};

/// File name of the embedded store inside `data_dir`.
pub const SQLITE_FILE: &str = "selvedge.sqlite";

/// `[store]` in `selvedge.toml`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// `postgres://user@host:port/database`: the PostgreSQL database several hosts share.
    /// Absent: the embedded SQLite file `<data_dir>/selvedge.sqlite`.
    pub url: Option<String>,
    /// Environment variable holding the PostgreSQL password; the URL never carries one.
    pub password_env: Option<String>,
    /// Connections in this host's pool (PostgreSQL only).
    pub max_connections: u32,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            url: None,
            password_env: None,
            max_connections: 16,
        }
    }
}

impl StoreConfig {
    /// Checks what can be checked without connecting; errors name `file`'s key and the fix.
    pub fn check(&self, file: &Path) -> Result<(), ConfigError> {
        let Some(url) = &self.url else {
            if self.password_env.is_some() {
                return Err(ConfigError::invalid(
                    file,
                    "store.password_env",
                    "is set but store.url is not (the embedded SQLite store has no password)",
                    "add store.url = \"postgres://user@host:5432/selvedge\", or remove password_env",
                ));
            }
            return Ok(());
        };
        let parsed = reqwest::Url::parse(url).map_err(|e| {
            ConfigError::invalid(
                file,
                "store.url",
                format!("is not a URL: {e}"),
                "write it as postgres://user@host:5432/database",
            )
        })?;
        if !matches!(parsed.scheme(), "postgres" | "postgresql") {
            return Err(ConfigError::invalid(
                file,
                "store.url",
                format!(
                    "has scheme `{}`; only PostgreSQL is a shared store",
                    parsed.scheme()
                ),
                "use postgres://user@host:5432/database, or remove store.url for the embedded SQLite file",
            ));
        }
        if parsed.password().is_some() {
            return Err(ConfigError::invalid(
                file,
                "store.url",
                "carries a password; secrets never live in config files",
                "remove it from the URL and name the variable that holds it in store.password_env",
            ));
        }
        if self.max_connections == 0 {
            return Err(ConfigError::invalid(
                file,
                "store.max_connections",
                "is 0",
                "leave it out for 16, or give a positive number",
            ));
        }
        Ok(())
    }
}

/// Where the state lives, resolved from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// The embedded file.
    Sqlite(PathBuf),
    /// A shared PostgreSQL database; the URL has no password.
    Postgres {
        /// The configured URL.
        url: String,
        /// The variable holding the password, if any.
        password_env: Option<String>,
        /// Pool size.
        max_connections: u32,
    },
}

impl StoreLocation {
    /// The location `host` configures.
    pub fn of(host: &HostConfig) -> Self {
        match &host.store.url {
            None => Self::Sqlite(host.data_dir.join(SQLITE_FILE)),
            Some(url) => Self::Postgres {
                url: url.clone(),
                password_env: host.store.password_env.clone(),
                max_connections: host.store.max_connections,
            },
        }
    }

    /// Whether several hosts may share this store (cluster membership and the ERP pace then
    /// live in it).
    pub fn is_shared(&self) -> bool {
        matches!(self, Self::Postgres { .. })
    }

    /// For messages: the file, or the URL (which never holds a password).
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite {}", path.display()),
            Self::Postgres { url, .. } => format!("postgres {url}"),
        }
    }
}

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The password variable is missing.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database refused or the schema is not ours.
    #[error("{location}: {source}")]
    Store {
        /// What was being opened.
        location: String,
        /// The store's error.
        source: StoreError,
    },
}

impl From<OpenError> for crate::exit::CliError {
    fn from(e: OpenError) -> Self {
        match e {
            OpenError::Config(e) => Self::bad_input(e.to_string()),
            other => Self::runtime(other.to_string()),
        }
    }
}

/// Where the schema of the store `location` names stands, without creating or migrating it.
pub async fn schema_status(
    location: &StoreLocation,
    secrets: &Secrets,
    host_file: &Path,
) -> Result<SchemaStatus, OpenError> {
    let failed = |source| OpenError::Store {
        location: location.describe(),
        source,
    };
    match location {
        StoreLocation::Sqlite(path) => selvedge_store_sqlite::SqliteStore::schema_status(path)
            .await
            .map_err(failed),
        StoreLocation::Postgres { .. } => {
            let (options, _) = postgres_options(location, secrets, host_file)?;
            selvedge_store_postgres::PgStore::schema_status(options)
                .await
                .map_err(failed)
        }
    }
}

/// Opens (and migrates) the PostgreSQL store `location` names, as its concrete type (for
/// what only PostgreSQL does, such as receiving a copy).
pub async fn open_postgres(
    location: &StoreLocation,
    secrets: &Secrets,
    host_file: &Path,
) -> Result<selvedge_store_postgres::PgStore, OpenError> {
    let (options, max_connections) = postgres_options(location, secrets, host_file)?;
    selvedge_store_postgres::PgStore::open(options, max_connections)
        .await
        .map_err(|source| OpenError::Store {
            location: location.describe(),
            source,
        })
}

/// Opens (and migrates) the store `location` names; `host_file` is named in errors.
pub async fn open(
    location: &StoreLocation,
    secrets: &Secrets,
    host_file: &Path,
) -> Result<Arc<dyn Store>, OpenError> {
    let failed = |source| OpenError::Store {
        location: location.describe(),
        source,
    };
    match location {
        StoreLocation::Sqlite(path) => Ok(Arc::new(
            selvedge_store_sqlite::SqliteStore::open(path)
                .await
                .map_err(failed)?,
        )),
        StoreLocation::Postgres { .. } => {
            Ok(Arc::new(open_postgres(location, secrets, host_file).await?))
        }
    }
}

/// Connection options and pool size of a PostgreSQL location: its URL, plus the password
/// read from the variable `password_env` names.
fn postgres_options(
    location: &StoreLocation,
    secrets: &Secrets,
    host_file: &Path,
) -> Result<(selvedge_store_postgres::ConnectOptions, u32), OpenError> {
    let failed = |source| OpenError::Store {
        location: location.describe(),
        source,
    };
    let StoreLocation::Postgres {
        url,
        password_env,
        max_connections,
    } = location
    else {
        return Err(failed(StoreError::InvalidArgument(
            "not a PostgreSQL store".into(),
        )));
    };
    let options: selvedge_store_postgres::ConnectOptions =
        url.parse().map_err(|e| failed(StoreError::from(e)))?;
    let options = match password_env {
        Some(var) => options.password(&secrets.get(var, host_file, "store.password_env")?),
        None => options,
    };
    Ok((options, *max_connections))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(toml_text: &str) -> StoreConfig {
        toml::from_str(toml_text).expect("parse [store]")
    }

    fn refusal(toml_text: &str) -> String {
        config(toml_text)
            .check(Path::new("selvedge.toml"))
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn no_url_is_the_embedded_file_and_a_url_is_postgres() {
        let mut host = HostConfig::default();
        assert_eq!(
            StoreLocation::of(&host),
            StoreLocation::Sqlite(host.data_dir.join(SQLITE_FILE))
        );
        host.store =
            config("url = \"postgres://selvedge@db:5432/agency\"\npassword_env = \"PGPASS\"");
        host.store.check(Path::new("selvedge.toml")).expect("valid");
        assert_eq!(
            StoreLocation::of(&host),
            StoreLocation::Postgres {
                url: "postgres://selvedge@db:5432/agency".into(),
                password_env: Some("PGPASS".into()),
                max_connections: 16,
            }
        );
    }

    #[test]
    fn a_password_in_the_url_a_foreign_scheme_or_a_stray_password_env_are_refused_by_key() {
        let e = refusal("url = \"postgres://selvedge:hunter2@db/agency\"");
        assert!(e.contains("store.url") && e.contains("password_env"), "{e}");
        assert!(
            !e.contains("hunter2"),
            "the message must not echo the password: {e}"
        );
        let e = refusal("url = \"mysql://db/agency\"");
        assert!(e.contains("store.url") && e.contains("mysql"), "{e}");
        let e = refusal("password_env = \"PGPASS\"");
        assert!(e.contains("store.password_env"), "{e}");
        let e = refusal("url = \"postgres://db/agency\"\nmax_connections = 0");
        assert!(e.contains("store.max_connections"), "{e}");
        assert!(
            toml::from_str::<StoreConfig>("path = \"x\"").is_err(),
            "unknown keys are errors"
        );
    }
}
